"""``botwebhook listen`` in a process of its own, and the platform's side of a call."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import requests
from bw_handlers import SECRET

from harness import sign
from harness.platform import platform_headers


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


def platform_post(url: str, body: bytes, secret: str = SECRET, **kw: Any) -> requests.Response:
    """What the platform does: POST the exact bytes, signed, with its headers."""
    return requests.post(url, data=body, headers=platform_headers(body, sign(body, secret)),
                         timeout=kw.pop("timeout", 10), **kw)  # fmt: skip


class Listening:
    """``botwebhook listen`` in a process of its own, on a port the system picked."""

    def __init__(
        self, tmp_path: Path, handler: str, *extra: str, env: dict[str, str | None] | None = None,
        record: str | None = "rec.jsonl", preexec_fn: Any = None,
    ) -> None:  # fmt: skip
        recording = ["--record", str(tmp_path / record)] if record else []
        command = [sys.executable, "-m", "harness.cli", "listen", "--forward-to", handler,
                   "--port", "0", *recording, *extra]  # fmt: skip
        merged = {**os.environ, "BOTWEBHOOK_SECRET": SECRET, **(env or {})}
        environment = {k: v for k, v in merged.items() if v is not None}  # None: unset
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, env=environment, cwd=tmp_path,
                                        preexec_fn=preexec_fn)  # fmt: skip
        assert self.process.stdout is not None
        self.first = self.process.stdout.readline()  # "listening on http://127.0.0.1:PORT/, ..."
        if "127.0.0.1:" not in self.first:
            self.process.kill()
            _, err = self.process.communicate(timeout=10)
            raise AssertionError(f"listen did not start: {self.first}{err}")
        self.port = int(self.first.split("127.0.0.1:", 1)[1].split("/", 1)[0])
        self.url = f"http://127.0.0.1:{self.port}/"
        # Its output is read as it comes: a pipe nobody reads fills up, and then listen
        # waits to print its next line.
        self._out: list[str] = []
        self._err: list[str] = []
        self._readers = [
            threading.Thread(target=self._drain, args=(stream, into), daemon=True)
            for stream, into in ((self.process.stdout, self._out), (self.process.stderr, self._err))
        ]
        for reader in self._readers:
            reader.start()
        wait_for(self.port)

    @staticmethod
    def _drain(stream: Any, into: list[str]) -> None:
        for line in stream:
            into.append(line)

    def stop(self, sig: int = signal.SIGINT) -> str:
        self.process.send_signal(sig)
        self.process.wait(20)
        for reader in self._readers:
            reader.join(10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        self.stderr = "".join(self._err)
        return self.first + "".join(self._out)
