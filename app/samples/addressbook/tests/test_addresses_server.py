"""/addresses through a real Hypercorn process: migrated by the CLI, kept on restart."""

from __future__ import annotations

import asyncio
import secrets
import signal
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.database import url_for
from tests.support.fixtures import BACKENDS, TEST_DATABASE_URL
from tests.support.live import Server, migrate

StartServer = Callable[[Mapping[str, str] | None], Server]


@pytest.fixture(params=BACKENDS)
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """A database no one has used yet: a new SQLite file, or a new schema."""
    if request.param == "sqlite":
        yield {"APP_DATABASE_URL": f"sqlite:///{tmp_path / 'kept.db'}"}
        return
    if not TEST_DATABASE_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    schema = f"test_{secrets.token_hex(6)}"
    yield {"APP_DATABASE_URL": TEST_DATABASE_URL, "APP_DATABASE_SCHEMA": schema}
    asyncio.run(_drop(schema))


async def _drop(schema: str) -> None:
    url = url_for({"DATABASE_URL": TEST_DATABASE_URL, "DATABASE_SCHEMA": None}, "")
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    await engine.dispose()


@pytest.mark.parametrize("stop_signal", [signal.SIGKILL])
def test_entries_survive_a_restart(
    start_server: StartServer, env: dict[str, str], stop_signal: int
) -> None:
    migrate(env)
    first = start_server(env).start()
    with httpx.Client(base_url=first.url) as http:
        created = http.post("/addresses", json={"full_name": "Bill Gates"})
        assert created.status_code == 201
        location = created.headers["Location"]
        assert (
            http.put(location, json={"full_name": "William Gates"}).status_code == 204
        )
    first.stop(stop_signal)

    second = start_server(env).start()
    with httpx.Client(base_url=second.url) as http:
        kept = http.get(location)
        assert kept.status_code == 200
        assert kept.json()["full_name"] == "William Gates"
        assert kept.headers["ETag"] == '"2"'
        assert list(http.get("/addresses").json()) == [location.rsplit("/", 1)[1]]
        assert http.get("/readyz").json() == {"status": "ok"}
