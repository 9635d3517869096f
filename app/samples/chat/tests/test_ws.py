"""The sample's sockets through Quart's test client: echo, policy, chat.

``tests/support/ws_client.py`` makes the test client report close codes and
reasons; ``test_ws_server.py`` checks them as a real client sees them too. The
close-code policy itself (limits, errors, shutdown) is the core's, tested in
``tests/core/test_websockets.py``.
"""

from __future__ import annotations

import base64

import pytest
from quart import Quart
from quart.testing.connections import WebsocketResponseError
from quart.typing import TestClientProtocol as _Client

from tests.support.ws_client import close_of, closing

ALICE = {"Authorization": "Basic " + base64.b64encode(b"alice:password").decode()}


@pytest.fixture
def client(app: Quart) -> _Client:
    """The test client, with sockets that report how the server closed them."""
    return closing(app.test_client())


async def test_echo_sends_text_and_binary_back(client: _Client) -> None:
    async with client.websocket("/ws/echo") as socket:
        await socket.send("hello")
        assert await socket.receive() == "hello"
        await socket.send(b"\x00\xff")
        assert await socket.receive() == b"\x00\xff"


async def test_policy_closes_with_1008(client: _Client) -> None:
    async with client.websocket("/ws/policy") as socket:
        assert await close_of(socket) == (1008, "Closing the connection...")


async def test_chat_relays_to_everyone_else(client: _Client) -> None:
    async with client.websocket("/ws/chat", headers=ALICE) as first:
        assert await first.receive() == "Welcome, alice: 1 here."
        async with client.websocket("/ws/chat", headers=ALICE) as second:
            assert await second.receive() == "Welcome, alice: 2 here."
            await first.send("hello")
            assert await second.receive() == "hello"
            await second.send(b"\x01")
            assert await first.receive() == b"\x01"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Basic " + base64.b64encode(b"alice:wrong").decode()},
     {"Authorization": "Bearer x"}],
)  # fmt: skip
async def test_chat_needs_credentials(client: _Client, headers: dict[str, str]) -> None:
    with pytest.raises(WebsocketResponseError) as refused:
        async with client.websocket("/ws/chat", headers=headers) as socket:
            await socket.receive()
    response = refused.value.response
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic realm=")
    assert (await response.get_json())["code"] == 401


async def test_chat_refuses_other_origins(client: _Client) -> None:
    headers = {**ALICE, "Origin": "https://evil.example"}
    with pytest.raises(WebsocketResponseError) as refused:
        async with client.websocket("/ws/chat", headers=headers) as socket:
            await socket.receive()
    assert refused.value.response.status_code == 403


async def test_chat_accepts_an_allowed_origin(client: _Client) -> None:
    headers = {**ALICE, "Origin": "http://127.0.0.1:5000"}
    async with client.websocket("/ws/chat", headers=headers) as socket:
        assert await socket.receive() == "Welcome, alice: 1 here."
