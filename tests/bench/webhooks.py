"""Scheduled webhook deliveries (issue 4): deliveries per second and lateness.

For each database of ``bench.databases`` (SQLite with one worker; PostgreSQL
with two, when it answers) the kit is served on a fresh migrated database
with ``APP_CALLBACK_URL`` pointing at ``bench.receiver`` in this process and
``APP_WEBHOOK_DELAY`` at ``DELAY_S``. The bench then sends ``BENCH_WEBHOOKS``
(default 10,000) ``POST /api/endpoint?some_parameter=<n>``, paced evenly
over ``BENCH_WEBHOOK_WINDOW`` seconds (default: 60 s for 10,000, the issue's
rate of 10,000 a minute for any other count), so the deliveries fall due
evenly within that window while the kit is still taking new ones. The POSTs
share one ``httpx.AsyncClient`` with at most ``POST_CONCURRENCY`` in flight;
if the kit answers too slowly to keep the pace, the due times spread over a
longer window, which the report shows as measured.

Lateness is arrival minus due time. Arrival is when the receiver has read
the callback's head (``time.time()``). The due time is ``created_at +
WEBHOOK_DELAY`` as the kit stored it in ``webhook_deliveries``, read back
after the run: ``GET /api/endpoint/<id>`` shows ``next_attempt_at`` only while
a delivery is pending, and a claim moves ``due_at`` on by its lease, so the
table is the exact source. Both times come from this machine's clock.
Deliveries per second is the deliveries received over the time from the
first arrival to the last; with paced due times it equals the offered rate
(also shown) while the kit keeps up, and falls below it when it does not. A
delivery that has not arrived ``GIVE_UP_S`` after the last due time counts as
late beyond measure. Target: p99 lateness under 1 s.

Each database takes about the window plus ``DELAY_S`` plus a few seconds;
``BENCH_WEBHOOKS=1000`` is a 6 s run at the same rate.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx

from tests.bench import BenchError
from tests.bench.databases import Backend, migrated
from tests.bench.receiver import Receiver, listening
from tests.bench.servers import Server, Target, serving

ISSUE_COUNT: Final = 10_000
ISSUE_WINDOW_S: Final = 60.0
DELAY_S: Final = 2.0
POST_CONCURRENCY: Final = 32
POST_TIMEOUT_S: Final = 30.0
GIVE_UP_S: Final = 30.0
LATENESS_TARGET_S: Final = 1.0


@dataclass(frozen=True)
class WebhookRun:
    """What one database did with the schedule; lateness is sorted, in seconds."""

    database: str
    workers: int
    scheduled: int
    post_errors: int
    due_window_s: float
    # One per scheduled delivery, sorted; math.inf for one that never arrived.
    lateness_s: Sequence[float]
    deliveries_per_s: float
    duplicates: int
    retried: int


def default_window(count: int) -> float:
    """The window that keeps the issue's rate: 60 s for 10,000."""
    return ISSUE_WINDOW_S * count / ISSUE_COUNT


def measure_webhooks(
    backends: Sequence[Backend], logs: Path, count: int, window: float
) -> list[WebhookRun]:
    """Schedule ``count`` deliveries over ``window`` seconds on each database."""
    runs = []
    for backend in backends:
        with migrated(backend, logs) as database, listening() as sock:
            port = sock.getsockname()[1]
            environ = {
                **database.environ(),
                "APP_CALLBACK_URL": f"http://127.0.0.1:{port}/callback",
                "APP_WEBHOOK_DELAY": str(DELAY_S),
            }
            target = Target(
                f"kit-{backend.name}",
                "app.asgi:app",
                "/readyz",
                environ,
                backend.workers,
            )
            with serving(target, logs / f"{target.name}-webhooks.log") as server:
                receiver = Receiver(sock)
                post_errors = asyncio.run(_exercise(server, receiver, count, window))
                server.check_alive()
            rows = database.rows(
                "SELECT identifier, created_at, attempts FROM webhook_deliveries"
            )
        runs.append(_run(backend, rows, receiver, post_errors))
    return runs


async def _exercise(
    server: Server, receiver: Receiver, count: int, window: float
) -> int:
    """Post on schedule, then wait for the callbacks; the number of failed POSTs."""
    async with receiver:
        errors = await _post_paced(server.url(""), count, window)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(DELAY_S + GIVE_UP_S):
                await receiver.arrived(count - errors)
    return errors


async def _post_paced(base_url: str, count: int, window: float) -> int:
    """POST number ``n`` at ``n * window / count`` seconds from now, or later."""
    errors = 0
    slots = asyncio.Semaphore(POST_CONCURRENCY)
    limits = httpx.Limits(max_connections=POST_CONCURRENCY)

    async def post(client: httpx.AsyncClient, number: int) -> None:
        nonlocal errors
        try:
            response = await client.post(f"/api/endpoint?some_parameter={number}")
            if response.status_code != 200:
                errors += 1
        except httpx.HTTPError:
            errors += 1
        finally:
            slots.release()

    loop = asyncio.get_running_loop()
    async with (
        httpx.AsyncClient(
            base_url=base_url, limits=limits, timeout=POST_TIMEOUT_S
        ) as client,
        asyncio.TaskGroup() as group,
    ):
        start = loop.time()
        for number in range(count):
            if (wait := start + number * window / count - loop.time()) > 0:
                await asyncio.sleep(wait)
            await slots.acquire()
            group.create_task(post(client, number))
    if errors == count:
        raise BenchError(f"every POST /api/endpoint to {base_url} failed")
    return errors


def _run(
    backend: Backend,
    rows: Sequence[tuple[Any, ...]],
    receiver: Receiver,
    post_errors: int,
) -> WebhookRun:
    due = {str(row[0]): float(row[1]) + DELAY_S for row in rows}
    arrivals = receiver.arrivals
    lateness = sorted(
        arrivals[identifier] - due_at if identifier in arrivals else math.inf
        for identifier, due_at in due.items()
    )
    times = [arrivals[identifier] for identifier in due if identifier in arrivals]
    span = max(times) - min(times) if len(times) > 1 else 0.0
    return WebhookRun(
        database=backend.name,
        workers=max(backend.workers, 1),
        scheduled=len(due),
        post_errors=post_errors,
        due_window_s=max(due.values()) - min(due.values()) if due else 0.0,
        lateness_s=lateness,
        deliveries_per_s=len(times) / span if span else 0.0,
        duplicates=receiver.duplicates,
        retried=sum(1 for row in rows if int(row[2]) > 1),
    )
