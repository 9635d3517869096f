"""The FastAPI peer that the ``addresses`` bench part measures the address book against.

A benchmark fixture, not an example to copy: the address book's three benched
endpoints written the way FastAPI's documentation and its full-stack template
write them. The engine opens in a lifespan, each request gets an
``AsyncSession`` from a dependency, a read is ``session.get`` by primary key, a
create is ``add``, ``commit``, ``refresh``, and response models shape the JSON.
``app`` is built at import time, as those documents do (the kit itself forbids
it). It shares the sample's table class and pydantic models, so both sides
validate and store the same things; nothing else of the kit runs. Hypercorn
serves it as ``app.samples.addressbook.tests.fastapi_peer:app`` with the kit's
``hypercorn.toml``, on the database the kit serves (its ``APP_DATABASE_URL``
and ``APP_DATABASE_SCHEMA``).

What is not idiomatic is on purpose, so that kit ÷ peer compares the code and
not the database's settings: the SQLite connection gets the kit's settings
(one connection per process, WAL, ``synchronous=NORMAL``, the busy timeout);
with FastAPI's defaults writers meet SQLite's lock and every commit syncs.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from sqlalchemy import event, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.samples.addressbook.schemas import Entries, Entry, StoredEntry
from app.samples.addressbook.storage import AddressRow as Address

DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def entry(row: Address) -> dict[str, Any]:
    """A row as the entry it stores."""
    return {"full_name": row.full_name, **row.details}


def create_engine() -> AsyncEngine:
    """The engine for the database that the kit's settings name."""
    url = make_url(os.environ["APP_DATABASE_URL"])
    url = url.set(drivername=DRIVERS.get(url.drivername, url.drivername))
    if url.get_backend_name() == "sqlite":
        engine = create_async_engine(
            url, connect_args={"timeout": 5.0}, pool_size=1, max_overflow=0
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    schema = os.environ.get("APP_DATABASE_SCHEMA", "null")
    settings = {"search_path": schema} if schema != "null" else {}
    return create_async_engine(url, connect_args={"server_settings": settings})


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the engine while serving."""
    engine = create_engine()
    app.state.sessions = async_sessionmaker(engine, expire_on_commit=False)
    yield
    await engine.dispose()


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for the request."""
    async with request.app.state.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]

app = FastAPI(lifespan=lifespan)


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness, as the kit answers it."""
    return {"status": "ok"}


@app.get("/addresses", response_model=Entries)
async def read_addresses(
    session: SessionDep,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    after: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, dict[str, Any]]:
    """A page of entries in creation order, with a ``Link`` to the next."""
    statement = (
        select(Address).where(Address.id > after).order_by(Address.id).limit(limit + 1)
    )
    rows = (await session.scalars(statement)).all()
    if len(rows) > limit:
        following = f"/addresses?limit={limit}&after={rows[limit - 1].id}"
        response.headers["Link"] = f'<{following}>; rel="next"'
    return {str(row.id): entry(row) for row in rows[:limit]}


@app.get("/addresses/{address_id}", response_model=Entry)
async def read_address(session: SessionDep, address_id: int) -> dict[str, Any]:
    """One entry; 404 if there is none."""
    row = await session.get(Address, address_id)
    if row is None:
        raise HTTPException(status_code=404, detail="Address not found")
    return entry(row)


@app.post("/addresses", response_model=StoredEntry, status_code=201)
async def create_address(
    session: SessionDep, address_in: Entry, response: Response
) -> dict[str, Any]:
    """Add an entry; 201 with its ``Location``."""
    data = address_in.model_dump(mode="json")
    row = Address(full_name=data.pop("full_name"), details=data)
    session.add(row)
    await session.commit()
    await session.refresh(row)
    response.headers["Location"] = f"/addresses/{row.id}"
    return {"id": row.id, **entry(row)}
