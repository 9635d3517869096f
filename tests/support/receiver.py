"""A real webhook receiver for tests: an HTTP server on a free loopback port.

It records every call (path, query, headers, arrival time, body) and answers with
the status that ``answer(call, nth)`` picks, ``nth`` counting the calls for
the same identifier from 1. Tests wait on what it has received, not on time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Call:
    """One callback as it arrived."""

    path: str
    raw_query: str
    query: dict[str, str]
    headers: dict[str, str]
    at: float
    body: bytes = b""

    @property
    def identifier(self) -> str:
        return self.query.get("identifier", "")


Answer = Callable[[Call, int], int]


class _Server(ThreadingHTTPServer):
    # Bursts of callbacks: the default backlog of 5 made the kernel drop
    # connections, which clients then retried a second later.
    request_queue_size = 128


class Receiver:
    """Start with ``Receiver(answer)``; ``.url``; ``.wait_until(...)``; ``.stop()``."""

    def __init__(self, answer: Answer | None = None) -> None:
        self.answer: Answer = answer or (lambda call, nth: 200)
        self.calls: list[Call] = []
        self._changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real receivers do

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                call = Call(
                    parts.path,
                    parts.query,
                    query,
                    {k.lower(): v for k, v in self.headers.items()},
                    time.time(),
                    self.rfile.read(length),
                )
                with receiver._changed:
                    receiver.calls.append(call)
                    nth = sum(c.identifier == call.identifier for c in receiver.calls)
                    receiver._changed.notify_all()
                self.send_response(receiver.answer(call, nth))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self) -> None:
                self.do_GET()  # an OTLP exporter posts its spans; kept as body

            def log_message(self, format: str, *args: object) -> None:
                pass  # the test reads .calls instead

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # stop() returns when the loop next checks: poll often, not twice a second.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.01,), daemon=True
        )
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def wait_until(
        self, done: Callable[[list[Call]], bool], timeout: float = 20
    ) -> list[Call]:
        """Block until ``done(calls)``; fail after ``timeout`` seconds."""
        with self._changed:
            if not self._changed.wait_for(lambda: done(self.calls), timeout):
                raise AssertionError(f"gave up waiting; received {len(self.calls)}")
            return list(self.calls)

    def identifiers(self) -> set[str]:
        """The distinct identifiers received so far."""
        with self._changed:
            return {call.identifier for call in self.calls}

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
