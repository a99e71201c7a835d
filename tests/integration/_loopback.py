"""A scripted HTTP server on 127.0.0.1, shared by the sync HTTP integration tests.

The server (``http.server.ThreadingHTTPServer`` in a thread, one per test, at
an ephemeral port) answers from a script: each route has a list of replies,
used in order, the last repeated. A reply is fixed or computed from the request
(to check a cookie or a token, or to answer per location). Every request is
recorded: method, path, query, headers and body. A reply may be delayed, to
make a client time out; the delay ends early when the server stops, so a test
never waits it out.

:class:`Sleeps` is a ``sleep`` for the clients that records the delays asked
for and does not wait, so backoff costs no time and can be asserted.

Not a conftest: test modules import it (``from _loopback import ...``) and
declare the fixtures they need.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

__all__ = ["FakeServer", "Reply", "Script", "Seen", "Sleeps", "basic"]


@dataclass(frozen=True)
class Seen:
    """One request the server received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    """Header names in lower case."""
    body: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


@dataclass(frozen=True)
class Reply:
    """One scripted answer."""

    status: int = 200
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to wait before answering (ended early when the server stops)."""


Script = Reply | Callable[[Seen], Reply]
"""A fixed reply, or one computed from the request."""


class FakeServer:
    """A scripted HTTP server: ``route`` the replies, ``start``, then read ``seen``.

    Also a context manager that starts it and stops it.
    """

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.release = threading.Event()
        self._routes: dict[tuple[str, str], list[Script]] = {}
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def route(self, method: str, path: str, *replies: Script) -> None:
        """Answer ``method path`` with ``replies`` in order, the last one repeated."""
        assert replies
        self._routes[(method, path)] = list(replies)

    def requests(self, path: str) -> list[Seen]:
        """The requests received for ``path``, in order."""
        return [seen for seen in self.seen if seen.path == path]

    def answer(self, seen: Seen) -> Reply:
        """Record ``seen`` and pick its reply (404 for a path without a route)."""
        with self._lock:
            self.seen.append(seen)
            queue = self._routes.get((seen.method, seen.path))
            if not queue:
                return Reply(404, "no route")
            script = queue.pop(0) if len(queue) > 1 else queue[0]
        return script(seen) if callable(script) else script

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """End delayed replies, stop serving and close the socket (also if never started)."""
        self.release.set()
        if self._thread.is_alive():
            self._httpd.shutdown()  # waits for serve_forever: only once started
        self._httpd.server_close()
        if self._thread.ident is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up (timeout test) is expected, not an error


def _handler(server: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            url = urlsplit(self.path)
            seen = Seen(
                method=self.command,
                path=url.path,
                query=parse_qs(url.query),
                headers={key.lower(): value for key, value in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            reply = server.answer(seen)
            if reply.delay and server.release.wait(reply.delay):
                return  # the test is over
            data = reply.body.encode()
            try:
                self.send_response(reply.status)
                for key, value in {"Content-Type": "application/json", **reply.headers}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@dataclass
class Sleeps:
    """A ``sleep`` that records the delays asked for and does not wait."""

    delays: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def basic(user: str, password: str = "") -> str:
    """The ``Authorization`` header of HTTP Basic auth."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
