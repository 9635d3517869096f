"""Quart's WebSocket test client, made to report a close as a client sees it.

Quart 0.22's test client reports a server's close by its code only, and 0.23's
not at all (a later ``receive()`` waits forever). ``ClosingConnection``
raises ``ClosedError(code, reason)`` from ``receive()`` on both.
"""

from __future__ import annotations

import asyncio
import base64
import socket
from collections.abc import Mapping

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


class RawClient:
    """A WebSocket client on a bare socket, which reads only when told to."""

    def __init__(self, base: str, path: str, headers: Mapping[str, str]) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(30)
        self.sock.connect((host, int(port)))
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: {host}:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: " + base64.b64encode(b"0123456789abcdef").decode(),
            "Sec-WebSocket-Version: 13",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101"), head

    def send_frame(self, opcode: int, payload: bytes, *, first: int = 0x80) -> None:
        """Send one frame, masked as a client must; ``first`` holds FIN and RSV."""
        mask = b"\x01\x02\x03\x04"
        masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
        assert len(payload) < 126  # short frames are enough for protocol tests
        self.sock.sendall(bytes([first | opcode, 0x80 | len(payload)]) + mask + masked)

    def _recv(self) -> bytes:
        data = self.sock.recv(65536)
        if not data:
            raise AssertionError("the server hung up without a close frame")
        return data

    def _take(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self.buffer += self._recv()
        taken, self.buffer = self.buffer[:size], self.buffer[size:]
        return taken

    def read_until_close(self) -> tuple[int, str]:
        """Read (and drop) frames until a close frame; its code and reason."""
        try:
            while True:
                first, second = self._take(2)
                length = second & 0x7F
                if length == 126:
                    length = int.from_bytes(self._take(2), "big")
                elif length == 127:
                    length = int.from_bytes(self._take(8), "big")
                payload = self._take(length)
                if first & 0x0F == 0x8:  # close
                    return int.from_bytes(payload[:2], "big"), payload[2:].decode()
        finally:
            self.sock.close()
