"""The outbox table: one row per callback to make, and the queries on it.

``due_at`` (Unix seconds) is when the row may next be tried. Claiming a row
moves ``due_at`` forward by a lease instead of marking it taken: if the
instance that claimed it dies, the row simply falls due again when the lease
ends, and another instance takes it. On PostgreSQL the claim skips rows that
another instance is claiming at the same moment (``FOR UPDATE SKIP LOCKED``);
SQLite has one writer at a time, so its claim is atomic as it is.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import Double, Index, Integer, String, Text, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from app.core.database import Base

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"


class DeliveryRow(Base):
    """One webhook callback: where it goes, when, and how it went."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "due_at"),)

    identifier: Mapped[str] = mapped_column(String(36), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(40))
    url: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[float] = mapped_column(Double)
    created_at: Mapped[float] = mapped_column(Double)
    delivered_at: Mapped[float | None] = mapped_column(Double)
    last_error: Mapped[str | None] = mapped_column(String(500))


class DeliveryStore:
    """Queries on the outbox within one session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert(self, row: DeliveryRow) -> None:
        """Add a row; it is stored when the session commits."""
        self.session.add(row)
        await self.session.flush()

    async def get(self, identifier: str) -> DeliveryRow | None:
        """The row with this identifier, if any."""
        return await self.session.get(DeliveryRow, identifier)

    async def claim(
        self, now: float, lease: float, limit: int
    ) -> Sequence[DeliveryRow]:
        """Take up to ``limit`` due rows for ``lease`` seconds; count the attempt."""
        due = (
            select(DeliveryRow.identifier)
            .where(DeliveryRow.status == PENDING, DeliveryRow.due_at <= now)
            .order_by(DeliveryRow.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        statement = (
            update(DeliveryRow)
            .where(DeliveryRow.identifier.in_(due))
            .values(due_at=now + lease, attempts=DeliveryRow.attempts + 1)
            .returning(DeliveryRow)
        )
        result = await self.session.execute(
            statement, execution_options={"synchronize_session": False}
        )
        return result.scalars().all()

    async def pending(self) -> int:
        """How many rows wait to be sent: the outbox's depth."""
        statement = (
            select(func.count())
            .select_from(DeliveryRow)
            .where(DeliveryRow.status == PENDING)
        )
        return (await self.session.execute(statement)).scalar_one()

    async def next_due(self) -> float | None:
        """When the earliest pending row falls due, if there is one."""
        statement = select(func.min(DeliveryRow.due_at)).where(
            DeliveryRow.status == PENDING
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def finish(
        self, identifier: str, status: str, now: float, error: str | None
    ) -> None:
        """Mark a row delivered or failed; an earlier error stays on record."""
        values: dict[str, object] = {"status": status}
        if error is not None:
            values["last_error"] = error
        if status == DELIVERED:
            values["delivered_at"] = now
        await self.session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.identifier == identifier)
            .values(**values)
        )

    async def reschedule(
        self, identifiers: Collection[str], due_at: float, error: str | None = None
    ) -> None:
        """Make pending rows due at ``due_at`` (a retry, or a released claim)."""
        values: dict[str, object] = {"due_at": due_at}
        if error is not None:
            values["last_error"] = error
        await self.session.execute(
            update(DeliveryRow)
            .where(
                DeliveryRow.identifier.in_(identifiers),
                DeliveryRow.status == PENDING,
            )
            .values(**values)
        )
