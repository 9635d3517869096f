"""The database: one async SQLAlchemy engine per app, open while the app serves.

``DATABASE_URL`` picks it. Unset, it is SQLite in the app's git-ignored instance
folder (``instance/app.db``); ``postgresql://user@host/db`` is PostgreSQL. Plain
URLs get their async driver (aiosqlite, asyncpg), so the URL your database
administrator hands you works as it is. ``DATABASE_SCHEMA`` (PostgreSQL only)
keeps the tables in a schema of their own, set as the connection's search_path.

A feature that keeps data calls ``init_app(app)`` from its ``install``; the
first call opens the engine while the app serves, checks it in ``/readyz``
and answers a database that does not answer, or an SQLite write lock held
past ``DATABASE_BUSY_TIMEOUT``, with a 503 and ``Retry-After`` (the same
request may well succeed a moment later). A service whose features keep no
data never imports SQLAlchemy (its settings live in ``app.core.settings``).
With metrics on (``app.core.metrics``), each pool's size and connections in
use are gauges, ``database_pool_size`` and ``database_pool_in_use``.

Every query runs on the event loop without blocking it: asyncpg is async, and
aiosqlite runs SQLite in a thread of its own. Services take ``sessions()`` (the
ORM) or ``opened()`` (its engines, for SQLAlchemy Core) and open one session or
connection per unit of work; nothing here is created at import time.
Tables are declared on ``Base`` and created by each feature's Alembic
migrations (``make migrate``).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Coroutine, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, ParamSpec, Protocol, TypeVar, TypeVarTuple

from quart import Quart, current_app
from sqlalchemy import Engine, MetaData, Result, event, text
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import URL, FrozenResult, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import QueuePool
from sqlalchemy.sql.selectable import TypedReturnsRows
from werkzeug.datastructures import Headers

from app.core import errors, metrics, readiness
from app.core.request_log import current_request_id
from app.core.service import service
from app.core.settings import ConfigError

P = ParamSpec("P")
T = TypeVar("T")
Ts = TypeVarTuple("Ts")

EXTENSION: Final = "database"
INSTALLED: Final = "database.installed"
SQLITE_FILE: Final = "app.db"
UNAVAILABLE_MESSAGE: Final = "The database is unavailable; retry shortly."
RETRY_AFTER_S: Final = 1

_ASYNC_DRIVERS: Final = {
    "sqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
}


class Base(DeclarativeBase):
    """The tables' base class; names constraints so migrations can drop them."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class Executes(Protocol):
    """What runs one statement: a connection, or a database's ``reads``."""

    async def execute(
        self,
        statement: TypedReturnsRows[*Ts],
        parameters: Mapping[str, Any] | None = None,
        /,
    ) -> Result[*Ts]: ...


class Reads(Executes, Protocol):
    """Single-``SELECT`` units of work: each ``execute`` is its own transaction.

    ``await reads.execute(statement, parameters)`` runs one statement and
    gives back all its rows, so a caller never holds a connection.
    """

    async def close(self) -> None:
        """Close its connections."""


class EngineReads:
    """Reads on an async engine of their own (PostgreSQL).

    Its connections are in autocommit from the start: that saves the
    ``BEGIN`` and ``ROLLBACK`` round trips around the query, and, unlike
    autocommit set per checkout on the main engine's pool, the work of
    setting the isolation level on every checkout and of resetting it and
    rolling back on every return (docs/benchmark.md). It has a pool of its
    own, of ``DATABASE_POOL_SIZE`` connections like the main engine's.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def execute(
        self,
        statement: TypedReturnsRows[*Ts],
        parameters: Mapping[str, Any] | None = None,
        /,
    ) -> Result[*Ts]:
        """Run ``statement``; its rows, all fetched."""
        async with self.engine.connect() as connection:
            return await connection.execute(statement, parameters)

    async def close(self) -> None:
        """Close its connections."""
        await self.engine.dispose()


class SQLiteReads:
    """SQLite's reads: each statement in one trip to a thread of their own.

    aiosqlite sends every call SQLAlchemy makes on a connection to its
    thread and waits for the answer: opening a cursor, executing, fetching,
    closing it and rolling back on checkin are a trip each. Here the
    statement runs on a plain ``sqlite3`` connection, from checkout to the
    last row, in one call to a thread that keeps that connection: 2 to 3
    times the reads per second of the same ``SELECT`` through aiosqlite
    (docs/benchmark.md). One thread, so the connection is only ever used by
    the thread that opened it; WAL lets it read while a writer writes.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite-reads")

    async def execute(
        self,
        statement: TypedReturnsRows[*Ts],
        parameters: Mapping[str, Any] | None = None,
        /,
    ) -> Result[*Ts]:
        """Run ``statement`` in the reads' thread; its rows, all fetched."""
        loop = asyncio.get_running_loop()
        run = functools.partial(self._run, statement, parameters)
        return (await loop.run_in_executor(self._thread, run))()

    def _run(
        self,
        statement: TypedReturnsRows[*Ts],
        parameters: Mapping[str, Any] | None,
    ) -> FrozenResult[*Ts]:
        with self.engine.connect() as connection:
            return connection.execute(statement, parameters).freeze()

    async def close(self) -> None:
        """Close its connection in the thread that opened it, then the thread."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._thread, self.engine.dispose)
        self._thread.shutdown()


@dataclass(frozen=True)
class Database:
    """An open engine, the session factory bound to it, and its single-``SELECT`` reads.

    Anything that writes, or reads twice and needs both answers to agree,
    uses ``engine.begin()`` or ``sessions.begin()``; a unit of work that is a
    single ``SELECT`` may use ``reads`` (``Reads``), which is faster.
    """

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    reads: Reads


def init_app(app: Quart) -> None:
    """Open the engine while the app serves; check it in ``/readyz``; map its errors.

    Every feature that keeps data calls this from its ``install``; the first
    call does the work, so the engine opens before those features' own hooks
    run and closes after them.
    """
    if app.extensions.get(INSTALLED):
        return
    app.extensions[INSTALLED] = True
    url_for(app.config, app.instance_path)  # a bad URL stops create_app(), not serving

    @app.while_serving
    async def _connected() -> AsyncGenerator[None, None]:
        async with connected(app):
            yield

    readiness.add_check(app, "database", _ping)
    for unavailable in (DBAPIError, PoolTimeoutError, ConnectionError):
        errors.register(app, unavailable, _unavailable)


def url_for(config: Mapping[str, Any], instance_path: str) -> URL:
    """The async URL that ``config`` names; SQLite in ``instance_path`` if none."""
    raw = config["DATABASE_URL"] or f"sqlite:///{Path(instance_path) / SQLITE_FILE}"
    try:
        url = make_url(raw)
    except Exception:  # sqlalchemy raises ArgumentError or ValueError
        raise ConfigError("DATABASE_URL is not a database URL") from None
    url = url.set(drivername=_ASYNC_DRIVERS.get(url.drivername, url.drivername))
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError("DATABASE_URL must name a sqlite or postgresql database")
    if config["DATABASE_SCHEMA"] and url.get_backend_name() != "postgresql":
        raise ConfigError("DATABASE_SCHEMA is for PostgreSQL only")
    return url


def create_engine(app: Quart, **options: Any) -> AsyncEngine:
    """A new engine for the app's database, with ``options``; the caller disposes of it.

    ``options`` are ``create_async_engine``'s, for PostgreSQL only.
    """
    url = url_for(app.config, app.instance_path)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        # One connection, so units of work queue for it on the event loop:
        # with a pool, concurrent writers met SQLite's lock, whose busy handler
        # sleeps in growing steps (docs/benchmark.md). sqlite3's timeout is
        # that busy timeout: how long a write waits for another process's lock
        # (a migration, `make seed`) before failing.
        timeout = app.config["DATABASE_BUSY_TIMEOUT"]
        engine = create_async_engine(
            url, connect_args={"timeout": timeout}, pool_size=1, max_overflow=0
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    settings = {"application_name": service().name}
    if schema := app.config["DATABASE_SCHEMA"]:
        settings["search_path"] = schema
    # No overflow: SQLAlchemy closes an overflow connection as soon as it is
    # back while the pool is full, so under steady load past the pool every
    # unit of work opened a connection of its own (docs/benchmark.md).
    return create_async_engine(
        url,
        connect_args={"server_settings": settings},
        pool_size=app.config["DATABASE_POOL_SIZE"],
        max_overflow=0,
        **options,
    )


@asynccontextmanager
async def connected(app: Quart) -> AsyncIterator[Database]:
    """Open the app's engine for the duration of the block (serving, or a script)."""
    engine = create_engine(app)
    reads = _reads(app, engine)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    database = Database(engine, sessions, reads)
    app.extensions[EXTENSION] = database
    watched = _watch_pools(engine, reads) if metrics.enabled(app) else []
    try:
        yield database
    finally:
        del app.extensions[EXTENSION]
        await engine.dispose()
        await reads.close()
        for gauge in watched:
            gauge.set(0)


def _reads(app: Quart, engine: AsyncEngine) -> Reads:
    if engine.dialect.name == "postgresql":
        # No transaction is ever open on these connections, so there is
        # nothing to roll back when one goes back to the pool.
        return EngineReads(
            create_engine(app, isolation_level="AUTOCOMMIT", pool_reset_on_return=None)
        )
    url = engine.url
    if not url.database or url.database == ":memory:":
        # A connection of its own would open another, empty database.
        return EngineReads(engine)
    sync_engine = create_sync_engine(
        url.set(drivername="sqlite"),
        connect_args={"timeout": app.config["DATABASE_BUSY_TIMEOUT"]},
        pool_size=1,
        max_overflow=0,
    )
    event.listen(sync_engine, "connect", _sqlite_pragmas)
    return SQLiteReads(sync_engine)


def sessions() -> async_sessionmaker[AsyncSession]:
    """The current app's session factory: ``async with sessions.begin() as s: ...``."""
    return opened().sessions


def opened() -> Database:
    """The current app's open database: ``async with opened().engine.begin() ...``."""
    database: Database | None = current_app.extensions.get(EXTENSION)
    if database is None:
        raise RuntimeError(
            "The database is not open: call app.core.database.init_app(app) in "
            "the install of the feature that uses it."
        )
    return database


def unit_of_work(
    method: Callable[P, Coroutine[Any, Any, T]],
) -> Callable[P, Coroutine[Any, Any, T]]:
    """Run each call of ``method`` to its end, even if its caller is cancelled.

    Quart cancels a request's task when its client hangs up. Cancelled in the
    middle of a statement, SQLAlchemy abandons the connection inside its
    transaction: on SQLite that connection kept the write lock, so every other
    write waited ``busy_timeout`` and failed, for up to a minute; on PostgreSQL
    the write was lost. So the work runs in a task of its own, shielded: it
    commits or rolls back, then the cancellation goes on. Decorate the service
    methods that open a session with it.
    """

    @functools.wraps(method)
    async def run(*args: P.args, **kwargs: P.kwargs) -> T:
        task = asyncio.ensure_future(method(*args, **kwargs))
        cancelled: asyncio.CancelledError | None = None
        while True:
            try:
                result = await asyncio.shield(task)
            except asyncio.CancelledError as error:
                if task.done():
                    raise
                cancelled = error  # keep waiting; cancel once the work is done
            else:
                break
        if cancelled is not None:
            raise cancelled
        return result

    return run


async def _unavailable(error: Exception) -> errors.ErrorResponse:
    # Unavailable: refused or lost connections, a full pool, SQLite's lock.
    # Any other database error (a violated constraint...) is a bug: a 500.
    if isinstance(error, DBAPIError) and not (
        isinstance(error, OperationalError) or error.connection_invalidated
    ):
        return await errors.internal_error(error)
    # The driver's message goes to the log for the operator, not to the client.
    current_app.logger.error(
        "database unavailable, request_id=%s: %s",
        current_request_id(),
        getattr(error, "orig", None) or error,
    )
    headers = Headers({"Retry-After": str(RETRY_AFTER_S)})
    return errors.error_body(503, UNAVAILABLE_MESSAGE), 503, headers


async def _ping() -> None:
    database: Database = current_app.extensions[EXTENSION]
    async with database.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


def _watch_pools(engine: AsyncEngine, reads: Reads) -> list[Any]:
    """Gauges of the pools' sizes and connections in use (``app.core.metrics``)."""
    pools = {"writes": engine.sync_engine}
    if isinstance(reads, SQLiteReads):
        pools["reads"] = reads.engine
    elif isinstance(reads, EngineReads) and reads.engine is not engine:
        pools["reads"] = reads.engine.sync_engine
    return [gauge for name, e in pools.items() for gauge in _watch_pool(e, name)]


def _watch_pool(engine: Engine, name: str) -> tuple[Any, ...]:
    """Keep the pool gauges of ``engine``, labelled ``name``, current; return them."""
    pool = engine.pool
    if not isinstance(pool, QueuePool):
        return ()
    size = metrics.gauge(
        "database_pool_size", "Connections each pool keeps at most.", ("pool",)
    ).labels(name)
    in_use = metrics.gauge(
        "database_pool_in_use", "Connections out of the pool, in use.", ("pool",)
    ).labels(name)
    size.set(pool.size())

    def count(*_: Any) -> None:
        in_use.set(pool.checkedout())

    event.listen(pool, "checkout", count)
    event.listen(pool, "checkin", count)
    return size, in_use


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # WAL lets readers work while one writer writes.
    cursor = connection.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()
