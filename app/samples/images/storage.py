"""Where image metadata is kept: the ``images`` table and the queries on it.

One row per image: its id (a UUID, which is also its file's name), its size
in pixels, the bytes and ETag of its JPEG, when it was stored, and its
``state``. A row is ``pending`` while its file is written, ``ready`` once it
is whole, and ``deleting`` while its files are removed: only ready rows are
served, and the rows that stay pending or deleting (a crash) name exactly the
files to remove at the next start. Newest first is ``created_at`` then
``id``, descending, so that two images stored in the same microsecond still
have an order; a page starts after the image ``before`` names. Each method
runs on the caller's connection, or as a transaction of its own on the
database's ``reads``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final
from uuid import UUID

from sqlalchemy import (
    Integer,
    Row,
    String,
    Uuid,
    and_,
    bindparam,
    delete,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Mapped, aliased, mapped_column

from app.core.database import Base, Executes
from app.core.timestamps import UTCDateTime


class ImageRow(Base):
    """One stored image."""

    __tablename__ = "images"

    id: Mapped[UUID] = mapped_column(Uuid(), primary_key=True)
    width: Mapped[int] = mapped_column(Integer())
    height: Mapped[int] = mapped_column(Integer())
    bytes: Mapped[int] = mapped_column(Integer())
    etag: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    state: Mapped[str] = mapped_column(String(8), index=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())


PENDING: Final = "pending"
READY: Final = "ready"
DELETING: Final = "deleting"


Image = Row[UUID, int, int, int, str, datetime]
_FIELDS = (
    ImageRow.id,
    ImageRow.width,
    ImageRow.height,
    ImageRow.bytes,
    ImageRow.etag,
    ImageRow.created_at,
)
_NEWEST = (ImageRow.created_at.desc(), ImageRow.id.desc())
_READY = select(*_FIELDS).where(ImageRow.state == READY)
_GET = _READY.where(ImageRow.id == bindparam("image_id"))
_FIRST = _READY.order_by(*_NEWEST).limit(bindparam("limit"))
_start = aliased(ImageRow)
_AFTER = (
    _READY.join(_start, _start.id == bindparam("before"))
    .where(
        or_(
            ImageRow.created_at < _start.created_at,
            and_(ImageRow.created_at == _start.created_at, ImageRow.id < _start.id),
        )
    )
    .order_by(*_NEWEST)
    .limit(bindparam("limit"))
)
_UNFINISHED = select(ImageRow.id).where(
    ImageRow.state != READY, ImageRow.changed_at <= bindparam("before")
)


class ImageStore:
    """Queries on ``images`` on one connection."""

    def __init__(self, connection: Executes) -> None:
        self.connection = connection

    async def insert(
        self,
        image_id: UUID,
        size: tuple[int, int],
        length: int,
        etag: str,
        at: datetime,
    ) -> None:
        """Add a pending row: its file is about to be written."""
        values = {
            "id": image_id,
            "width": size[0],
            "height": size[1],
            "bytes": length,
            "etag": etag,
            "created_at": at,
            "state": PENDING,
            "changed_at": at,
        }
        await self.connection.execute(
            insert(ImageRow).values(values).returning(ImageRow.id)
        )

    async def ready(self, image_id: UUID) -> Image:
        """Mark a pending row ready (its file is whole) and return it."""
        statement = (
            update(ImageRow)
            .where(ImageRow.id == image_id, ImageRow.state == PENDING)
            .values(state=READY)
            .returning(*_FIELDS)
        )
        return (await self.connection.execute(statement)).one()

    async def get(self, image_id: UUID) -> Image | None:
        """The ready row with this id, if there is one."""
        parameters = {"image_id": image_id}
        return (await self.connection.execute(_GET, parameters)).one_or_none()

    async def page(self, before: UUID | None, limit: int) -> Sequence[Image]:
        """Up to ``limit`` ready rows, newest first, starting after image ``before``."""
        if before is None:
            return (await self.connection.execute(_FIRST, {"limit": limit})).all()
        parameters = {"before": before, "limit": limit}
        return (await self.connection.execute(_AFTER, parameters)).all()

    async def deleting(self, image_id: UUID, at: datetime) -> bool:
        """Mark a ready row as being deleted; False when there was none."""
        statement = (
            update(ImageRow)
            .where(ImageRow.id == image_id, ImageRow.state == READY)
            .values(state=DELETING, changed_at=at)
            .returning(ImageRow.id)
        )
        return (
            await self.connection.execute(statement)
        ).scalar_one_or_none() is not None

    async def delete(self, image_id: UUID) -> None:
        """Remove the row, whatever its state."""
        statement = delete(ImageRow).where(ImageRow.id == image_id)
        await self.connection.execute(statement.returning(ImageRow.id))

    async def unfinished(self, before: datetime) -> list[UUID]:
        """Rows left pending or deleting since before ``before`` (a crash)."""
        rows = await self.connection.execute(_UNFINISHED, {"before": before})
        return list(rows.scalars())
