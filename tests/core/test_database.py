"""The database extension: which URL the config names, /readyz, and 503s."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from quart.typing import TestClientProtocol as _Client
from sqlalchemy import event, text

from app import core, create_app
from app.core import database as db
from app.core.database import url_for
from app.core.settings import ConfigError
from tests.support.live import migrated_copy
from tests.support.probe import create_probe_app

DEFAULTS = {"DATABASE_URL": None, "DATABASE_SCHEMA": None}


def test_default_is_sqlite_in_the_instance_folder(tmp_path: Path) -> None:
    url = url_for(DEFAULTS, str(tmp_path))
    assert url.drivername == "sqlite+aiosqlite"
    assert url.database == str(tmp_path / "app.db")


def test_default_instance_folder_is_the_projects(tmp_path: Path) -> None:
    app = create_app({"TESTING": True})
    assert Path(app.instance_path) == Path(__file__).resolve().parents[2] / "instance"


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("sqlite:///x.db", "sqlite+aiosqlite"),
        ("postgresql://u@h/db", "postgresql+asyncpg"),
        ("postgres://u@h/db", "postgresql+asyncpg"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg"),
    ],
)
def test_plain_urls_get_their_async_driver(
    given: str, driver: str, tmp_path: Path
) -> None:
    url = url_for({**DEFAULTS, "DATABASE_URL": given}, str(tmp_path))
    assert url.drivername == driver


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL is not a database URL"),
        ({"DATABASE_URL": "mysql://u@h/db"}, "sqlite or postgresql"),
        ({"DATABASE_SCHEMA": "kit"}, "DATABASE_SCHEMA is for PostgreSQL only"),
    ],
)
def test_bad_settings_stop_the_database_from_installing(
    settings: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        create_probe_app({"TESTING": True, **settings})


async def test_readyz_names_an_unreachable_database(tmp_path: Path) -> None:
    # Port 9 (discard) on loopback: nothing listens, so the connection is refused.
    app = create_probe_app(
        {
            "TESTING": True,
            "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none",
            "READY_TIMEOUT": 2.0,
        }
    )
    async with app.test_app():
        client: _Client = app.test_client()
        response = await client.get("/readyz")
    assert response.status_code == 503
    body = await response.get_json()
    assert body["failing"] == ["database"]
    assert "nobody" not in await response.get_data(as_text=True)


async def test_readyz_passes_with_the_database_up(client: _Client) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200


async def test_an_unreachable_database_is_a_503_to_retry() -> None:
    app = create_probe_app(
        {"TESTING": True, "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none"}
    )
    async with app.test_app():
        client: _Client = app.test_client()
        response = await client.post("/probe/writes")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    body = await response.get_json()
    assert body["message"] == "The database is unavailable; retry shortly."
    assert "nobody" not in await response.get_data(as_text=True)


async def test_a_write_lock_held_too_long_is_a_503_and_stores_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "app.db"
    app = create_probe_app(
        {
            "TESTING": True,
            "DATABASE_URL": migrated_copy(path),
            "DATABASE_BUSY_TIMEOUT": 0.05,
        }
    )
    async with app.test_app():
        client: _Client = app.test_client()
        first = await client.post("/probe/writes")
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
            refused = await client.post("/probe/writes")
        finally:
            other.close()
        after = await client.post("/probe/writes")
    assert (await first.get_json()) == {"rows": 1}
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "1"
    assert (await refused.get_json())["code"] == 503
    assert (await after.get_json()) == {"rows": 2}  # the refused write left nothing


async def test_without_a_feature_that_keeps_data_no_database_is_opened() -> None:
    app = core.App(__name__)  # create_app() with no features installed
    app.config.update(
        core.load_settings((), {"DATABASE_URL": "postgresql://nobody@127.0.0.1:9/x"})
    )
    core.install(app)
    core.wrap(app)
    async with app.test_app():
        response = await app.test_client().get("/readyz")
    assert response.status_code == 200  # nothing to check: nothing was opened
    assert db.INSTALLED not in app.extensions


# now() is the start of the transaction: two statements see the same now()
# in one transaction, and each its own in autocommit.
_NOW = text("SELECT now()")


async def test_reads_are_one_statement_each_and_writes_one_transaction(
    database: dict[str, Any],
) -> None:
    app = create_app({"TESTING": True, **database})
    async with db.connected(app) as opened:
        if database["DATABASE_URL"].startswith("sqlite"):
            # SQLite's driver begins no transaction for a SELECT.
            assert opened.reads is opened.engine
            return
        for _ in range(2):  # a connection back from the pool keeps its mode
            async with opened.reads.connect() as connection:
                first = (await connection.execute(_NOW)).scalar_one()
                second = (await connection.execute(_NOW)).scalar_one()
                assert first != second
            async with opened.engine.begin() as connection:
                first = (await connection.execute(_NOW)).scalar_one()
                second = (await connection.execute(_NOW)).scalar_one()
                assert first == second


async def test_units_of_work_past_the_pool_wait_and_open_no_connection(
    database: dict[str, Any],
) -> None:
    """A connection beyond the pool, opened and closed per unit of work, cost most."""
    app = create_app({"TESTING": True, **database, "DATABASE_POOL_SIZE": 2})
    opened: Counter[str] = Counter()
    async with db.connected(app) as database_:
        engines = {"engine": database_.engine, "reads": database_.reads}
        for name, engine in engines.items():
            event.listen(
                engine.sync_engine, "connect", lambda *_, n=name: opened.update([n])
            )

        async def read() -> None:
            async with database_.reads.connect() as connection:
                await connection.execute(text("SELECT 1"))

        async def write() -> None:
            async with database_.engine.begin() as connection:
                await connection.execute(text("SELECT 1"))

        for _ in range(3):
            await asyncio.gather(*(work() for work in (read, write) * 10))
    size = 1 if database["DATABASE_URL"].startswith("sqlite") else 2
    assert 1 <= opened["engine"] <= size
    assert opened["reads"] <= size
