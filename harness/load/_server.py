"""The app ``botwebhook load --serve`` serves for the run, behind a production server.

A load run measures the handler, so the server in front of it must never be
the bottleneck, nor answer anything of its own: a WSGI app runs under waitress
and an ASGI app under uvicorn (both in the ``load`` extra), sized for the run
(waitress: a thread per user plus a margin, and a connection limit far above
the users; uvicorn: no concurrency limit).  Neither adds a deadline: the
platform's timeout is the client's, as in production.  If a limit of ours is
ever reached (waitress's connection limit), it is counted and reported as the
harness's, with the number, never as the handler's.

The server keeps counters and a short ring of what the handler printed and
logged on its failing calls, never a record per call: memory stays flat
however long the run.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from harness.delivery._asgi_target import is_asgi
from harness.delivery._capture import Call, done, install_routers, running
from harness.delivery._wsgi_call import read_all

__all__ = ["MARGIN", "RING", "ServedApp"]

#: Threads and connections above the number of users, for the calls the client
#: abandoned at its timeout that the handler is still running.
MARGIN = 16
#: How many failing calls' output the server keeps (the most recent).
RING = 8


class ServedApp:
    """``app`` served on 127.0.0.1 and a free port for a load run of ``users``."""

    def __init__(self, app: Callable[..., Any], *, users: int) -> None:
        self.app = app
        self.users = users
        self.asgi = is_asgi(app)
        self.threads = users + MARGIN
        self.connection_limit = 4 * users + 4 * MARGIN
        self.statuses: collections.Counter[int] = collections.Counter()
        self.failures: collections.deque[str] = collections.deque(maxlen=RING)
        #: Limits of ours that were reached: message -> how many times.
        self.limits: collections.Counter[str] = collections.Counter()
        #: The deepest the server's own queue grew (every thread busy).
        self.queue_depth = 0
        self._lock = threading.Lock()
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    # -- counting ---------------------------------------------------------------------

    def _count(self, status: int, call: Call) -> None:
        with self._lock:
            self.statuses[status] += 1
            if status >= 500 or call.exception:
                said = call.output or call.exception or f"answered {status}"
                self.failures.append(said)

    # -- the apps, wrapped: each call's output captured on its own ----------------------

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        call = Call(capture=True)
        token = running(call)
        status = [500]

        def start(line: str, headers: Any, exc_info: Any = None) -> Any:
            status[0] = int(line.split(" ", 1)[0])
            return start_response(line, headers, exc_info)

        try:
            body = read_all(self.app(environ, start))
        except BaseException as exc:
            call.exception = f"{type(exc).__name__}: {exc}"
            self._count(500, call)
            raise  # waitress answers 500, as it would in production
        finally:
            done(token)
        self._count(status[0], call)
        return [body]

    async def _asgi(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        call = Call(capture=True)
        token = running(call)
        status = [500]

        async def sending(message: dict[str, Any]) -> None:
            if message.get("type") == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except BaseException as exc:
            call.exception = f"{type(exc).__name__}: {exc}"
            self._count(500, call)
            raise
        finally:
            done(token)
        self._count(status[0], call)

    # -- starting and stopping ----------------------------------------------------------

    def start(self) -> ServedApp:
        install_routers(streams=True)  # the handler's prints: kept with its calls
        _quiet_loggers(self)
        if self.asgi:
            self._start_uvicorn()
        else:
            self._start_waitress()
        return self

    def _start_waitress(self) -> None:
        from waitress import create_server

        server = create_server(
            self._wsgi,
            host="127.0.0.1",
            port=0,
            threads=self.threads,
            connection_limit=self.connection_limit,
            backlog=max(1024, self.connection_limit),
            asyncore_use_poll=True,  # past 1,024 descriptors select() fails
            channel_timeout=120,
            ident="botwebhook-load",
        )
        self._server = server
        self.port = int(server.effective_port)
        self._thread = threading.Thread(target=server.run, name="botwebhook-serve", daemon=True)
        self._thread.start()

    def _start_uvicorn(self) -> None:
        import uvicorn

        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._asgi,
            interface="asgi3",  # a bound method: uvicorn's guess would be ASGI 2
            log_config=None,  # its log goes to our handler, not over the summary
            log_level="warning",
            access_log=False,
            lifespan="auto",
            backlog=max(2048, 4 * self.users),
            timeout_keep_alive=120,
        )
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(
            target=lambda: asyncio.run(server.serve(sockets=[sock])),
            name="botwebhook-serve",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + 15
        while not server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        if not server.started:
            from harness._errors import TargetError

            raise TargetError("the ASGI app did not start under uvicorn (its lifespan failed?)")

    def stop(self) -> None:
        server = self._server
        if server is None:
            return
        self._server = None
        if self.asgi:
            server.should_exit = True
        else:
            server.close()
            server.task_dispatcher.shutdown(timeout=0.5)
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> ServedApp:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def summary(self) -> dict[str, Any]:
        """What the server saw: answers by status, the last failing calls' output,
        and the limits of ours that were reached."""
        with self._lock:
            return {
                "server": "uvicorn" if self.asgi else "waitress",
                "threads": None if self.asgi else self.threads,
                "connection_limit": None if self.asgi else self.connection_limit,
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "handler_output": list(self.failures),
                "harness_limits": dict(self.limits),
                "queue_depth": self.queue_depth,
            }


class _ServerLog(logging.Handler):
    """waitress's and uvicorn's own log: counted, never printed over the summary."""

    def __init__(self, served: ServedApp) -> None:
        super().__init__()
        self.served = served

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        served = self.served
        if "connection limit" in message:
            served.limits[
                f"waitress reached its limit of {served.connection_limit} open connections "
                "and stopped accepting new ones for a while"
            ] += 1
        elif message.startswith("Task queue depth is"):
            depth = int(message.rsplit(" ", 1)[-1])
            served.queue_depth = max(served.queue_depth, depth)


def _quiet_loggers(served: ServedApp) -> None:
    handler = _ServerLog(served)
    for name in ("waitress", "waitress.queue", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.propagate = False
