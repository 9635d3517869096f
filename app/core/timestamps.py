"""Timestamps that keep their timezone on SQLite and PostgreSQL alike.

PostgreSQL's ``timestamptz`` hands back aware datetimes, but SQLite stores
text with no zone and hands back naive ones, so the same model would give a
service two kinds of datetime. ``UTCDateTime`` is the column type that evens
them out: it stores UTC, refuses naive datetimes (whose zone is a guess) and
always reads aware UTC datetimes back. ``utc_now()`` is the value to store,
and ``Timestamp`` the pydantic type that shows one in JSON in a single format,
ISO 8601 with microseconds and the offset: ``2026-11-30T05:00:00.123456+00:00``.
``render_item`` keeps the app out of the migrations that Alembic writes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AwareDatetime, PlainSerializer, WithJsonSchema
from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext


class UTCDateTime(TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` that stores UTC and reads aware UTC datetimes.

    In a migration it is ``sa.DateTime(timezone=True)``: the database sees no
    difference, so ``python -m app.core.migrations check`` finds none either.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self, value: datetime | None, dialect: Dialect
    ) -> datetime | None:
        """UTC on the way in; SQLite, which keeps no zone, gets it without one."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"UTCDateTime needs an aware datetime, not {value!r}")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Aware UTC on the way out: a naive value from SQLite was stored as UTC."""
        if value is None:
            return None
        moment: datetime = value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def isoformat(moment: datetime) -> str:
    """``moment`` in UTC as ISO 8601: ``2026-11-30T05:00:00.123456+00:00``.

    Always with microseconds, so that every timestamp has the same length.
    """
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


# A field of this type must be aware, and shows in JSON as ``isoformat`` writes it
# (pydantic's own format writes ``Z``, and drops microseconds that are zero).
Timestamp = Annotated[
    AwareDatetime,
    PlainSerializer(isoformat, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


def render_item(kind: str, item: Any, _context: AutogenContext) -> str | Literal[False]:
    """Alembic's ``render_item`` hook: ``UTCDateTime`` as its database type.

    Without it, ``make revision`` writes ``app.core.timestamps.UTCDateTime()``
    into the migration, which neither imports it nor should depend on the app;
    False lets Alembic render everything else as usual.
    """
    if kind == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False
