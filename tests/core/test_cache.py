"""The response cache: hits, misses, what is kept, one fill per key, Redis failing.

Through the probe's ``/probe/cached/<name>``, which counts how often it was
made. The in-process store runs always; Redis when ``TEST_REDIS_URL`` is set
(``.ci/run`` sets it when Redis answers), and a Redis that is not there
always.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
from typing import Any

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as _Client

from app.core.cache import MemoryStore, RedisStore
from tests.support.fixtures import TEST_REDIS_URL
from tests.support.live import free_port, migrated_copy
from tests.support.probe import create_probe_app
from tests.support.turns import until


@pytest.fixture
def config(store: dict[str, Any]) -> dict[str, Any]:
    """The probe app (tests/conftest.py's ``app``) on each store."""
    return {"TESTING": True, **store}


@pytest.fixture
def name() -> str:
    # Redis is shared by every test (and worker): each test its own tag.
    return f"t{secrets.token_hex(6)}"


async def test_a_miss_then_hits_until_invalidated(app: Quart, name: str) -> None:
    client = app.test_client()
    answers = [await client.get(f"/probe/cached/{name}") for _ in range(3)]
    assert [a.headers["X-Cache"] for a in answers] == ["Miss", "Hit", "Hit"]
    assert {(await a.get_json())["made"] for a in answers} == {1}
    assert answers[1].headers["ETag"] == answers[0].headers["ETag"]
    assert "X-Request-Id" in answers[1].headers  # the hit's own, not the stored one
    assert answers[1].headers["X-Request-Id"] != answers[0].headers["X-Request-Id"]

    assert (await client.post(f"/probe/cached/{name}/invalidate")).status_code == 204
    again = await client.get(f"/probe/cached/{name}")
    assert again.headers["X-Cache"] == "Miss"
    assert (await again.get_json())["made"] == 2


async def test_keys_are_the_url_and_the_headers_it_varies_on(
    app: Quart, name: str
) -> None:
    client = app.test_client()
    first = await client.get(f"/probe/cached/{name}")
    yaml = await client.get(f"/probe/cached/{name}", headers={"Accept": "text/yaml"})
    query = await client.get(f"/probe/cached/{name}?page=2")
    assert [a.headers["X-Cache"] for a in (first, yaml, query)] == ["Miss"] * 3
    assert yaml.mimetype == "text/yaml"
    hit = await client.get(f"/probe/cached/{name}", headers={"Accept": "text/yaml"})
    assert hit.headers["X-Cache"] == "Hit"
    assert hit.mimetype == "text/yaml"


@pytest.mark.parametrize("query", ["status=404", "cookie=1"])
async def test_errors_and_cookies_are_not_kept(
    app: Quart, name: str, query: str
) -> None:
    client = app.test_client()
    for made in (1, 2):
        answer = await client.get(f"/probe/cached/{name}?{query}")
        assert "X-Cache" not in answer.headers
        assert (await answer.get_json())["made"] == made


async def test_conditionals_and_ranges_are_answered_from_the_entry(
    app: Quart, name: str
) -> None:
    client = app.test_client()
    for state in ("Miss", "Hit"):
        path = f"/probe/cached/{name}"
        whole = await client.get(path)
        tag = whole.headers["ETag"]
        fresh = await client.get(path, headers={"If-None-Match": tag})
        assert (fresh.status_code, fresh.headers["X-Cache"]) == (304, "Hit")
        data = await whole.get_data(as_text=False)
        part = await client.get(path, headers={"Range": "bytes=0-4"})
        assert part.status_code == 206
        assert await part.get_data(as_text=False) == data[:5]
        # The last 5 bytes: Quart's own make_conditional answers this with a 500.
        suffix = await client.get(path, headers={"Range": "bytes=-5"})
        assert suffix.status_code == 206
        assert (
            suffix.headers["Content-Range"]
            == f"bytes {len(data) - 5}-{len(data) - 1}/{len(data)}"
        )
        assert await suffix.get_data(as_text=False) == data[-5:]
        other = await client.get(
            path, headers={"Range": "bytes=0-4", "If-Range": '"old"'}
        )
        assert other.status_code == 200  # another version: the whole of this one
        assert whole.headers["X-Cache"] == state
        beyond = await client.get(path, headers={"Range": "bytes=9999-"})
        assert beyond.status_code == 416
        assert (await beyond.get_json())["code"] == 416


async def test_concurrent_misses_make_the_answer_once(app: Quart, name: str) -> None:
    client = app.test_client()
    gate = app.extensions["probe.gate"] = asyncio.Event()
    waiting = [
        asyncio.ensure_future(client.get(f"/probe/cached/{name}")) for _ in range(50)
    ]
    cache = app.extensions["cache"]
    await until(lambda: cache.joined == 49)  # the others wait for the first's answer
    gate.set()
    answers = await asyncio.gather(*waiting)
    assert app.extensions["probe.calls"][name] == 1
    assert {(await a.get_json())["made"] for a in answers} == {1}
    assert {(a.status_code, a.headers["X-Cache"]) for a in answers} == {(200, "Miss")}


async def test_a_client_that_hangs_up_does_not_cancel_the_others_answer(
    app: Quart, name: str
) -> None:
    client = app.test_client()
    gate = app.extensions["probe.gate"] = asyncio.Event()
    first = asyncio.ensure_future(client.get(f"/probe/cached/{name}"))
    second = asyncio.ensure_future(client.get(f"/probe/cached/{name}"))
    await until(lambda: app.extensions["cache"].joined == 1)
    first.cancel()
    gate.set()
    answer = await second
    assert answer.status_code == 200
    assert (await answer.get_json())["made"] == 1


def test_the_memory_store_drops_the_least_recently_used_past_its_bytes() -> None:
    async def run() -> None:
        store = MemoryStore(max_bytes=10)
        await store.put("a", "1", b"aaaa", 60)
        await store.put("b", "1", b"bbbb", 60)
        assert await store.get("a", "1") == b"aaaa"  # now b is the oldest used
        await store.put("c", "1", b"cccc", 60)
        assert await store.get("b", "1") is None
        assert await store.get("a", "1") == b"aaaa"
        assert store.size == 8
        await store.put("d", "1", b"x" * 11, 60)  # larger than the whole store
        assert await store.get("d", "1") is None
        await store.put("a", "2", b"aa", 60)
        await store.drop("a")
        assert await store.get("a", "1") is None
        assert await store.get("a", "2") is None
        assert store.size == 4
        await store.put("e", "1", b"e", 0)  # expired as soon as it is kept
        assert await store.get("e", "1") is None
        assert store.size == 4

    asyncio.run(run())


@pytest.mark.skipif(not TEST_REDIS_URL, reason="TEST_REDIS_URL is not set")
async def test_redis_keeps_a_tag_in_one_hash_that_expires(name: str) -> None:
    store = RedisStore(TEST_REDIS_URL, timeout=1.0)
    try:
        await store.put(name, "/a", b"one", 30)
        await store.put(name, "/b", b"two", 30)
        assert await store.get(name, "/a") == b"one"
        assert 0 < await store.redis.ttl(f"cache:{name}") <= 30
        await store.drop(name)
        assert await store.get(name, "/b") is None
    finally:
        await store.close()


async def test_redis_down_skips_the_cache_logs_once_and_degrades_readiness(
    tmp_path: Any, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_probe_app(
        {
            "TESTING": True,
            "DATABASE_URL": migrated_copy(tmp_path / "a.db"),
            "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        }
    )
    caplog.set_level(logging.WARNING, logger="app.core.cache")
    async with app.test_app():
        client: _Client = app.test_client()
        answers = [await client.get(f"/probe/cached/{name}") for _ in range(3)]
        ready = await client.get("/readyz")
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [(await a.get_json())["made"] for a in answers] == [1, 2, 3]
    warnings = [r for r in caplog.records if r.name == "app.core.cache"]
    assert len(warnings) == 1
    assert "cache skipped" in warnings[0].getMessage()
    assert ready.status_code == 200
    assert await ready.get_json() == {"status": "degraded", "degraded": ["cache"]}


async def test_a_redis_that_does_not_answer_costs_at_most_its_timeout(
    tmp_path: Any, name: str
) -> None:
    with socket.socket() as silent:  # takes connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        app = create_probe_app(
            {
                "TESTING": True,
                "DATABASE_URL": migrated_copy(tmp_path / "a.db"),
                "REDIS_URL": f"redis://127.0.0.1:{port}/0",
                "CACHE_TIMEOUT": 0.2,
            }
        )
        async with app.test_app():
            client: _Client = app.test_client()
            started = asyncio.get_running_loop().time()
            answers = [await client.get(f"/probe/cached/{name}") for _ in range(2)]
            took = asyncio.get_running_loop().time() - started
    assert [a.status_code for a in answers] == [200, 200]
    assert [(await a.get_json())["made"] for a in answers] == [1, 2]
    # Per request, a lookup and a put that each give up after 0.2 s.
    assert took < 2 * 2 * 0.2 + 1.0
