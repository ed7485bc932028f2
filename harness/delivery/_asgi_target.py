"""An ASGI application called in-process: FastAPI, Starlette, Django's
``get_asgi_application()``, or any ``async def app(scope, receive, send)``.

- **One event loop per target**, on a daemon thread.  An app's lifespan
  startup opens what its calls use (a database pool, an HTTP client), and those
  are bound to the loop that opened them; uvicorn, too, runs one loop.  Calls
  from the check's worker threads are scheduled on it and run concurrently as
  tasks, as they would under uvicorn.
- **Lifespan**: startup runs once, before the first call, and shutdown once,
  on :meth:`AsgiTarget.close`, as uvicorn's ``lifespan="auto"`` does: an app
  that returns (or raises) before it receives the startup event has no
  lifespan, and is called without; an app that fails its startup (sends
  ``lifespan.startup.failed``, or raises after receiving the event) is a
  :class:`TargetError`: the target failed to start.
- **The exact request**: the body bytes and the platform's headers, over
  https, as one ``http.request`` message.

Both protocols are written to the ASGI spec here, with no dependency: an HTTP
client's ASGI transport (httpx) adds headers of its own that the platform never
sends, and asgi-lifespan waits out its timeout for an app that returns from the
lifespan scope at once, where servers carry on without lifespan.
- **The read timeout cancels the app's task**: ``BW105`` arrives at the
  timeout, and the app sees a cancellation instead of running on.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from harness._errors import TargetError
from harness.delivery._capture import (
    Call,
    describe_exception,
    done,
    raised_in,
    running,
)
from harness.delivery._tracing import adopt_tracer, labelled
from harness.delivery._transport import InProcessTarget, Received, _TransportFailure

__all__ = ["AsgiTarget", "is_asgi"]

#: Seconds an app's lifespan startup and shutdown may take.
LIFESPAN_TIMEOUT = 10.0


def is_asgi(app: Any) -> bool:
    """Whether ``app`` is called with ``async def``: a coroutine function, or an object
    whose ``__call__`` is one (FastAPI, Starlette, Django's ``ASGIHandler``)."""
    import inspect

    if inspect.iscoroutinefunction(app):
        return True
    return (
        callable(app)
        and not inspect.isroutine(app)
        and inspect.iscoroutinefunction(type(app).__call__)
    )


class AsgiTarget(InProcessTarget):
    """An ASGI application called in-process (see the module docstring).  Like
    :class:`WsgiTarget` it counts as an https endpoint, and ``capture`` keeps what
    the app prints and logs with each call."""

    def __init__(
        self,
        app: Callable[..., Any],
        name: str | None = None,
        *,
        capture: bool | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(app, name, capture, path)
        self._lifespan: _Lifespan | None = None
        self._state: dict[str, Any] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="botwebhook-asgi", daemon=True
        )
        self._thread.start()
        self._start_lock = threading.Lock()
        self._started = False
        self._failed: str | None = None  # why the startup failed: every later call says so
        self._closed = False

    # -- lifespan ---------------------------------------------------------------------

    def start(self) -> None:
        """Run the app's lifespan startup (once; the first call does it too)."""
        with self._start_lock:
            if self._closed:
                raise TargetError(f"the ASGI app {self.name} is closed: load it again")
            if not self._started:
                self._started = True
                lifespan = _Lifespan(self.app, self._state)
                future = asyncio.run_coroutine_threadsafe(lifespan.startup(), self._loop)
                error = future.result(LIFESPAN_TIMEOUT + 1)
                if error is not None:
                    self._failed = (
                        f"the ASGI app {self.name} failed to start: its lifespan startup "
                        f"{error} (hint: run it with uvicorn to see the whole traceback)"
                    )
                self._lifespan = lifespan if lifespan.supported else None
            if self._failed is not None:
                raise TargetError(self._failed)

    def close(self) -> None:
        """Run the lifespan shutdown and stop the loop."""
        with self._start_lock:  # no call starts once closing has begun
            if self._closed:
                return
            self._closed = True
        if self._lifespan is not None:
            future = asyncio.run_coroutine_threadsafe(self._lifespan.shutdown(), self._loop)
            with contextlib.suppress(Exception):  # a failing shutdown is the app's to report
                future.result(LIFESPAN_TIMEOUT + 1)
        # Calls abandoned at their timeout, and the lifespan task, end with the loop.
        finished = asyncio.run_coroutine_threadsafe(_cancel_the_rest(), self._loop)
        with contextlib.suppress(Exception):
            finished.result(LIFESPAN_TIMEOUT)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(LIFESPAN_TIMEOUT)
        if not self._thread.is_alive():
            self._loop.close()

    # -- one call ---------------------------------------------------------------------

    def request(
        self, method: str, url: str, headers: dict[str, str], body: bytes, timeout: float
    ) -> Received:
        self.require_headers(headers)
        self.start()
        call = Call(capture=self.capture)
        started = time.perf_counter()
        with labelled(body):
            future = asyncio.run_coroutine_threadsafe(
                self._call(call, method, url, headers, body), self._loop
            )
            try:
                status, response_headers, data, raised = future.result(timeout)
            except concurrent.futures.TimeoutError:
                future.cancel()  # the app's task gets a CancelledError
                raise _TransportFailure(
                    "Read timed out", timed_out=True, output=call.output
                ) from None
        elapsed = time.perf_counter() - started
        return Received(status, response_headers, data, elapsed, raised, call.output,
                        size=len(data), raised_in=call.raised_in if raised else None)  # fmt: skip

    async def _call(
        self, call: Call, method: str, url: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes, str | None]:
        adopt_tracer()
        token = running(call)
        parts = urlsplit(url)
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": method,
            "scheme": "https",
            "path": parts.path or "/",
            "raw_path": (parts.path or "/").encode(),
            "query_string": parts.query.encode(),
            "root_path": "",
            "headers": [
                (name.lower().encode("latin-1"), value.encode("latin-1"))
                for name, value in [("Host", parts.netloc or "localhost"), *headers.items()]
            ],
            "client": ("127.0.0.1", 0),
            "server": ("localhost", 443),
            "state": dict(self._state),  # what the lifespan startup put there, per call
        }
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        status = 0
        answer_headers: dict[str, str] = {}
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            if messages:
                return messages.pop()
            await asyncio.Event().wait()  # the client waits: a disconnect comes never
            return {"type": "http.disconnect"}  # pragma: no cover

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                for name, value in message.get("headers", ()):
                    answer_headers[name.decode("latin-1").title()] = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                chunks.append(bytes(message.get("body", b"")))

        raised = None
        try:
            await self.app(scope, receive, send)
        except Exception as exc:  # what an ASGI server turns into a 500
            raised = describe_exception(exc)
            call.raised_in = raised_in(exc)
            if status == 0:
                status, answer_headers = 500, {"Content-Type": "text/plain"}
                chunks = [b"Internal Server Error"]
        finally:
            done(token)
        if status == 0:  # as uvicorn answers an app that never started a response
            status, answer_headers = 500, {"Content-Type": "text/plain"}
            chunks = [b"Internal Server Error"]
            raised = raised or "the ASGI app returned without starting a response"
        if status >= 500 and raised is None:
            raised = call.exception
        return status, answer_headers, b"".join(chunks), raised


async def _cancel_the_rest() -> None:
    """Cancel every task of this loop but the current one, and wait for them."""
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)


class _Lifespan:
    """The ASGI lifespan protocol, as a server runs it (uvicorn's ``auto`` mode)."""

    def __init__(self, app: Callable[..., Any], state: dict[str, Any]) -> None:
        self.app = app
        self.state = state
        self.supported = False
        self._to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._received = False
        self._task: asyncio.Task[None] | None = None

    async def _receive(self) -> dict[str, Any]:
        self._received = True
        return await self._to_app.get()

    async def _send(self, message: dict[str, Any]) -> None:
        await self._from_app.put(message)

    async def _run(self) -> None:
        scope = {
            "type": "lifespan",
            "asgi": {"version": "3.0", "spec_version": "2.0"},
            "state": self.state,
        }
        try:
            await self.app(scope, self._receive, self._send)
        except BaseException as exc:
            await self._from_app.put({"type": "raised", "error": describe_exception(exc)})
        else:
            await self._from_app.put({"type": "returned"})

    async def startup(self) -> str | None:
        """None when the app started (or has no lifespan), else what went wrong."""
        self._task = asyncio.get_running_loop().create_task(self._run())
        await self._to_app.put({"type": "lifespan.startup"})
        try:
            message = await asyncio.wait_for(self._from_app.get(), LIFESPAN_TIMEOUT)
        except asyncio.TimeoutError:
            return f"did not finish within {LIFESPAN_TIMEOUT:g} s"
        kind = message["type"]
        if kind == "lifespan.startup.complete":
            self.supported = True
            return None
        if kind == "lifespan.startup.failed":
            return f"failed: {message.get('message') or 'no message'}"
        if kind == "raised" and self._received:
            return f"raised {message['error']}"
        return None  # returned or raised before the startup event: no lifespan

    async def shutdown(self) -> None:
        await self._to_app.put({"type": "lifespan.shutdown"})
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._from_app.get(), LIFESPAN_TIMEOUT)
