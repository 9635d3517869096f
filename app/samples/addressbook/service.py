"""The address-book service: create, get, update, delete and list entries.

It knows nothing about HTTP. It takes validated ``Entry`` objects, hands back
plain JSON-ready data, and raises ``app.core.domain`` errors (``NotFoundError``,
``StaleVersionError``) that the HTTP layer maps to statuses. Each call is one unit
of work: one connection, one transaction, committed or rolled back as a whole.
A call that is one ``SELECT`` runs on the database's ``reads``, where that
statement is its own transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Final

from app.core.database import Database, unit_of_work
from app.core.domain import NotFoundError, StaleVersionError
from app.samples.addressbook.schemas import Entry
from app.samples.addressbook.storage import Address, AddressStore

MAX_PAGE: Final = 500


@dataclass(frozen=True)
class Stored:
    """An entry as stored: its id, its version and its fields."""

    id: int
    version: int
    entry: dict[str, Any]


@dataclass(frozen=True)
class Page:
    """Entries in creation order, and whether more follow the last one."""

    items: list[Stored]
    more: bool


class AddressBook:
    """Entries kept in ``database``."""

    def __init__(self, database: Database) -> None:
        self.database = database

    @unit_of_work
    async def create(self, entry: Entry) -> Stored:
        """Store a new entry and return it with its id."""
        full_name, details = _split(entry)
        async with self.database.engine.begin() as connection:
            row = await AddressStore(connection).insert(full_name, details)
        return _stored(row)

    @unit_of_work
    async def get(self, address_id: int) -> Stored:
        """The entry with this id; ``NotFoundError`` if there is none."""
        row = await AddressStore(self.database.reads).get(address_id)
        if row is None:
            raise _not_found(address_id)
        return _stored(row)

    @unit_of_work
    async def update(
        self, address_id: int, entry: Entry, versions: Collection[int] | None = None
    ) -> Stored:
        """Replace an entry, if its version is in ``versions`` (any when None).

        ``NotFoundError`` if there is no such entry, ``StaleVersionError`` if it changed
        since the caller read it.
        """
        full_name, details = _split(entry)
        async with self.database.engine.begin() as connection:
            store = AddressStore(connection)
            version = await store.update(address_id, full_name, details, versions)
            if version is None:
                if await store.get(address_id) is None:
                    raise _not_found(address_id)
                raise StaleVersionError(
                    f"Entry {address_id} has changed since you read it; "
                    "read it again and retry."
                )
            return Stored(address_id, version, {"full_name": full_name, **details})

    @unit_of_work
    async def delete(self, address_id: int) -> None:
        """Remove an entry; ``NotFoundError`` if there is none."""
        async with self.database.engine.begin() as connection:
            if not await AddressStore(connection).delete(address_id):
                raise _not_found(address_id)

    @unit_of_work
    async def page(self, limit: int = 50, after: int = 0) -> Page:
        """Up to ``limit`` (1 to ``MAX_PAGE``) entries created after entry ``after``."""
        if not 1 <= limit <= MAX_PAGE:
            raise ValueError(f"limit must be 1 to {MAX_PAGE}, not {limit}")
        rows = await AddressStore(self.database.reads).page(after, limit + 1)
        return Page([_stored(row) for row in rows[:limit]], more=len(rows) > limit)


def _split(entry: Entry) -> tuple[str, dict[str, Any]]:
    data = entry.model_dump(mode="json")
    return data.pop("full_name"), data


def _stored(row: Address) -> Stored:
    return Stored(row.id, row.version, {"full_name": row.full_name, **row.details})


def _not_found(address_id: int) -> NotFoundError:
    return NotFoundError(f"There is no entry {address_id}.")
