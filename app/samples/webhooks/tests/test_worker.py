"""The worker inside a running app, calling a real receiver on loopback.

Delays are short and real; the tests wait on what the receiver received (in a
thread, so the app's event loop keeps running), never on a fixed sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from quart import Quart

from app import create_app
from app.core import database as db
from app.samples.webhooks import signing
from app.samples.webhooks.service import Delivery, Outbox
from app.samples.webhooks.settings import DEV_WEBHOOK_SECRET
from tests.support.live import migrated_copy
from tests.support.receiver import Call, Receiver

DELAY = 0.5
BASE = 0.1


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.stop()


@pytest.fixture
def settings(tmp_path: Path, receiver: Receiver) -> dict[str, Any]:
    return {
        "TESTING": True,
        "DATABASE_URL": migrated_copy(tmp_path / "app.db"),
        "CALLBACK_URL": receiver.url,
        "WEBHOOK_DELAY": 0,
        "WEBHOOK_RETRY_BASE": BASE,
        "WEBHOOK_MAX_ATTEMPTS": 4,
        "WEBHOOK_TIMEOUT": 2.0,
    }


@asynccontextmanager
async def serving(settings: dict[str, Any]) -> AsyncIterator[Quart]:
    app = create_app(settings)
    async with app.test_app():
        yield app


async def schedule(app: Quart, query: str = "") -> str:
    response = await app.test_client().post(f"/api/endpoint{query}")
    assert response.status_code == 200
    return str((await response.get_json())["identifier"])


async def received(
    receiver: Receiver, done: Callable[[list[Call]], bool]
) -> list[Call]:
    return await asyncio.to_thread(receiver.wait_until, done)


async def stored(settings: dict[str, Any], identifier: str) -> Delivery:
    """The delivery as the database has it, read after the app has stopped."""
    async with db.connected(create_app(settings)) as opened:
        return await Outbox(opened.sessions).get(identifier)


async def test_callback_arrives_after_the_delay_and_verifies(
    settings: dict[str, Any], receiver: Receiver
) -> None:
    async with serving({**settings, "WEBHOOK_DELAY": DELAY}) as app:
        posted = time.time()
        identifier = await schedule(app, "?some_parameter=some_value")
        [call] = await received(receiver, lambda calls: len(calls) == 1)
    assert call.at - posted >= DELAY
    assert call.query == {
        "success": "true",
        "identifier": identifier,
        "some_parameter": "some_value",
    }
    assert signing.verify(DEV_WEBHOOK_SECRET, call.headers, call.raw_query, time.time())
    assert call.headers["webhook-id"].startswith("msg_")
    delivery = await stored(settings, identifier)
    assert (delivery.status, delivery.attempts) == ("delivered", 1)


async def test_no_parameter_means_none_in_the_callback(
    settings: dict[str, Any], receiver: Receiver
) -> None:
    async with serving(settings) as app:
        identifier = await schedule(app)
        [call] = await received(receiver, lambda calls: len(calls) == 1)
    assert call.query == {"success": "true", "identifier": identifier}


async def test_three_failures_then_delivered_on_attempt_four(
    settings: dict[str, Any], receiver: Receiver
) -> None:
    receiver.answer = lambda call, nth: 503 if nth <= 3 else 200
    async with serving(settings) as app:
        identifier = await schedule(app)
        calls = await received(receiver, lambda calls: len(calls) == 4)
    assert {call.headers["webhook-id"] for call in calls} == {
        calls[0].headers["webhook-id"]
    }
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(calls)]
    for attempt, gap in enumerate(gaps, start=1):
        ceiling = BASE * 2 ** (attempt - 1)
        assert gap >= ceiling / 2, (attempt, gaps)
    delivery = await stored(settings, identifier)
    assert (delivery.status, delivery.attempts) == ("delivered", 4)
    assert delivery.last_error == "HTTP 503"


async def test_gives_up_after_the_maximum_attempts(
    settings: dict[str, Any], receiver: Receiver
) -> None:
    receiver.answer = lambda call, nth: 500
    async with serving(settings) as app:
        identifier = await schedule(app)
        await received(receiver, lambda calls: len(calls) == 4)
    delivery = await stored(settings, identifier)
    assert (delivery.status, delivery.attempts) == ("failed", 4)
    assert delivery.last_error == "HTTP 500"
    assert len(receiver.calls) == 4


@pytest.mark.parametrize("status", [410, 404, 400])
async def test_other_4xx_stop_at_once(
    settings: dict[str, Any], receiver: Receiver, status: int
) -> None:
    receiver.answer = lambda call, nth: status
    async with serving(settings) as app:
        identifier = await schedule(app)
        await received(receiver, lambda calls: len(calls) == 1)
    delivery = await stored(settings, identifier)
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.last_error == f"HTTP {status}"


@pytest.mark.parametrize("status", [408, 429])
async def test_408_and_429_are_retried(
    settings: dict[str, Any], receiver: Receiver, status: int
) -> None:
    receiver.answer = lambda call, nth: status if nth == 1 else 204
    async with serving(settings) as app:
        identifier = await schedule(app)
        await received(receiver, lambda calls: len(calls) == 2)
    assert (await stored(settings, identifier)).status == "delivered"


async def test_connection_errors_are_retried(settings: dict[str, Any]) -> None:
    # A server that accepts connections and closes them without a word.
    accepted = threading.Semaphore(0)
    listener = socket.create_server(("127.0.0.1", 0))

    def hang_up() -> None:
        with contextlib.suppress(OSError):
            while True:
                connection, _ = listener.accept()
                connection.close()
                accepted.release()

    threading.Thread(target=hang_up, daemon=True).start()
    port = listener.getsockname()[1]
    settings = {
        **settings,
        "CALLBACK_URL": f"http://127.0.0.1:{port}/hook",
        "WEBHOOK_MAX_ATTEMPTS": 2,
    }
    try:
        async with serving(settings) as app:
            identifier = await schedule(app)
            for _ in range(2):
                assert await asyncio.to_thread(accepted.acquire, timeout=20)
    finally:
        listener.close()
    delivery = await stored(settings, identifier)
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    # Which error depends on who is faster: the hang-up or the request.
    assert delivery.last_error in {
        "connection failed: RemoteProtocolError",
        "connection failed: ReadError",
        "connection failed: WriteError",
    }
