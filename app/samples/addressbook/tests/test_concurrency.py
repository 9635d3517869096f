"""Two app instances on one database: no lost update, no lost or shared id.

Written for PostgreSQL (several workers or machines on one database); the
lost-update race also runs on SQLite, where its single writer lock serialises.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as _Client

from app import create_app

WRITERS = 20
CREATES = 1000


@pytest.fixture
async def clients(database: dict[str, Any]) -> AsyncIterator[list[_Client]]:
    apps: list[Quart] = [create_app({"TESTING": True, **database}) for _ in range(2)]
    async with apps[0].test_app(), apps[1].test_app():
        yield [app.test_client() for app in apps]


async def test_one_writer_wins_the_same_etag(clients: list[_Client]) -> None:
    created = await clients[0].post("/addresses", json={"full_name": "Bill Gates"})
    location = created.headers["Location"]
    etag = (await clients[1].get(location)).headers["ETag"]

    async def put(n: int) -> int:
        body = {"full_name": f"Writer {n}"}
        client = clients[n % 2]
        response = await client.put(location, json=body, headers={"If-Match": etag})
        return response.status_code

    statuses = await asyncio.gather(*(put(n) for n in range(WRITERS)))
    assert sorted(statuses) == [204] + [412] * (WRITERS - 1)
    winner = statuses.index(204)
    stored = await (await clients[0].get(location)).get_json()
    assert stored["full_name"] == f"Writer {winner}"


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
async def test_concurrent_creates_get_distinct_ids(clients: list[_Client]) -> None:
    async def create(n: int) -> str:
        client = clients[n % 2]
        response = await client.post("/addresses", json={"full_name": f"P{n}"})
        assert response.status_code == 201
        return str(response.headers["Location"])

    locations = await asyncio.gather(*(create(n) for n in range(CREATES)))
    assert len(set(locations)) == CREATES
    listed: dict[str, Any] = {}
    after = ""
    while True:
        page = await clients[1].get(f"/addresses?limit=500{after}")
        listed.update(await page.get_json())
        if "Link" not in page.headers:
            break
        after = f"&after={list(listed)[-1]}"
    assert len(listed) == CREATES
    assert {f"/addresses/{key}" for key in listed} == set(locations)
    assert sorted(entry["full_name"] for entry in listed.values()) == sorted(
        f"P{n}" for n in range(CREATES)
    )
