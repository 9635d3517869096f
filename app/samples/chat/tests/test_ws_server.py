"""WebSockets against a real Hypercorn, with a real client (``websockets``).

These see what a client sees: close codes and reasons, handshake statuses,
and what happens at SIGTERM.
"""

from __future__ import annotations

import asyncio
import base64
import signal
import time
from collections.abc import Callable, Mapping

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin

from tests.support.live import Server
from tests.support.ws_client import RawClient

StartServer = Callable[[Mapping[str, str] | None], Server]
ALICE = {"Authorization": "Basic " + base64.b64encode(b"alice:password").decode()}


def _ws(server: Server, path: str) -> str:
    return server.url.replace("http://", "ws://") + path


async def _close_of(client: ClientConnection) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as closed:
        await _read_until_closed(client)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def _read_until_closed(client: ClientConnection) -> None:
    while True:
        await client.recv()


async def test_echo(server: Server) -> None:
    headers = {"X-Request-ID": "ws-trace-1"}
    async with connect(_ws(server, "/ws/echo"), additional_headers=headers) as client:
        assert client.response is not None
        assert client.response.headers["X-Request-ID"] == "ws-trace-1"
        await client.send("hello")
        assert await client.recv() == "hello"
        await client.send(b"\x00\x01")
        assert await client.recv() == b"\x00\x01"


async def test_policy_close_as_the_client_sees_it(server: Server) -> None:
    async with connect(_ws(server, "/ws/policy")) as client:
        assert await _close_of(client) == (1008, "Closing the connection...")


async def test_oversize_message_closes_with_1009(server: Server) -> None:
    async with connect(_ws(server, "/ws/echo"), max_size=None) as client:
        await client.send("x" * (64 * 1024 + 1))
        # Hypercorn refuses it before assembling more than the app would take.
        code, _ = await _close_of(client)
        assert code == 1009


async def test_chat_handshake_refusals(server: Server) -> None:
    with pytest.raises(InvalidStatus) as no_credentials:
        async with connect(_ws(server, "/ws/chat")):
            pass
    assert no_credentials.value.response.status_code == 401
    with pytest.raises(InvalidStatus) as other_origin:
        async with connect(
            _ws(server, "/ws/chat"),
            additional_headers=ALICE,
            origin=Origin("https://evil.test"),
        ):
            pass
    assert other_origin.value.response.status_code == 403


async def test_chat_between_two_clients(server: Server) -> None:
    url = _ws(server, "/ws/chat")
    async with connect(url, additional_headers=ALICE) as first:
        assert (await first.recv(decode=True)).startswith("Welcome, alice")
        async with connect(url, additional_headers=ALICE) as second:
            assert (await second.recv(decode=True)).startswith("Welcome, alice")
            await first.send("hello")
            assert await second.recv() == "hello"


async def test_sigterm_sends_1001_and_exits_within_the_graceful_timeout(
    start_server: StartServer,
) -> None:
    live = start_server(None).start()
    async with connect(_ws(live, "/ws/echo")) as client:
        await client.send("ping")
        assert await client.recv() == "ping"
        started = time.monotonic()
        live.process.send_signal(signal.SIGTERM)
        assert await _close_of(client) == (1001, "Server shutting down")
    assert live.process.wait(10) == 0
    assert time.monotonic() - started < 5  # hypercorn.toml's graceful_timeout
    live.stop()  # collects the rest of its output
    assert not [line for line in live.lines if "Task was destroyed" in line]  # leaks


async def test_a_chat_client_that_does_not_read_is_closed_with_1008(
    start_server: StartServer,
) -> None:
    live = start_server({"APP_WS_SEND_QUEUE": "16"}).start()
    url = _ws(live, "/ws/chat")
    lagger = RawClient(live.url, "/ws/chat", ALICE)
    message = "x" * 32 * 1024
    async with (
        connect(url, additional_headers=ALICE) as talker,
        connect(url, additional_headers=ALICE, max_queue=None) as reader,
    ):
        for client in (talker, reader):
            assert (await client.recv(decode=True)).startswith("Welcome")
        for _ in range(400):  # ~13 MB: more than the kernel buffers hold
            await talker.send(message)
        # A client that reads gets every message; once it has, the server has
        # offered them all to the lagger too, which must have been dropped.
        for _ in range(400):
            assert await reader.recv() == message
        closed = await asyncio.to_thread(lagger.read_until_close)
    assert closed == (1008, "Too slow: messages went unread")
