"""Quart's WebSocket test client, made to report a close as a client sees it.

Quart 0.22's test client reports a server's close by its code only, and 0.23's
not at all (a later ``receive()`` waits forever). ``ClosingConnection``
raises ``ClosedError(code, reason)`` from ``receive()`` on both.
"""

from __future__ import annotations

import asyncio

from hypercorn.typing import ASGISendEvent, WebsocketScope
from quart import Quart
from quart.testing.connections import TestWebsocketConnection
from quart.typing import TestClientProtocol, TestWebsocketConnectionProtocol

CLOSE_WITHIN = 10.0  # seconds: a socket that never closes fails the test


class ClosedError(Exception):
    """The server closed the WebSocket with ``code`` and ``reason``."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason


class ClosingConnection(TestWebsocketConnection):
    """A test connection whose ``receive()`` raises ``ClosedError`` after a close."""

    def __init__(self, app: Quart, scope: WebsocketScope) -> None:
        # Close reasons are in ASGI's WebSocket spec from 2.3 on; Hypercorn
        # speaks 2.3, Quart's test scope says 2.1 (so Quart would drop them).
        scope["asgi"]["spec_version"] = "2.3"
        super().__init__(app, scope)

    async def _asgi_send(self, message: ASGISendEvent) -> None:
        if message["type"] == "websocket.close":
            closed = ClosedError(message.get("code", 1000), message.get("reason") or "")
            await self._receive_queue.put(closed)
            await self.disconnect()
        else:
            await super()._asgi_send(message)


def closing(client: TestClientProtocol) -> TestClientProtocol:
    """``client``, with WebSocket connections that report their close."""
    client.websocket_connection_class = ClosingConnection
    return client


async def close_of(connection: TestWebsocketConnectionProtocol) -> tuple[int, str]:
    """Read until the server closes; its code and reason."""
    try:
        async with asyncio.timeout(CLOSE_WITHIN):
            while True:
                await connection.receive()
    except ClosedError as closed:
        return closed.code, closed.reason
