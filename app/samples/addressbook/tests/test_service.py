"""The address-book service with no HTTP: what it stores and what it raises."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from app import create_app
from app.core import database as db
from app.core.domain import NotFoundError, StaleVersionError
from app.samples.addressbook.schemas import Entry
from app.samples.addressbook.service import AddressBook

BILL = Entry(full_name="Bill Gates")
ADA = Entry.model_validate(
    {"full_name": "  Ada Lovelace ", "emails": [{"kind": "home", "email": "a@b.org"}]}
)


@pytest.fixture
async def book(database: dict[str, Any]) -> AsyncIterator[AddressBook]:
    app = create_app({"TESTING": True, **database})
    async with db.connected(app) as opened:
        yield AddressBook(opened)


async def test_create_then_get(book: AddressBook) -> None:
    stored = await book.create(ADA)
    assert stored.version == 1
    assert stored.entry == {
        "full_name": "Ada Lovelace",
        "addresses": [],
        "phones": [],
        "emails": [{"kind": "home", "email": "a@b.org"}],
    }
    assert await book.get(stored.id) == stored


async def test_ids_grow_and_are_not_reused(book: AddressBook) -> None:
    first = await book.create(BILL)
    second = await book.create(BILL)
    await book.delete(second.id)
    third = await book.create(BILL)
    assert first.id < second.id < third.id


async def test_update_moves_the_version_on(book: AddressBook) -> None:
    stored = await book.create(BILL)
    updated = await book.update(stored.id, ADA, versions={stored.version})
    assert updated.version == stored.version + 1
    assert (await book.get(stored.id)).entry["full_name"] == "Ada Lovelace"
    unconditional = await book.update(stored.id, BILL)
    assert unconditional.version == updated.version + 1


async def test_stale_version_is_refused_and_changes_nothing(book: AddressBook) -> None:
    stored = await book.create(BILL)
    await book.update(stored.id, ADA, versions={stored.version})
    with pytest.raises(StaleVersionError):
        await book.update(stored.id, BILL, versions={stored.version})
    assert (await book.get(stored.id)).entry["full_name"] == "Ada Lovelace"


async def test_unknown_id_is_not_found(book: AddressBook) -> None:
    with pytest.raises(NotFoundError, match="There is no entry 41"):
        await book.get(41)
    with pytest.raises(NotFoundError, match="There is no entry 41"):
        await book.update(41, BILL, versions={1})
    with pytest.raises(NotFoundError, match="There is no entry 41"):
        await book.delete(41)


async def test_pages_follow_creation_order(book: AddressBook) -> None:
    ids = [(await book.create(Entry(full_name=f"P{n}"))).id for n in range(5)]
    first = await book.page(limit=3)
    assert [item.id for item in first.items] == ids[:3]
    assert first.more
    rest = await book.page(limit=3, after=ids[2])
    assert [item.id for item in rest.items] == ids[3:]
    assert not rest.more
    assert (await book.page(limit=3, after=ids[-1])).items == []


@pytest.mark.parametrize("limit", [0, 501])
async def test_page_size_is_bounded(book: AddressBook, limit: int) -> None:
    with pytest.raises(ValueError, match="limit must be 1 to 500"):
        await book.page(limit=limit)
