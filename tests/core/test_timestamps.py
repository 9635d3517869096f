"""UTCDateTime: aware UTC datetimes back from SQLite and PostgreSQL alike.

The round trips run on each backend of the ``database`` fixture, in a table of
their own that is not on ``Base`` (so the migrations never see it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import render_python_code
from alembic.operations import ops
from pydantic import BaseModel, ValidationError
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncEngine

from app import create_app
from app.core import database as db
from app.core.timestamps import (
    Timestamp,
    UTCDateTime,
    isoformat,
    render_item,
    utc_now,
)

INDIA = timezone(timedelta(hours=5, minutes=30))
# 05:00:00.123456 in India is 23:30:00.123456 UTC the day before.
MOMENT = datetime(2026, 11, 30, 5, 0, 0, 123456, tzinfo=INDIA)
IN_UTC = datetime(2026, 11, 29, 23, 30, 0, 123456, tzinfo=UTC)

moments = Table(
    "timestamp_moments",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime()),
)


class Stamped(BaseModel):
    at: Timestamp


@pytest.fixture
async def engine(database: dict[str, Any]) -> AsyncIterator[AsyncEngine]:
    app = create_app({"TESTING": True, **database})
    async with db.connected(app) as opened:
        async with opened.engine.begin() as connection:
            await connection.run_sync(moments.metadata.create_all)
        yield opened.engine


async def _stored(engine: AsyncEngine) -> list[datetime | None]:
    async with engine.connect() as connection:
        return list(await connection.scalars(select(moments.c.at).order_by("id")))


async def test_a_moment_comes_back_aware_in_utc(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(insert(moments), [{"at": MOMENT}, {"at": None}])
    found = await _stored(engine)
    assert found == [IN_UTC, None]
    assert found[0] is not None
    assert found[0].tzinfo == UTC


async def test_the_databases_own_now_comes_back_aware_too(engine: AsyncEngine) -> None:
    # What a server_default=func.now() column gets: naive UTC text on SQLite.
    async with engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO timestamp_moments (at) VALUES (CURRENT_TIMESTAMP)")
        )
    [found] = await _stored(engine)
    assert found is not None
    assert found.tzinfo == UTC
    assert abs(utc_now() - found) < timedelta(minutes=1)


async def test_comparisons_use_the_instant(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(insert(moments), [{"at": MOMENT}])
        later = select(moments.c.id).where(moments.c.at > IN_UTC - timedelta(1e-6))
        assert (await connection.scalars(later)).all() == [1]
        earlier = select(moments.c.id).where(moments.c.at < MOMENT)
        assert (await connection.scalars(earlier)).all() == []


async def test_a_naive_datetime_is_refused(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        with pytest.raises(StatementError, match="needs an aware datetime"):
            await connection.execute(insert(moments), [{"at": datetime(2026, 1, 1)}])


async def test_sqlite_keeps_utc_text(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path}/t.db"})
    async with db.connected(app) as opened, opened.engine.begin() as connection:
        await connection.run_sync(moments.metadata.create_all)
        await connection.execute(insert(moments), [{"at": MOMENT}])
        raw = await connection.scalar(text("SELECT at FROM timestamp_moments"))
    assert raw == "2026-11-29 23:30:00.123456"


def test_isoformat_is_utc_with_microseconds_and_offset() -> None:
    assert isoformat(MOMENT) == "2026-11-29T23:30:00.123456+00:00"
    midnight = datetime(2026, 11, 30, tzinfo=UTC)
    assert isoformat(midnight) == "2026-11-30T00:00:00.000000+00:00"


def test_timestamp_fields_are_aware_and_shown_as_isoformat() -> None:
    stamped = Stamped(at=MOMENT)
    assert stamped.model_dump(mode="json") == {"at": "2026-11-29T23:30:00.123456+00:00"}
    assert stamped.model_dump() == {"at": MOMENT}
    with pytest.raises(ValidationError, match="timezone"):
        Stamped(at=datetime(2026, 11, 30))


def test_migrations_get_the_database_type_not_the_apps() -> None:
    column: Column[datetime] = Column("at", UTCDateTime(), nullable=True)
    upgrade = ops.UpgradeOps([ops.AddColumnOp("timestamp_moments", column)])
    assert "app.core.timestamps.UTCDateTime" in render_python_code(upgrade)
    code = render_python_code(upgrade, render_item=render_item)
    assert "sa.Column('at', sa.DateTime(timezone=True), nullable=True)" in code
