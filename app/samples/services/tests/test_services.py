"""Service A calling service B, with B served in-process (no network, no mocks).

B is a separate ``create_app()`` behind ``httpx.ASGITransport``; failures
are real: a closed port, a server that never answers, a B that answers 500.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from quart import Quart
from quart.typing import TestClientProtocol as _Client

from app import create_app
from app.samples.services import client as service_b
from tests.support.inprocess import Recording, b_client, transport


@pytest.fixture
async def to_b(app: Quart) -> AsyncIterator[Recording]:
    """Point A's client at a separate kit app, in-process."""
    recording = Recording(create_app({"TESTING": True}))
    async with b_client(recording) as b:
        service_b.use_client(app, b)
        yield recording


async def test_a_and_b_answer(client: _Client) -> None:
    assert await (await client.get("/a/")).get_json() == {"a": "a"}
    assert await (await client.get("/b/")).get_json() == {"b": "b"}


async def test_a_calls_b_and_passes_the_request_id_on(
    client: _Client, to_b: Recording
) -> None:
    response = await client.get("/a/call_b", headers={"X-Request-ID": "trace-7"})
    assert response.status_code == 200
    assert await response.get_json() == {"b": "b"}
    [sent] = to_b.requests
    assert (sent.method, sent.url.path) == ("GET", "/b/")
    assert sent.headers["X-Request-ID"] == "trace-7"


async def test_b_answering_500_is_a_502(app: Quart, client: _Client) -> None:
    broken = Quart("broken_b")

    @broken.get("/b/")
    async def fail() -> tuple[str, int]:
        return "oops", 500

    async with b_client(transport(broken)) as b:
        service_b.use_client(app, b)
        response = await client.get("/a/call_b")
    assert response.status_code == 502
    assert (await response.get_json())["message"] == "Service B answered 500, not 200."


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def hold() -> None:
        with contextlib.suppress(OSError):
            while True:
                held.append(listener.accept()[0])

    threading.Thread(target=hold, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()
    for connection in held:
        connection.close()


class TestFailures:
    @pytest.fixture
    def config(self, silent_port: int) -> dict[str, Any]:
        return {
            "TESTING": True,
            "SERVICE_B_URL": f"http://127.0.0.1:{silent_port}/b/",
            "SERVICE_B_TIMEOUT": 0.3,
        }

    async def test_a_slow_b_is_a_504(self, client: _Client) -> None:
        response = await client.get("/a/call_b")
        assert response.status_code == 504
        assert (await response.get_json())["code"] == 504

    async def test_an_unreachable_b_is_a_502(self, app: Quart, client: _Client) -> None:
        closed = socket.create_server(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        closed.close()  # nothing listens there now
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}/b/") as b:
            service_b.use_client(app, b)
            response = await client.get("/a/call_b")
        assert response.status_code == 502
        assert (await response.get_json())["message"] == "Service B cannot be reached."
