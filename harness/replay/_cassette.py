"""Cassettes: recorded webhook exchanges, one JSON object per line (JSON Lines).

Each line is one exchange, flushed as soon as it is written, so that a Ctrl-C or
a crash loses at most the call in flight::

    {"format": 1, "recorded_at": "2026-11-26T01:55:00.123Z",
     "request": {"method": "POST", "url": "https://bot.example.com/hook",
                 "headers": [["Content-Type", "application/json"], ...],
                 "body": "<base64 of the exact bytes>"},
     "response": {"status": 200, "headers": [...], "body": "<base64>"},
     "elapsed_ms": 12.3, "redacted": []}

The signature header is kept (it is what the platform sent); the secret is never
written.  ``response`` is null when the call failed in transport (``failure``
says why).  ``redacted`` lists the fields ``botwebhook redact`` replaced.

Cassettes hold chat text, and users commit them:

- a cassette is created ``0600``, never written through a symbolic link, and
  never anything but a regular file;
- a line cut short (a killed ``listen``) is ended before the next one is
  appended, so one torn line never takes the next with it;
- reading is bounded and never raises on what a line holds: a line over
  :data:`MAX_LINE` bytes, one nested too deeply, a number too large, a value of
  the wrong type, a method or header that no HTTP request can carry, each is one
  :class:`CassetteError` naming the file and the line, and the rest is read.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import os
import re
import stat
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness._errors import BotWebhookValueError, CassetteError
from harness.delivery._exchange import json_object
from harness.platform._headers import find_header

__all__ = [
    "FORMAT",
    "MAX_LINE",
    "CassetteEntry",
    "CassetteError",
    "CassetteWriter",
    "entry_line",
    "intent_of",
    "read_cassette",
    "record_call",
    "recorder",
]

#: The cassette format version this package writes and reads.
FORMAT = 1
#: The longest line read (an answer is kept up to 10 MiB, 13.4 MiB in base64).
MAX_LINE = 16 * 1024 * 1024
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass
class CassetteEntry:
    """One recorded exchange: the exact request and response."""

    method: str
    url: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    status: int | None
    response_headers: list[tuple[str, str]]
    response_body: bytes
    elapsed_ms: float = 0.0
    recorded_at: str = ""
    failure: str | None = None
    redacted: list[str] = field(default_factory=list)
    #: Where it was read from (``file:line``), for messages.
    where: str = ""

    def header(self, name: str) -> str | None:
        """A request header (any case), or None."""
        return find_header(self.request_headers, name)

    @property
    def request_json(self) -> dict[str, Any]:
        return json_object(self.request_body)

    @property
    def intent(self) -> str:
        """The intent's name, ``passthrough`` for a passthrough call, or ``call``."""
        return intent_of(self.request_body)


def intent_of(body: bytes) -> str:
    """A request's intent name, ``passthrough`` for a passthrough call, else ``call``."""
    data = json_object(body)
    if "intentName" in data:
        return str(data["intentName"])
    return "passthrough" if "chatResult" in data else "call"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def entry_line(entry: CassetteEntry) -> str:
    """One cassette line (no newline) for ``entry``."""
    response = None
    if entry.status is not None:
        response = {
            "status": entry.status,
            "headers": [list(pair) for pair in entry.response_headers],
            "body": _b64(entry.response_body),
        }
    data: dict[str, Any] = {
        "format": FORMAT,
        "recorded_at": entry.recorded_at or _now(),
        "request": {
            "method": entry.method,
            "url": entry.url,
            "headers": [list(pair) for pair in entry.request_headers],
            "body": _b64(entry.request_body),
        },
        "response": response,
        "elapsed_ms": round(entry.elapsed_ms, 3),
        "redacted": entry.redacted,
    }
    if entry.failure:
        data["failure"] = entry.failure
    # ASCII only: a lone surrogate in a header or a failure cannot break the write.
    return json.dumps(data, ensure_ascii=True, separators=(",", ":"))


def _now() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


class CassetteWriter:
    """Appends entries to a cassette, one flushed line each (thread-safe).

    A new cassette is created ``0600`` (it holds chat text); a symbolic link or
    anything but a regular file is refused; a last line cut short is ended first."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        shown = str(path)
        flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(self.path, flags | getattr(os, "O_CLOEXEC", 0), 0o600)
        except OSError as exc:
            if self.path.is_symlink():
                raise BotWebhookValueError(
                    f"the cassette {shown!r} is a symbolic link: refused (a cassette holds chat "
                    "text and is never written through a link; hint: give the real path)"
                ) from None
            raise BotWebhookValueError(
                f"cannot write the cassette {shown!r}: {exc.strerror} (hint: an existing "
                "folder you can write to)"
            ) from None
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            raise BotWebhookValueError(
                f"the cassette {shown!r} is not a regular file: refused (hint: a file path, "
                "not a device, folder or pipe)"
            )
        self._fd: int | None = fd
        # A torn last line (a killed listen): ended before the next one is written.
        self._torn = bool(info.st_size) and os.pread(fd, 1, info.st_size - 1) != b"\n"
        self._lock = threading.Lock()

    def write(self, entry: CassetteEntry) -> None:
        """Append ``entry`` as one line, written through (no buffer: nothing is left to
        fail later).  A write that fails (a full disk) raises, and the line it may have
        left cut short is ended before the next one."""
        data = (entry_line(entry) + "\n").encode("utf-8")
        with self._lock:
            if self._fd is None:
                raise BotWebhookValueError(f"the cassette {str(self.path)!r} is closed")
            if self._torn:
                data = b"\n" + data
            self._torn = True
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view) :]
            self._torn = False

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> CassetteWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def recorder(record: str | Path | CassetteWriter | None) -> CassetteWriter | None:
    """A writer for a mock's ``record=`` (a path, or a writer to share)."""
    if record is None or isinstance(record, CassetteWriter):
        return record
    return CassetteWriter(record)


def record_call(
    writer: CassetteWriter | None,
    call: tuple[str, str, dict[str, str], bytes],
    answer: tuple[int, dict[str, str], bytes],
    elapsed: float,
) -> None:
    """Append one exchange a mock or server answered (``call``: method, URL, headers,
    body; ``answer``: status, headers, body) to ``writer``, if any."""
    if writer is None:
        return
    method, url, headers, body = call
    status, answer_headers, answer_body = answer
    entry = CassetteEntry(method, url, list(headers.items()), body, status,
                          list(answer_headers.items()), answer_body, elapsed * 1000)  # fmt: skip
    writer.write(entry)


def _is_pair(pair: Any) -> bool:
    return isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)


def _headers(value: Any, where: str) -> list[tuple[str, str]]:
    if not isinstance(value, list):
        raise ValueError(f"{where}: expected a list of [name, value] pairs")
    out = []
    for pair in value:
        if not _is_pair(pair):
            raise ValueError(f"{where}: expected a list of [name, value] pairs")
        name, text = pair
        if not _TOKEN.fullmatch(name) or "\r" in text or "\n" in text:
            raise ValueError(f"{where}: {name[:40]!r} is not a header an HTTP request can carry")
        out.append((name, text))
    return out


def _body(value: Any, where: str) -> bytes:
    if not isinstance(value, str):
        raise ValueError(f"{where}: expected base64 text")
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ValueError(f"{where}: not valid base64 (is the line cut short?)") from None


def _text(data: dict[str, Any], key: str, where: str, default: str | None = "") -> Any:
    value = data.get(key, default)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{where}{key}: expected text, got {type(value).__name__}")
    return value


def _entry(data: Any, where: str) -> CassetteEntry:
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    version = data.get("format")
    if version != FORMAT:
        raise ValueError(
            f"format version {repr(version)[:20]} is not one this version reads ({FORMAT}; "
            "hint: record it again, or upgrade pytest-botwebhook)"
        )
    request = data.get("request")
    if not isinstance(request, dict):
        raise ValueError("request: missing")
    response = data.get("response")
    if response is not None and not isinstance(response, dict):
        raise ValueError("response: expected an object or null")
    status = response.get("status") if response else None
    if response is not None and (
        not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599
    ):
        raise ValueError("response.status: expected a status from 100 to 599")
    method = _text(request, "method", "request.", "POST")
    if not _TOKEN.fullmatch(method):
        raise ValueError(f"request.method: {method[:40]!r} is not an HTTP method")
    url = _text(request, "url", "request.")
    if _CONTROL.search(url) or len(url) > 8192:
        raise ValueError("request.url: not a URL an HTTP request can carry")
    elapsed = data.get("elapsed_ms") or 0.0
    if isinstance(elapsed, bool) or not isinstance(elapsed, int | float):
        raise ValueError(f"elapsed_ms: expected a number, got {type(elapsed).__name__}")
    if not math.isfinite(float(elapsed)) or elapsed < 0:
        raise ValueError("elapsed_ms: expected a finite number of milliseconds")
    redacted = data.get("redacted") or []
    if not isinstance(redacted, list) or not all(isinstance(r, str) for r in redacted):
        raise ValueError("redacted: expected a list of field names")
    return CassetteEntry(
        method=method,
        url=url,
        request_headers=_headers(request.get("headers", []), "request.headers"),
        request_body=_body(request.get("body"), "request.body"),
        status=status,
        response_headers=_headers(response.get("headers", []), "response.headers")
        if response
        else [],
        response_body=_body(response.get("body"), "response.body") if response else b"",
        elapsed_ms=float(elapsed),
        recorded_at=_text(data, "recorded_at", ""),
        failure=_text(data, "failure", "", None),
        redacted=list(redacted),
        where=where,
    )


def read_lines(path: str | Path) -> Iterator[tuple[int, str | None]]:
    """Each line of the cassette, numbered; None for a line over :data:`MAX_LINE`
    bytes, which is skipped unread (memory stays bounded)."""
    try:
        handle = Path(path).open("rb")  # noqa: SIM115 - closed below, errors said here
    except OSError as exc:
        raise BotWebhookValueError(
            f"cannot read the cassette {str(path)!r}: {exc.strerror}"
        ) from None
    with handle:
        number = 0
        while True:
            raw = handle.readline(MAX_LINE + 1)
            if not raw:
                return
            number += 1
            if len(raw) > MAX_LINE and not raw.endswith(b"\n"):
                while raw and not raw.endswith(b"\n"):  # the rest of it, unkept
                    raw = handle.readline(1024 * 1024)
                yield number, None
                continue
            yield number, raw.decode("utf-8", errors="replace")


def read_cassette(
    path: str | Path, *, lines: Iterable[tuple[int, str | None]] | None = None
) -> tuple[list[CassetteEntry], list[CassetteError]]:
    """Every readable entry of the cassette at ``path``, and a :class:`CassetteError`
    for each line that is not (the others are still read).  Blank lines are skipped."""
    shown = str(path)
    entries: list[CassetteEntry] = []
    problems: list[CassetteError] = []
    for number, text in lines if lines is not None else read_lines(path):
        if text is None:
            problems.append(CassetteError(
                shown, number, f"longer than {MAX_LINE // 2**20} MiB: skipped unread"
            ))  # fmt: skip
            continue
        if not text.strip():
            continue
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            problems.append(CassetteError(shown, number, f"not JSON ({exc.msg})"))
            continue
        except RecursionError:
            problems.append(CassetteError(shown, number, "not JSON this reads: nested too deeply"))
            continue
        except ValueError as exc:  # an integer of more digits than Python converts
            problems.append(CassetteError(shown, number, f"not JSON this reads: {exc}"[:200]))
            continue
        try:
            entries.append(_entry(data, f"{shown}:{number}"))
        except (ValueError, TypeError, RecursionError) as exc:
            problems.append(CassetteError(shown, number, str(exc)[:300]))
    return entries, problems
