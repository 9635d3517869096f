"""The core's WebSocket policy, through the probe's sockets and Quart's test client.

Limits (size, silence), close codes from exceptions, HTTP answers before
accept, and 1001 at shutdown. ``test_server.py`` checks them as a real
client sees them, over a real Hypercorn.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from quart import Quart, websocket
from quart.testing.connections import WebsocketResponseError
from quart.typing import TestClientProtocol as _Client

from app.core import websockets as ws
from app.core.errors import APIError
from app.core.websockets import WebSocketError
from tests.support.probe import create_probe_app
from tests.support.ws_client import close_of, closing


@pytest.fixture
def client(app: Quart) -> _Client:
    """The test client, with sockets that report how the server closed them."""
    return closing(app.test_client())


async def test_echo_within_the_limits(client: _Client) -> None:
    async with client.websocket("/probe/ws/echo") as socket:
        await socket.send("hello")
        assert await socket.receive() == "hello"
        await socket.send(b"\x00\xff")
        assert await socket.receive() == b"\x00\xff"


async def test_a_websocket_error_closes_with_its_code(client: _Client) -> None:
    async with client.websocket("/probe/ws/close") as socket:
        assert await close_of(socket) == (1008, "Closing the connection...")


class TestLimits:
    @pytest.fixture
    def config(self) -> dict[str, Any]:
        return {"TESTING": True, "WS_MAX_MESSAGE_SIZE": 8, "WS_IDLE_TIMEOUT": 0.2}

    async def test_a_message_over_the_limit_closes_with_1009(
        self, client: _Client
    ) -> None:
        async with client.websocket("/probe/ws/echo") as socket:
            await socket.send("12345678")
            assert await socket.receive() == "12345678"
            await socket.send("123456789")
            assert await close_of(socket) == (1009, "Message too big")

    async def test_silence_closes_with_1001(self, client: _Client) -> None:
        async with client.websocket("/probe/ws/echo") as socket:
            assert await close_of(socket) == (1001, "Idle for too long")


@pytest.fixture
def failing_app(app: Quart) -> Quart:
    """The kit, plus routes that fail after accepting, in several ways."""

    def deep_inside() -> None:
        raise WebSocketError(4001, "Custom reason")

    @app.websocket("/ws/test/custom")
    async def custom() -> None:
        await ws.accept()
        await websocket.receive()
        deep_inside()

    @app.websocket("/ws/test/bug")
    async def bug() -> None:
        await ws.accept()
        raise RuntimeError("secret internals")

    @app.websocket("/ws/test/refused")
    async def refused() -> None:
        raise APIError(403, "Not for you.")

    @app.websocket("/ws/test/late-4xx")
    async def late_4xx() -> None:
        await ws.accept()
        raise APIError(404, "Gone.")

    return app


async def test_websocket_error_closes_with_its_code(failing_app: Quart) -> None:
    async with closing(failing_app.test_client()).websocket(
        "/ws/test/custom"
    ) as socket:
        await socket.send("go")
        assert await close_of(socket) == (4001, "Custom reason")


async def test_unexpected_error_closes_with_1011(
    failing_app: Quart, caplog: pytest.LogCaptureFixture
) -> None:
    async with closing(failing_app.test_client()).websocket("/ws/test/bug") as socket:
        assert await close_of(socket) == (1011, "Internal error")
    assert "secret internals" in caplog.text  # logged, never sent


async def test_http_error_after_accept_closes_with_1008(failing_app: Quart) -> None:
    async with closing(failing_app.test_client()).websocket(
        "/ws/test/late-4xx"
    ) as socket:
        assert await close_of(socket) == (1008, "Gone.")


async def test_error_before_accept_is_an_http_answer(failing_app: Quart) -> None:
    client = closing(failing_app.test_client())
    with pytest.raises(WebsocketResponseError) as refused:
        async with client.websocket("/ws/test/refused") as socket:
            await socket.receive()
    assert refused.value.response.status_code == 403
    assert (await refused.value.response.get_json())["message"] == "Not for you."


async def test_shutdown_closes_open_sockets_with_1001(tmp_path: Path) -> None:
    app = create_probe_app(
        {"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path}/a.db"}
    )
    client = closing(app.test_client())
    async with app.test_app():
        connection = client.websocket("/probe/ws/echo")
        socket = await connection.__aenter__()
        await socket.send("still here?")
        assert await socket.receive() == "still here?"
    # Leaving test_app() shut the app down, as SIGTERM does under Hypercorn.
    assert await close_of(socket) == (1001, "Server shutting down")
