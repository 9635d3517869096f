"""The core's WebSocket policy, through the probe's sockets and Quart's test client.

Limits (size, silence), close codes from exceptions, HTTP answers before
accept, and 1001 at shutdown. ``test_server.py`` checks them as a real
client sees them, over a real Hypercorn.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from quart import Quart
from quart.testing.connections import WebsocketResponseError
from quart.typing import TestClientProtocol as _Client

from tests.support.live import Server
from tests.support.probe import create_probe_app
from tests.support.ws_client import RawClient, close_of, closing


@pytest.fixture
def client(app: Quart) -> _Client:
    """The test client, with sockets that report how the server closed them."""
    return closing(app.test_client())


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


async def test_unexpected_error_closes_with_1011(
    client: _Client, caplog: pytest.LogCaptureFixture
) -> None:
    async with client.websocket("/probe/ws/boom") as socket:
        await socket.send("go")
        assert await close_of(socket) == (1011, "Internal error")
    assert "hunter2" in caplog.text  # logged, never sent


async def test_http_error_after_accept_closes_with_1008(client: _Client) -> None:
    async with client.websocket("/probe/ws/gone") as socket:
        assert await close_of(socket) == (1008, "Gone.")


async def test_error_before_accept_is_an_http_answer(client: _Client) -> None:
    with pytest.raises(WebsocketResponseError) as refused:
        async with client.websocket("/probe/ws/refuse") as socket:
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


@pytest.mark.parametrize(
    ("opcode", "payload", "first", "code"),
    [
        (0x1, b"\xff\xfe", 0x80, 1007),  # a text frame that is not UTF-8
        (0x1, b"hi", 0x80 | 0x40, 1002),  # a reserved bit no extension uses
        (0x3, b"?", 0x80, 1002),  # a reserved opcode
    ],
)
def test_a_protocol_error_gets_a_close_frame_with_its_code(
    probe_server: Server, opcode: int, payload: bytes, first: int, code: int
) -> None:
    client = RawClient(probe_server.url, "/probe/ws/echo", {})
    client.send_frame(opcode, payload, first=first)
    assert client.read_until_close()[0] == code  # not a bare TCP close
