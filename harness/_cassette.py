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
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness._errors import BotWebhookValueError
from harness._exchange import json_object

__all__ = [
    "FORMAT",
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


class CassetteError(BotWebhookValueError):
    """A cassette line that cannot be read: not JSON, an unknown format version, a
    truncated base64 body.  The message names the file and the line."""

    def __init__(self, path: str, line: int, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}")
        self.path = path
        self.line = line


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
        lowered = name.lower()
        return next((v for k, v in self.request_headers if k.lower() == lowered), None)

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
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _now() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


class CassetteWriter:
    """Appends entries to a cassette, one flushed line each (thread-safe)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self._file = self.path.open("a", encoding="utf-8")
        except OSError as exc:
            raise BotWebhookValueError(
                f"cannot write the cassette {str(path)!r}: {exc.strerror} (hint: an existing "
                "folder you can write to)"
            ) from None
        self._lock = threading.Lock()

    def write(self, entry: CassetteEntry) -> None:
        line = entry_line(entry) + "\n"
        with self._lock:
            self._file.write(line)
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()

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


def _headers(value: Any, where: str) -> list[tuple[str, str]]:
    if not isinstance(value, list) or not all(
        isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)
        for pair in value
    ):
        raise ValueError(f"{where}: expected a list of [name, value] pairs")
    return [(name, text) for name, text in value]


def _body(value: Any, where: str) -> bytes:
    if not isinstance(value, str):
        raise ValueError(f"{where}: expected base64 text")
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ValueError(f"{where}: not valid base64 (is the line cut short?)") from None


def _entry(data: Any, where: str) -> CassetteEntry:
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    version = data.get("format")
    if version != FORMAT:
        raise ValueError(
            f"format version {version!r} is not one this version reads ({FORMAT}; hint: "
            "record it again, or upgrade pytest-botwebhook)"
        )
    request = data.get("request")
    if not isinstance(request, dict):
        raise ValueError("request: missing")
    response = data.get("response")
    if response is not None and not isinstance(response, dict):
        raise ValueError("response: expected an object or null")
    status = response.get("status") if response else None
    if response is not None and (not isinstance(status, int) or isinstance(status, bool)):
        raise ValueError("response.status: expected a number")
    return CassetteEntry(
        method=str(request.get("method", "POST")),
        url=str(request.get("url", "")),
        request_headers=_headers(request.get("headers", []), "request.headers"),
        request_body=_body(request.get("body"), "request.body"),
        status=status,
        response_headers=_headers(response.get("headers", []), "response.headers")
        if response
        else [],
        response_body=_body(response.get("body"), "response.body") if response else b"",
        elapsed_ms=float(data.get("elapsed_ms") or 0.0),
        recorded_at=str(data.get("recorded_at", "")),
        failure=data.get("failure"),
        redacted=list(data.get("redacted") or []),
        where=where,
    )


def read_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    try:
        with Path(path).open("r", encoding="utf-8", errors="replace") as handle:
            yield from enumerate(handle, 1)
    except OSError as exc:
        raise BotWebhookValueError(
            f"cannot read the cassette {str(path)!r}: {exc.strerror}"
        ) from None


def read_cassette(
    path: str | Path, *, lines: Iterable[tuple[int, str]] | None = None
) -> tuple[list[CassetteEntry], list[CassetteError]]:
    """Every readable entry of the cassette at ``path``, and a :class:`CassetteError`
    for each line that is not (the others are still read).  Blank lines are skipped."""
    shown = str(path)
    entries: list[CassetteEntry] = []
    problems: list[CassetteError] = []
    for number, text in lines if lines is not None else read_lines(path):
        if not text.strip():
            continue
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            problems.append(CassetteError(shown, number, f"not JSON ({exc.msg})"))
            continue
        try:
            entries.append(_entry(data, f"{shown}:{number}"))
        except ValueError as exc:
            problems.append(CassetteError(shown, number, str(exc)))
    return entries, problems
