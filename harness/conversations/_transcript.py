"""Conversations as people read them: the transcript (one line for the user and one
for the bot per turn) and the failure message of a turn."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.delivery._exchange import clip_lines

__all__ = ["failure_text", "transcript"]


def transcript(turns: Sequence[Any]) -> str:
    """``turns`` (:class:`~harness.conversations.Turn`) as lines; turns that called the
    webhook are marked ``*``, with their findings under them."""
    lines = []
    for turn in turns:
        lines.append(f"{turn.number:3} user: {turn.user}")
        mark = "*" if turn.webhook else " "
        note = f"   [prompt: {turn.prompt}]" if turn.prompt else ""
        for exchange in turn.exchanges:
            got = exchange.received
            status = exchange.failure or (f"HTTP {got.status}" if got else "no answer")
            elapsed = f", {got.elapsed * 1000:.0f} ms" if got else ""
            note += f"   [webhook: {status}{elapsed}]"
        lines.append(f"  {mark} bot:  {turn.shown()}{note}")
        for finding in turn.findings:
            first, evidence, _, more = finding.described()
            lines.append(f"        {first}")
            lines.extend(f"          {line}" for line in (evidence, more))
    return "\n".join(lines)


def failure_text(name: str, turns: Sequence[Any], turn: Any, failures: Sequence[str]) -> str:
    """The failure message for ``turn``: the transcript up to it, each expectation that
    failed, the contract errors, the handler's output and a curl reproducer."""
    head = f"conversation {name!r}" if name else "conversation"
    lines = [f"{head} failed at turn {turn.number}:", transcript(turns), ""]
    for failure in failures:
        lines.append(f"turn {turn.number} expected {failure}")
    for finding in turn.errors:
        first, *rest = finding.described()
        lines.append(f"turn {turn.number}: the webhook call broke the contract: {first}")
        lines.extend(f"    {line}" for line in rest)
    output = "".join(e.output for e in turn.exchanges)
    if output:
        lines.append("the handler's output:")
        lines.extend(f"  | {line}" for line in clip_lines(output))
    if turn.exchanges:
        lines.append(f"reproduce turn {turn.number}'s webhook call with:")
        lines.append(f"  {turn.exchanges[-1].reproduce()}")
    elif turn.plan.prompt is not None:
        lines.append(f"turn {turn.number} called no webhook: the platform prompted instead")
    return "\n".join(lines)
