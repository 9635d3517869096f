"""Webhooks through real Hypercorn processes: nothing lost on restart or crash.

The receiver runs in the test process; the servers are separate processes
sharing one database, stopped with real signals.
"""

from __future__ import annotations

import asyncio
import secrets
import signal
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import httpx
import pytest

from app.samples.addressbook.tests.test_addresses_server import _drop
from tests.support.fixtures import TEST_DATABASE_URL
from tests.support.live import Server, migrate, migrated_copy
from tests.support.receiver import Call, Receiver

StartServer = Callable[[Mapping[str, str] | None], Server]
RESTART_DELIVERIES = 200
SHARED_DELIVERIES = 500


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.stop()


def _post(servers: Sequence[Server], count: int) -> list[str]:
    """Schedule ``count`` callbacks on each server at once, 16 requests at a time."""

    async def post_to(server: Server) -> list[str]:
        limits = httpx.Limits(max_connections=16)
        async with httpx.AsyncClient(base_url=server.url, limits=limits) as http:
            responses = await asyncio.gather(
                *(
                    http.post("/api/endpoint", params={"some_parameter": str(n)})
                    for n in range(count)
                )
            )
        return [response.json()["identifier"] for response in responses]

    async def post_all() -> list[str]:
        posted = await asyncio.gather(*(post_to(server) for server in servers))
        return [identifier for identifiers in posted for identifier in identifiers]

    return asyncio.run(post_all())


def _by_identifier(calls: list[Call]) -> dict[str, set[str]]:
    seen: dict[str, set[str]] = {}
    for call in calls:
        seen.setdefault(call.identifier, set()).add(call.headers["webhook-id"])
    return seen


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGKILL])
def test_pending_deliveries_survive_a_restart(
    start_server: StartServer,
    receiver: Receiver,
    tmp_path: Path,
    stop_signal: int,
) -> None:
    env = {
        "APP_DATABASE_URL": migrated_copy(tmp_path / "outbox.db"),
        "APP_CALLBACK_URL": receiver.url,
        "APP_WEBHOOK_DELAY": "2",
        # Calls that a SIGKILL cut short stay claimed for 3 timeouts (the
        # lease), then go out again: 3 s here, not 30.
        "APP_WEBHOOK_TIMEOUT": "1",
    }
    first = start_server(env).start()
    identifiers = _post([first], RESTART_DELIVERIES)
    first.stop(stop_signal)
    delivered_before = receiver.identifiers()

    start_server(env).start()
    calls = receiver.wait_until(
        lambda calls: {c.identifier for c in calls} >= set(identifiers), timeout=30
    )
    assert len(delivered_before) < RESTART_DELIVERIES  # most were still pending
    seen = _by_identifier(calls)
    assert set(seen) == set(identifiers)
    # A duplicate (a call cut short by the stop) carries the same delivery id.
    assert all(len(delivery_ids) == 1 for delivery_ids in seen.values())


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="TEST_DATABASE_URL is not set")
def test_two_instances_deliver_each_callback_once(
    start_server: StartServer, receiver: Receiver
) -> None:
    schema = f"test_{secrets.token_hex(6)}"
    env = {
        "APP_DATABASE_URL": TEST_DATABASE_URL,
        "APP_DATABASE_SCHEMA": schema,
        "APP_CALLBACK_URL": receiver.url,
        "APP_WEBHOOK_DELAY": "1",
    }
    migrate(env)
    try:
        servers = [start_server(env) for _ in range(2)]  # both start at once
        for server in servers:
            server.start()
        identifiers = _post(servers, SHARED_DELIVERIES // 2)
        receiver.wait_until(
            lambda calls: {c.identifier for c in calls} >= set(identifiers), timeout=30
        )
        for server in servers:
            assert server.stop(signal.SIGTERM) == 0
        calls = list(receiver.calls)
        assert sorted(call.identifier for call in calls) == sorted(identifiers)
    finally:
        asyncio.run(_drop(schema))
