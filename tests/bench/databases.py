"""The databases that the samples' load parts serve the kit on.

SQLite is a fresh migrated file in the bench's folder (never the developer's
``instance/app.db``), served by one Hypercorn process as ``make run`` serves
it. PostgreSQL, when ``BENCH_DATABASE_URL`` or else ``TEST_DATABASE_URL``
names a server (as for the tests), is a fresh schema there, served by two
worker processes, migrated by ``tests.support.live`` as ``make migrate``
does and dropped afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.database import url_for
from tests.bench import BenchError
from tests.support.live import migrate, migrated_copy

URL_VARIABLES: Final = ("BENCH_DATABASE_URL", "TEST_DATABASE_URL")

_numbers = itertools.count(1)


@dataclass(frozen=True)
class Database:
    """A fresh migrated database: its kind, its workers, the kit's settings."""

    kind: str  # "sqlite" or "postgresql"
    workers: int  # Hypercorn's --workers; 0 keeps hypercorn.toml's one process
    url: str
    schema: str | None = None

    @property
    def env(self) -> dict[str, str]:
        """The ``APP_*`` variables that point the kit at this database."""
        # "null" (JSON) unsets a schema that the developer's shell may set.
        return {
            "APP_DATABASE_URL": self.url,
            "APP_DATABASE_SCHEMA": self.schema or "null",
        }

    def rows(self, statement: str) -> list[tuple[Any, ...]]:
        """Run one query on this database and return its rows."""
        return asyncio.run(_rows(self.url, self.schema, statement))


def postgresql_url() -> str:
    """The server that ``URL_VARIABLES`` name, or ``""``."""
    return next((os.environ[n] for n in URL_VARIABLES if os.environ.get(n)), "")


def kinds() -> list[str]:
    """The kinds of database to serve on: SQLite, and PostgreSQL if one is named."""
    return ["sqlite", "postgresql"] if postgresql_url() else ["sqlite"]


def left_out() -> list[str]:
    """A line for the report when PostgreSQL is left out."""
    if postgresql_url():
        return []
    return [f"postgresql skipped: set {' or '.join(URL_VARIABLES)} to name a server"]


@contextlib.contextmanager
def fresh(kind: str, folder: Path) -> Iterator[Database]:
    """A new migrated database of ``kind``; a schema is dropped on the way out."""
    number = next(_numbers)
    if kind == "sqlite":
        yield Database(kind, 0, migrated_copy(folder / f"bench-{number}.db"))
        return
    # Unique per process and per use: another bench may share the server.
    schema = f"bench_{os.getpid()}_{number}"
    database = Database(kind, 2, postgresql_url(), schema)
    try:
        migrate(database.env)
    except RuntimeError as error:  # how the launcher reports a failed migration
        raise BenchError(f"PostgreSQL named by {URL_VARIABLES}: {error}") from None
    try:
        yield database
    finally:
        asyncio.run(_rows(database.url, None, f'DROP SCHEMA "{schema}" CASCADE'))


async def _rows(
    raw_url: str, schema: str | None, statement: str
) -> list[tuple[Any, ...]]:
    # The kit's own URL rules (async driver, schema only on PostgreSQL).
    url = url_for({"DATABASE_URL": raw_url, "DATABASE_SCHEMA": schema}, "")
    options = {"server_settings": {"search_path": schema}} if schema else {}
    engine = create_async_engine(url, connect_args=options)
    try:
        async with engine.begin() as connection:
            result = await connection.execute(text(statement))
            return [tuple(row) for row in result.all()] if result.returns_rows else []
    finally:
        await engine.dispose()
