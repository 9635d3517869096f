"""Where entries are kept: the ``addresses`` table and the queries on it.

One row per entry: its id, a version that every update increments (the ETag),
the name, and the lists as JSON (JSONB on PostgreSQL). Ids only grow, on SQLite
too (``AUTOINCREMENT``), so a deleted entry's id and ETag never come back.
Each method runs on the caller's connection, or as a transaction of its own
on the database's ``reads``; the service owns the transaction.

The queries are SQLAlchemy Core statements on the table, most built once with
bound parameters: SQLAlchemy compiles a statement on its first use and reuses
that, and the rows come back as plain named tuples. The ORM (a session,
``session.get``, ``session.add``) would track an object per row for a unit of
work that reads or writes one, which costs more than the query itself.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Integer,
    Row,
    String,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.database import Base, Executes


class AddressRow(Base):
    """One address-book entry."""

    __tablename__ = "addresses"
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012 - SQLAlchemy's API

    # SQLite only makes INTEGER PRIMARY KEY an auto-increment alias of the rowid.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    version: Mapped[int] = mapped_column(default=1)
    full_name: Mapped[str] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(
        JSON().with_variant(JSONB(), "postgresql")
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


# What a query gives back: a row with these named fields.
Address = Row[int, int, str, dict[str, Any]]
_FIELDS = (AddressRow.id, AddressRow.version, AddressRow.full_name, AddressRow.details)
_INSERT = insert(AddressRow).returning(*_FIELDS)
_SELECT = select(*_FIELDS)
_GET = _SELECT.where(AddressRow.id == bindparam("address_id"))
_PAGE = (
    _SELECT.where(AddressRow.id > bindparam("after"))
    .order_by(AddressRow.id)
    .limit(bindparam("limit"))
)


class AddressStore:
    """Queries on ``addresses`` on one connection, or the database's ``reads``."""

    def __init__(self, connection: Executes) -> None:
        self.connection = connection

    async def insert(self, full_name: str, details: dict[str, Any]) -> Address:
        """Add a row; return it with its id and version."""
        values = {"full_name": full_name, "details": details, "version": 1}
        return (await self.connection.execute(_INSERT, values)).one()

    async def get(self, address_id: int) -> Address | None:
        """The row with this id, if there is one."""
        parameters = {"address_id": address_id}
        return (await self.connection.execute(_GET, parameters)).one_or_none()

    async def update(
        self,
        address_id: int,
        full_name: str,
        details: dict[str, Any],
        versions: Collection[int] | None,
    ) -> int | None:
        """Replace the row if its version is one of ``versions`` (any when None).

        One statement compares and writes, so of two writers holding the same
        version exactly one succeeds. Returns the new version, or None when no
        row matched (it does not exist, or its version moved on).
        """
        statement = (
            update(AddressRow)
            .where(AddressRow.id == address_id)
            .values(
                full_name=full_name, details=details, version=AddressRow.version + 1
            )
            .returning(AddressRow.version)
        )
        if versions is not None:
            statement = statement.where(AddressRow.version.in_(versions))
        return (await self.connection.execute(statement)).scalar_one_or_none()

    async def delete(self, address_id: int) -> bool:
        """Remove the row; False when there was none."""
        statement = delete(AddressRow).where(AddressRow.id == address_id)
        deleted = await self.connection.execute(statement.returning(AddressRow.id))
        return deleted.scalar_one_or_none() is not None

    async def page(self, after: int, limit: int) -> Sequence[Address]:
        """Up to ``limit`` rows in creation order, starting after id ``after``."""
        parameters = {"after": after, "limit": limit}
        return (await self.connection.execute(_PAGE, parameters)).all()

    async def find_by_name(self, full_name: str) -> Address | None:
        """The first row with this name (the seed script skips those)."""
        statement = _SELECT.where(AddressRow.full_name == full_name).limit(1)
        return (await self.connection.execute(statement)).first()
