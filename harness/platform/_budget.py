"""The platform's budget for one call: how long it waits, and how much of an answer
we read (``docs/protocol.md``, section 4)."""

from __future__ import annotations

__all__ = ["DEADLINE_FACTOR", "DEFAULT_TIMEOUT", "MAX_ANSWER"]

#: The platform's connect and read timeouts, in seconds.
DEFAULT_TIMEOUT = 10.0
#: An answer is read up to this many bytes (the platform has no limit; a report
#: needs no more, and memory stays bounded).
MAX_ANSWER = 10 * 1024 * 1024
#: A call over a URL ends after this many read timeouts, however it trickles.
DEADLINE_FACTOR = 2.0
