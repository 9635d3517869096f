"""The outbox service: schedule callbacks, read their status, claim and settle them.

No HTTP here. Time comes from ``clock`` (Unix seconds), so tests can move it.
Each method is one transaction; ``schedule`` returns only once the delivery
is committed, so the HTTP 200 that follows never promises something unstored.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.database import unit_of_work
from app.core.domain import NotFoundError
from app.samples.webhooks.storage import (
    DELIVERED,
    FAILED,
    PENDING,
    DeliveryRow,
    DeliveryStore,
)

Clock = Callable[[], float]

# Statuses worth another try: the receiver may answer later.
RETRYABLE_STATUSES: Final = frozenset({408, 429})
MAX_ERROR: Final = 500


@dataclass(frozen=True)
class Delivery:
    """A callback as stored."""

    identifier: str
    delivery_id: str
    url: str
    status: str
    attempts: int
    due_at: float
    delivered_at: float | None
    last_error: str | None


class Outbox:
    """Deliveries kept in the database behind ``sessions``."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], clock: Clock = time.time
    ) -> None:
        self.sessions = sessions
        self.clock = clock

    @unit_of_work
    async def schedule(
        self, callback_url: str, delay: float, params: Mapping[str, str]
    ) -> Delivery:
        """Store a callback to ``callback_url`` due in ``delay`` seconds."""
        identifier = str(uuid.uuid4())
        query = {"success": "true", "identifier": identifier, **params}
        now = self.clock()
        row = DeliveryRow(
            identifier=identifier,
            delivery_id=f"msg_{uuid.uuid4().hex}",
            url=with_query(callback_url, query),
            status=PENDING,
            attempts=0,
            due_at=now + delay,
            created_at=now,
        )
        async with self.sessions.begin() as session:
            await DeliveryStore(session).insert(row)
            return _delivery(row)

    @unit_of_work
    async def get(self, identifier: str) -> Delivery:
        """The delivery with this identifier; ``NotFoundError`` if none."""
        async with self.sessions() as session:
            row = await DeliveryStore(session).get(identifier)
            if row is None:
                raise NotFoundError(f"There is no delivery {identifier}.")
            return _delivery(row)

    @unit_of_work
    async def claim(self, lease: float, limit: int) -> list[Delivery]:
        """Take up to ``limit`` due deliveries for ``lease`` seconds."""
        async with self.sessions.begin() as session:
            rows = await DeliveryStore(session).claim(self.clock(), lease, limit)
            return [_delivery(row) for row in rows]

    @unit_of_work
    async def pending(self) -> int:
        """How many deliveries wait to be sent."""
        async with self.sessions() as session:
            return await DeliveryStore(session).pending()

    @unit_of_work
    async def next_due(self) -> float | None:
        """When the earliest pending delivery falls due, if any."""
        async with self.sessions() as session:
            return await DeliveryStore(session).next_due()

    async def delivered(self, identifier: str) -> None:
        """Record a delivery that the receiver accepted."""
        await self._finish(identifier, DELIVERED, None)

    async def failed(self, identifier: str, error: str) -> None:
        """Record a delivery given up on."""
        await self._finish(identifier, FAILED, error)

    @unit_of_work
    async def retry(self, identifier: str, delay: float, error: str) -> float:
        """Try again in ``delay`` seconds; return when that falls due."""
        async with self.sessions.begin() as session:
            due_at = self.clock() + delay
            await DeliveryStore(session).reschedule(
                [identifier], due_at, error[:MAX_ERROR]
            )
        return due_at

    @unit_of_work
    async def release(self, identifiers: Collection[str]) -> None:
        """Make claimed deliveries due now (a call cut short at shutdown)."""
        if identifiers:
            async with self.sessions.begin() as session:
                await DeliveryStore(session).reschedule(identifiers, self.clock())

    @unit_of_work
    async def _finish(self, identifier: str, status: str, error: str | None) -> None:
        async with self.sessions.begin() as session:
            store = DeliveryStore(session)
            await store.finish(
                identifier, status, self.clock(), error and error[:MAX_ERROR]
            )


def backoff(
    attempt: int, base: float, cap: float, rng: random.Random | None = None
) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1, 2, ...).

    Exponential, ``base * 2**(attempt - 1)`` up to ``cap``, with "equal
    jitter": a random point in the upper half, so receivers that failed
    together do not all retry together, and the wait never drops below half.
    """
    ceiling = min(cap, base * 2.0 ** (attempt - 1))
    jitter: float = (rng or random).random()
    return ceiling * (0.5 + 0.5 * jitter)


def is_retryable(status: int) -> bool:
    """Whether an HTTP status is worth another attempt (408, 429 and 5xx)."""
    return status in RETRYABLE_STATUSES or status >= 500


def with_query(url: str, params: Mapping[str, str]) -> str:
    """``url`` with ``params`` added to the query it already has."""
    parts = urlsplit(url)
    query = [*parse_qsl(parts.query, keep_blank_values=True), *params.items()]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _delivery(row: DeliveryRow) -> Delivery:
    return Delivery(
        identifier=row.identifier,
        delivery_id=row.delivery_id,
        url=row.url,
        status=row.status,
        attempts=row.attempts,
        due_at=row.due_at,
        delivered_at=row.delivered_at,
        last_error=row.last_error,
    )
