"""The database extension: which URL the config names, /readyz, and 503s."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from quart.typing import TestClientProtocol as _Client
from sqlalchemy import (
    Integer,
    column,
    event,
    func,
    insert,
    literal,
    select,
    table,
    text,
)

from app import create_app
from app.core import database as db
from app.core.database import url_for
from app.core.settings import ConfigError
from tests.support.live import migrated_copy
from tests.support.probe import create_core_app, create_probe_app
from tests.support.turns import turns_during

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
    app = create_core_app({"DATABASE_URL": "postgresql://nobody@127.0.0.1:9/x"})
    async with app.test_app():
        response = await app.test_client().get("/readyz")
    assert response.status_code == 200  # nothing to check: nothing was opened
    assert db.INSTALLED not in app.extensions


_NUMBERS = table("numbers", column("n", Integer))
_COUNT = select(func.count()).select_from(_NUMBERS)


async def test_a_read_is_a_transaction_of_its_own(database: dict[str, Any]) -> None:
    app = create_app({"TESTING": True, **database})
    async with db.connected(app) as opened:
        async with opened.engine.begin() as connection:
            await connection.execute(text("CREATE TABLE numbers (n INTEGER)"))
        for _ in range(2):  # a connection back from the pool is as good as new
            async with opened.engine.begin() as writing:
                await writing.execute(insert(_NUMBERS).values(n=1))
                # While a write is under way (on SQLite, holding the lock),
                # a read neither waits for it nor sees it.
                before = (await opened.reads.execute(_COUNT)).scalar_one()
            after = (await opened.reads.execute(_COUNT)).scalar_one()
            assert after == before + 1


async def test_a_slow_read_leaves_the_event_loop_free(
    database: dict[str, Any],
) -> None:
    app = create_app({"TESTING": True, **database})
    # Counting to half a million takes SQLite and PostgreSQL a while.
    numbers = select(func.count()).select_from(
        text("generate_series(1, 500000)")
        if database["DATABASE_URL"].startswith("postgresql")
        else text(
            "(WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c"
            " WHERE x < 500000) SELECT x FROM c)"
        )
    )
    async with db.connected(app) as opened:
        result, turns = await turns_during(opened.reads.execute(numbers))
    assert result.scalar_one() == 500_000
    assert turns > 100


async def test_units_of_work_past_the_pool_wait_and_open_no_connection(
    database: dict[str, Any],
) -> None:
    """A connection beyond the pool, opened and closed per unit of work, cost most."""
    app = create_app({"TESTING": True, **database, "DATABASE_POOL_SIZE": 2})
    opened: Counter[str] = Counter()
    async with db.connected(app) as database_:
        reads = database_.reads
        if isinstance(reads, db.SQLiteReads):
            reads_engine = reads.engine
        else:
            assert isinstance(reads, db.EngineReads)
            reads_engine = reads.engine.sync_engine
        engines = {"engine": database_.engine.sync_engine, "reads": reads_engine}
        for name, engine in engines.items():
            event.listen(engine, "connect", lambda *_, n=name: opened.update([n]))

        async def read() -> None:
            await reads.execute(select(literal(1)))

        async def write() -> None:
            async with database_.engine.begin() as connection:
                await connection.execute(text("SELECT 1"))

        for _ in range(3):
            await asyncio.gather(*(work() for work in (read, write) * 10))
    size = 1 if database["DATABASE_URL"].startswith("sqlite") else 2
    assert 1 <= opened["engine"] <= size
    assert opened["reads"] <= size
