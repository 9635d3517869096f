"""A fast local webhook receiver: note when each callback arrives, answer 204.

Raw asyncio, not an ASGI app, so that the receiver costs next to nothing and
the time it notes is when the request's head was read, not when some
framework got round to it. It reads HTTP/1.1 requests on keep-alive
connections (the kit's httpx client reuses them), takes ``identifier`` from
the query string, and neither verifies signatures nor stores anything else:
it stands for a receiver that is never the bottleneck.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Iterator
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

NO_CONTENT = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n"
MAX_HEAD = 64 * 1024


@contextlib.contextmanager
def listening() -> Iterator[socket.socket]:
    """A socket listening on a free loopback port, before any event loop runs.

    The kit must be told the callback URL when it starts, so the port is
    bound first; callbacks that come early wait in the backlog.
    """
    with socket.create_server(("127.0.0.1", 0), backlog=512) as sock:
        yield sock


class Receiver:
    """Serve on ``sock`` within ``async with``; ``arrivals`` maps id to time."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.arrivals: dict[str, float] = {}
        self.duplicates = 0
        self.unreadable = 0
        self._server: asyncio.Server | None = None
        # Open connections, each with the task that serves it.
        self._open: dict[asyncio.StreamWriter, asyncio.Task[Any] | None] = {}
        self._expected = 0
        self._complete = asyncio.Event()

    async def __aenter__(self) -> Receiver:
        self._server = await asyncio.start_server(
            self._serve, sock=self.sock, limit=MAX_HEAD
        )
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.close()
        # Hang up on the kit's keep-alive connections and let each handler end
        # on its own: one cancelled by asyncio.run's clean-up would be logged.
        handlers = [task for task in self._open.values() if task is not None]
        for writer in list(self._open):
            writer.close()
        await asyncio.gather(*handlers, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def arrived(self, count: int) -> None:
        """Return once ``count`` different callbacks have arrived."""
        self._expected = count
        if len(self.arrivals) < count:
            self._complete.clear()
            await self._complete.wait()

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._open[writer] = asyncio.current_task()
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                self._record(head, time.time())
                if length := _content_length(head):
                    await reader.readexactly(length)
                writer.write(NO_CONTENT)
                await writer.drain()
        except (
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ConnectionError,
            ValueError,
        ):
            pass  # the client hung up (between requests, or not), or sent garbage
        finally:
            del self._open[writer]
            writer.close()

    def _record(self, head: bytes, arrived: float) -> None:
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split(" ")
        found = parse_qs(urlsplit(parts[1]).query) if len(parts) == 3 else {}
        identifiers = found.get("identifier", [])
        if len(identifiers) != 1:
            self.unreadable += 1
        elif identifiers[0] in self.arrivals:
            self.duplicates += 1
        else:
            self.arrivals[identifiers[0]] = arrived
            if self._expected and len(self.arrivals) >= self._expected:
                self._complete.set()


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip() or 0)
    return 0
