"""Where entries are kept: the ``addresses`` table and the queries on it.

One row per entry: its id, a version that every update increments (the ETag),
the name, and the lists as JSON (JSONB on PostgreSQL). Ids only grow, on SQLite
too (``AUTOINCREMENT``), so a deleted entry's id and ETag never come back.
Each method runs in the caller's session; the service owns the transaction.
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
    String,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from app.core.database import Base


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


class AddressStore:
    """Queries on ``addresses`` within one session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert(self, full_name: str, details: dict[str, Any]) -> AddressRow:
        """Add a row; its id and version are set when this returns."""
        row = AddressRow(full_name=full_name, details=details, version=1)
        self.session.add(row)
        await self.session.flush()
        return row

    async def get(self, address_id: int) -> AddressRow | None:
        """The row with this id, if there is one."""
        return await self.session.get(AddressRow, address_id)

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
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def delete(self, address_id: int) -> bool:
        """Remove the row; False when there was none."""
        statement = delete(AddressRow).where(AddressRow.id == address_id)
        deleted = await self.session.execute(statement.returning(AddressRow.id))
        return deleted.scalar_one_or_none() is not None

    async def page(self, after: int | None, limit: int) -> Sequence[AddressRow]:
        """Up to ``limit`` rows in creation order, starting after id ``after``."""
        statement = select(AddressRow).order_by(AddressRow.id).limit(limit)
        if after is not None:
            statement = statement.where(AddressRow.id > after)
        return (await self.session.scalars(statement)).all()

    async def find_by_name(self, full_name: str) -> AddressRow | None:
        """The first row with this name (the seed script skips those)."""
        statement = select(AddressRow).where(AddressRow.full_name == full_name)
        return (await self.session.scalars(statement.limit(1))).first()
