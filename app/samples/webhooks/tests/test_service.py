"""The outbox with no HTTP and a clock the test moves: schedule, claim, settle."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from app import create_app
from app.core import database as db
from app.core.domain import NotFoundError
from app.samples.webhooks.service import Outbox, backoff, is_retryable, with_query

URL = "http://receiver.test/hook"


class Clock:
    """Unix time that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def outboxes(
    database: dict[str, Any], clock: Clock
) -> AsyncIterator[tuple[Outbox, Outbox]]:
    """Two outboxes on one database, as two instances of the service would have."""
    apps = [create_app({"TESTING": True, **database}) for _ in range(2)]
    async with db.connected(apps[0]) as one, db.connected(apps[1]) as two:
        yield Outbox(one.sessions, clock), Outbox(two.sessions, clock)


async def test_a_delivery_falls_due_after_its_delay(
    outboxes: tuple[Outbox, Outbox], clock: Clock
) -> None:
    outbox = outboxes[0]
    scheduled = await outbox.schedule(URL, 5, {"some_parameter": "v"})
    assert scheduled.status == "pending"
    assert scheduled.due_at == clock.now + 5
    query = parse_qs(urlsplit(scheduled.url).query)
    assert query == {
        "success": ["true"],
        "identifier": [scheduled.identifier],
        "some_parameter": ["v"],
    }
    assert await outbox.next_due() == clock.now + 5

    clock.now += 4.999
    assert await outbox.claim(lease=30, limit=10) == []
    clock.now += 0.001
    [claimed] = await outbox.claim(lease=30, limit=10)
    assert (claimed.identifier, claimed.attempts) == (scheduled.identifier, 1)


async def test_a_claim_is_a_lease_that_runs_out(
    outboxes: tuple[Outbox, Outbox], clock: Clock
) -> None:
    one, two = outboxes
    await one.schedule(URL, 0, {})
    assert len(await one.claim(lease=30, limit=10)) == 1
    assert await two.claim(lease=30, limit=10) == []
    clock.now += 30  # the first instance died holding it
    [again] = await two.claim(lease=30, limit=10)
    assert again.attempts == 2


async def test_two_instances_never_claim_the_same_delivery(
    outboxes: tuple[Outbox, Outbox],
) -> None:
    scheduled = {(await outboxes[0].schedule(URL, 0, {})).identifier for _ in range(60)}

    async def claim_all(outbox: Outbox) -> list[str]:
        taken: list[str] = []
        while batch := await outbox.claim(lease=30, limit=7):
            taken += [delivery.identifier for delivery in batch]
        return taken

    first, second = await asyncio.gather(*(claim_all(o) for o in outboxes))
    assert sorted(first + second) == sorted(scheduled)


async def test_settling(outboxes: tuple[Outbox, Outbox], clock: Clock) -> None:
    outbox = outboxes[0]
    ok, retried, failed = [await outbox.schedule(URL, 0, {}) for _ in range(3)]
    await outbox.claim(lease=30, limit=10)
    await outbox.delivered(ok.identifier)
    await outbox.retry(retried.identifier, 2.5, "HTTP 503")
    await outbox.failed(failed.identifier, "HTTP 410")

    done = await outbox.get(ok.identifier)
    assert (done.status, done.delivered_at, done.last_error) == (
        "delivered",
        clock.now,
        None,
    )
    again = await outbox.get(retried.identifier)
    assert (again.status, again.due_at, again.last_error) == (
        "pending",
        clock.now + 2.5,
        "HTTP 503",
    )
    gone = await outbox.get(failed.identifier)
    assert (gone.status, gone.last_error) == ("failed", "HTTP 410")
    clock.now += 100
    assert [d.identifier for d in await outbox.claim(30, 10)] == [retried.identifier]


async def test_release_makes_a_claimed_delivery_due_now(
    outboxes: tuple[Outbox, Outbox], clock: Clock
) -> None:
    outbox = outboxes[0]
    scheduled = await outbox.schedule(URL, 0, {})
    await outbox.claim(lease=30, limit=10)
    await outbox.release([scheduled.identifier])
    assert (await outbox.get(scheduled.identifier)).due_at == clock.now
    assert len(await outbox.claim(lease=30, limit=10)) == 1


async def test_unknown_identifier_is_not_found(outboxes: tuple[Outbox, Outbox]) -> None:
    with pytest.raises(NotFoundError):
        await outboxes[0].get("00000000-0000-4000-8000-000000000000")


@pytest.mark.parametrize("attempt", range(1, 12))
def test_backoff_doubles_with_jitter_up_to_the_cap(attempt: int) -> None:
    ceiling = min(60.0, 0.5 * 2 ** (attempt - 1))
    waits = [backoff(attempt, 0.5, 60.0, random.Random(seed)) for seed in range(50)]
    assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
    assert len(set(waits)) > 1


@pytest.mark.parametrize(
    ("status", "retry"),
    [(408, True), (429, True), (500, True), (503, True), (400, False), (404, False),
     (410, False), (422, False)],
)  # fmt: skip
def test_which_statuses_are_retried(status: int, retry: bool) -> None:
    assert is_retryable(status) is retry


def test_callback_url_keeps_its_own_query() -> None:
    url = with_query("https://h.test/cb?token=a%20b", {"identifier": "x y"})
    assert url == "https://h.test/cb?token=a+b&identifier=x+y"
