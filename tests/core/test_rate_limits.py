"""Rate limits: off by default, a budget per client, a shared one for sign-ins, Redis.

Through the probe's routes. Each test is a client of its own: a random
address that the trusted proxy (``PROXY_TRUSTED_HOPS = 1``) names in
``X-Forwarded-For``, so tests that share the real Redis (``TEST_REDIS_URL``,
which ``.ci/run`` sets when it answers) never spend each other's budget.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from quart import Quart

from app.core.rate_limits import MemoryStore
from tests.support.fixtures import TEST_REDIS_URL
from tests.support.live import Server, free_port, migrated_copy
from tests.support.probe import PROBE_APP, create_probe_app

WRONG = "Basic " + base64.b64encode(b"alice:wrong").decode()


@pytest.fixture
def config(store: dict[str, Any]) -> dict[str, Any]:
    """The probe app behind one trusted proxy, limited, on each store."""
    return {
        "TESTING": True,
        "PROXY_TRUSTED_HOPS": 1,
        "RATE_LIMIT": "3/minute",
        "RATE_LIMIT_SIGN_IN": "2/minute",
        **store,
    }


def a_client() -> dict[str, str]:
    """Headers that make a request come from a new client."""
    address = ".".join(str(random.randrange(1, 255)) for _ in range(4))
    return {"X-Forwarded-For": address}


async def test_a_client_past_its_budget_gets_a_429_with_retry_after(
    app: Quart,
) -> None:
    client, me = app.test_client(), a_client()
    answers = [await client.get("/probe/hello", headers=me) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["RateLimit-Remaining"] for a in answers[:3]] == ["2", "1", "0"]
    assert answers[0].headers["RateLimit-Limit"] == "3"
    refused = answers[3]
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    body = await refused.get_json()
    assert body["code"] == 429
    assert body["request_id"] == refused.headers["X-Request-Id"]
    # Another client, and the probes, are not refused.
    assert (await client.get("/probe/hello", headers=a_client())).status_code == 200
    for _ in range(4):
        assert (await client.get("/healthz", headers=me)).status_code == 200
        assert (await client.get("/readyz", headers=me)).status_code == 200
    # The budget is per route.
    assert (await client.get("/probe/headers", headers=me)).status_code == 200


async def test_sign_ins_share_one_smaller_budget_over_every_route(app: Quart) -> None:
    client, me = app.test_client(), a_client()
    guesses = {**me, "Authorization": WRONG}
    first = await client.get("/probe/user", headers=guesses)
    second = await client.get("/probe/hello", headers=guesses)
    third = await client.get("/probe/headers", headers=guesses)
    assert [a.status_code for a in (first, second, third)] == [401, 200, 429]
    # Without credentials, the client still has its budget per route.
    assert (await client.get("/probe/user", headers=me)).status_code == 401


@pytest.mark.parametrize("config", [{"TESTING": True, "RATE_LIMIT": "2/minute"}])
async def test_a_forged_forwarded_for_is_not_a_new_client(app: Quart) -> None:
    # No trusted proxy: X-Forwarded-For is whatever the client wrote.
    client = app.test_client()
    statuses = [
        (await client.get("/probe/hello", headers=a_client())).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]


@pytest.mark.parametrize("config", [{"TESTING": True}])
async def test_off_by_default(app: Quart) -> None:
    client, me = app.test_client(), a_client()
    guesses = {**me, "Authorization": WRONG}
    answers = [await client.get("/probe/user", headers=guesses) for _ in range(30)]
    assert {a.status_code for a in answers} == {401}
    assert "RateLimit-Limit" not in answers[0].headers


@pytest.mark.skipif(not TEST_REDIS_URL, reason="TEST_REDIS_URL is not set")
async def test_redis_keys_expire_when_their_window_has_passed(tmp_path: Any) -> None:
    from redis.asyncio import Redis

    app = create_probe_app(
        {
            "TESTING": True,
            "DATABASE_URL": migrated_copy(tmp_path / "a.db"),
            "PROXY_TRUSTED_HOPS": 1,
            "RATE_LIMIT": "10/hour",
            "REDIS_URL": TEST_REDIS_URL,
        }
    )
    me = a_client()
    async with app.test_app():
        answer = await app.test_client().get("/probe/hello", headers=me)
        assert answer.status_code == 200
    redis = Redis.from_url(TEST_REDIS_URL)
    try:
        keys = [
            k async for k in redis.scan_iter(f"rate-limit:*{me['X-Forwarded-For']}")
        ]
        assert len(keys) == 1
        # One request of ten an hour: its arrival time matters for 6 minutes.
        assert 0 < await redis.pttl(keys[0]) <= 6 * 60 * 1000
    finally:
        await redis.aclose()


async def test_redis_down_serves_unlimited_logs_once_and_degrades_readiness(
    tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_probe_app(
        {
            "TESTING": True,
            "DATABASE_URL": migrated_copy(tmp_path / "a.db"),
            "RATE_LIMIT": "2/minute",
            "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        }
    )
    caplog.set_level(logging.WARNING, logger="app.core.rate_limits")
    async with app.test_app():
        client = app.test_client()
        answers = [await client.get("/probe/hello") for _ in range(4)]
        ready = await client.get("/readyz")
    assert [a.status_code for a in answers] == [200] * 4
    warnings = [r for r in caplog.records if r.name == "app.core.rate_limits"]
    assert [w.getMessage().split(":")[0] for w in warnings] == ["rate limits skipped"]
    assert ready.status_code == 200
    assert "rate-limits" in (await ready.get_json())["degraded"]


def test_the_memory_store_forgets_passed_windows_past_its_size() -> None:
    async def run() -> None:
        store = MemoryStore(max_keys=3)
        now = datetime.now(UTC)
        await store.set("old-1", now - timedelta(seconds=1))
        await store.set("live-1", now + timedelta(minutes=1))
        await store.set("old-2", now - timedelta(seconds=1))
        assert len(store) == 3
        await store.set("live-2", now + timedelta(minutes=1))
        assert len(store) == 2  # the passed ones went
        assert await store.get("live-1", now) == now + timedelta(minutes=1)
        for n in range(3, 6):  # all live: the oldest written go first
            await store.set(f"live-{n}", now + timedelta(minutes=1))
        assert len(store) == 3
        assert await store.get("live-1", now) == now

    asyncio.run(run())


def test_two_instances_on_redis_spend_one_budget(
    start_server: Callable[..., Server],
) -> None:
    if not TEST_REDIS_URL:
        pytest.skip("TEST_REDIS_URL is not set")
    env = {
        "APP_REDIS_URL": TEST_REDIS_URL,
        "APP_RATE_LIMIT": "4/minute",
        "APP_PROXY_TRUSTED_HOPS": "1",
    }
    two_instances = [start_server(env, target=PROBE_APP).start() for _ in range(2)]
    me = a_client()
    statuses = [
        httpx.get(f"{server.url}/probe/hello", headers=me).status_code
        for server in (*two_instances, *two_instances, *two_instances)
    ]
    assert statuses == [200, 200, 200, 200, 429, 429]
