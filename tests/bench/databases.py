"""The databases that the address-book and webhook benches serve the kit on.

SQLite is a fresh file in a temporary folder (never the developer's
``instance/app.db``), served by one Hypercorn process as ``make run`` serves
it (``hypercorn.toml``: ``workers = 0``). PostgreSQL is a fresh schema,
``bench_<pid>_<n>``, in the database that ``BENCH_DATABASE_URL`` or else
``TEST_DATABASE_URL`` names, served by two worker processes. With neither set
the bench tries ``DEFAULT_POSTGRESQL_URL`` and leaves PostgreSQL out, saying
why, when nothing answers there. Each database is migrated with ``alembic
upgrade head`` exactly as ``make migrate`` does, and dropped afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.database import url_for
from tests.bench import BenchError
from tests.bench.servers import ROOT

ALEMBIC: Final = Path(sys.executable).parent / "alembic"
DEFAULT_POSTGRESQL_URL: Final = "postgresql://postgres@127.0.0.1:5432/test"
URL_VARIABLES: Final = ("BENCH_DATABASE_URL", "TEST_DATABASE_URL")
CONNECT_TIMEOUT_S: Final = 3.0
MIGRATE_TIMEOUT_S: Final = 60.0

_numbers = itertools.count(1)


@dataclass(frozen=True)
class Backend:
    """A kind of database to serve the kit on, and how many workers serve it."""

    name: str
    url: str | None  # None: a new SQLite file in the bench's temporary folder
    workers: int  # Hypercorn's --workers; 0 keeps hypercorn.toml's one process


SQLITE: Final = Backend("sqlite", None, 0)


@dataclass(frozen=True)
class Database:
    """A migrated database: the kit's settings for it, and its backend."""

    backend: Backend
    url: str
    schema: str | None

    def environ(self) -> dict[str, str]:
        """The ``APP_*`` variables that point the kit at this database."""
        # "null" (JSON) unsets a schema that the developer's shell may set.
        return {
            "APP_DATABASE_URL": self.url,
            "APP_DATABASE_SCHEMA": self.schema or "null",
        }

    def rows(self, statement: str) -> list[tuple[Any, ...]]:
        """Run one query on this database and return its rows."""
        return asyncio.run(_rows(self.url, self.schema, statement))


def backends() -> tuple[list[Backend], str | None]:
    """SQLite and, when it answers, PostgreSQL; and why PostgreSQL is left out."""
    found = [SQLITE]
    named = next(
        (os.environ[name] for name in URL_VARIABLES if os.environ.get(name)), ""
    )
    url = named or DEFAULT_POSTGRESQL_URL
    try:
        asyncio.run(_rows(url, None, "SELECT 1"))
    except Exception as error:  # the driver's errors have no common base
        if named:
            raise BenchError(
                f"PostgreSQL at {_shown(url)} does not answer: {error}"
            ) from None
        reason = (
            f"skipped: nothing answers at {_shown(url)} ({type(error).__name__}); "
            f"set {' or '.join(URL_VARIABLES)} to name a server"
        )
        return found, reason
    return [*found, Backend("postgresql", url, 2)], None


def describe(found: Sequence[Backend], skipped: str | None) -> dict[str, str]:
    """What each database is, or why it was left out, by name (no password)."""
    described = {}
    for backend in found:
        workers = f"{max(backend.workers, 1)} worker" + "s" * (backend.workers > 1)
        where = "a new file in a temporary folder"
        if backend.url is not None:
            where = f"a new schema in {_shown(backend.url)}"
        described[backend.name] = f"{where} for each part, {workers}"
    if skipped:
        described["postgresql"] = skipped
    return described


@contextlib.contextmanager
def migrated(backend: Backend, folder: Path) -> Iterator[Database]:
    """A fresh database of ``backend``, migrated to head; dropped on the way out."""
    number = next(_numbers)
    if backend.url is None:
        path = folder / f"bench-{number}.db"
        database = Database(backend, f"sqlite:///{path}", None)
    else:
        # Unique per process and per use: another bench may share the server.
        database = Database(backend, backend.url, f"bench_{os.getpid()}_{number}")
    try:
        migrate(database)
        yield database
    finally:
        if database.schema:
            drop = f'DROP SCHEMA IF EXISTS "{database.schema}" CASCADE'
            asyncio.run(_rows(database.url, None, drop))


def migrate(database: Database) -> None:
    """``alembic upgrade head`` on ``database``; its env.py creates the schema."""
    try:
        run = subprocess.run(
            [str(ALEMBIC), "upgrade", "head"],
            cwd=ROOT,
            env={**os.environ, **database.environ()},
            capture_output=True,
            text=True,
            timeout=MIGRATE_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BenchError(f"alembic upgrade head failed: {error}") from None
    if run.returncode != 0:
        raise BenchError(
            f"alembic upgrade head failed on {database.backend.name}:\n{run.stderr}"
        )


def _shown(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # sqlalchemy raises ArgumentError or ValueError
        return "(a URL that is not a database URL)"


async def _rows(
    raw_url: str, schema: str | None, statement: str
) -> list[tuple[Any, ...]]:
    # The kit's own URL rules (async driver, schema only on PostgreSQL).
    url = url_for({"DATABASE_URL": raw_url, "DATABASE_SCHEMA": schema}, "")
    options: Mapping[str, Any] = {}
    if url.get_backend_name() == "postgresql":
        settings = {"search_path": schema} if schema else {}
        options = {"timeout": CONNECT_TIMEOUT_S, "server_settings": settings}
    engine = create_async_engine(url, connect_args=dict(options))
    try:
        async with engine.begin() as connection:
            result = await connection.execute(text(statement))
            found: Sequence[Any] = result.all() if result.returns_rows else []
            return [tuple(row) for row in found]
    finally:
        await engine.dispose()
