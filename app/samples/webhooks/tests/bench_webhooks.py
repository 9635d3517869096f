"""``make bench`` part ``webhooks``: scheduled deliveries per second, and lateness.

For each database of ``tests.bench.databases`` (SQLite with one worker;
PostgreSQL with two, when it answers) the kit is served on a fresh migrated
database with ``APP_CALLBACK_URL`` pointing at ``tests.support.receiver`` in
this process and ``APP_WEBHOOK_DELAY`` at ``DELAY_S``. The bench sends
``BENCH_WEBHOOKS`` (default 10,000) ``POST /api/endpoint?some_parameter=<n>``,
paced evenly over ``BENCH_WEBHOOK_WINDOW`` seconds (default: 60 s for 10,000,
the same rate of 10,000 a minute for any other count), so the deliveries fall
due evenly while the kit is still taking new ones. At most
``POST_CONCURRENCY`` POSTs are in flight; if the kit answers too slowly to
keep the pace, the due times spread over a longer window, as reported.

Lateness is arrival (when the receiver read the callback's head) minus the
due time, ``created_at + WEBHOOK_DELAY`` as stored in ``webhook_deliveries``
and read back after the run; both from this machine's clock. Deliveries per
second is the deliveries received over the time from the first arrival to
the last: the offered rate while the kit keeps up, less when it does not. A
delivery that has not arrived ``GIVE_UP_S`` after the last POST counts as
never. Target: p99 lateness under ``LATENESS_TARGET_S``.

Each database takes about the window plus ``DELAY_S`` plus a few seconds;
``BENCH_WEBHOOKS=1000`` is a 6 s run at the same rate.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Final

import httpx

from tests.bench import BenchError
from tests.bench.databases import fresh, kinds, left_out
from tests.bench.parts import Bench, Part, Section, number, table, verdict, whole_number
from tests.bench.serve import KIT, serving
from tests.support.receiver import Receiver

RATE_PER_S: Final = 10_000 / 60
DELAY_S: Final = 2.0
POST_CONCURRENCY: Final = 32
POST_TIMEOUT_S: Final = 30.0
GIVE_UP_S: Final = 30.0
LATENESS_TARGET_S: Final = 1.0


def run(bench: Bench) -> Section:
    """Schedule the deliveries on each database; rates, lateness, verdicts."""
    count = whole_number("BENCH_WEBHOOKS", 10_000)
    window = number("BENCH_WEBHOOK_WINDOW", count / RATE_PER_S)
    figures: dict[str, Any] = {"webhooks": count, "window_s": window}
    figures |= {"delay_s": DELAY_S, "databases": {}}
    verdicts = {}
    for kind in kinds():
        receiver = Receiver()
        try:
            with fresh(kind, bench.folder) as database:
                env = {
                    "APP_CALLBACK_URL": receiver.url,
                    "APP_WEBHOOK_DELAY": str(DELAY_S),
                }
                kit = replace(
                    KIT, env={**database.env, **env}, workers=database.workers
                )
                with serving(kit, bench.folder / f"webhooks-{kind}.log") as server:
                    errors = asyncio.run(_post_paced(server.url(""), count, window))
                    _wait(receiver, count - errors)
                    server.check_alive()
                rows = database.rows(
                    "SELECT identifier, created_at, attempts FROM webhook_deliveries"
                )
        finally:
            receiver.stop()
        row = _summarise(rows, receiver, errors, max(database.workers, 1))
        figures["databases"][kind] = row
        verdicts[f"webhooks_p99_{kind}"] = verdict(
            row["lateness_s"]["p99"] is not None
            and row["lateness_s"]["p99"] < LATENESS_TARGET_S
        )
    figures["left_out"] = left_out()
    return Section(figures, verdicts, _render(figures, verdicts))


async def _post_paced(base_url: str, count: int, window: float) -> int:
    """POST number ``n`` at ``n * window / count`` seconds from now, or later."""
    errors = 0
    slots = asyncio.Semaphore(POST_CONCURRENCY)
    limits = httpx.Limits(max_connections=POST_CONCURRENCY)

    async def post(client: httpx.AsyncClient, number: int) -> None:
        nonlocal errors
        try:
            response = await client.post(f"/api/endpoint?some_parameter={number}")
            errors += response.status_code != 200
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


def _wait(receiver: Receiver, count: int) -> None:
    """Until ``count`` different callbacks have arrived, or ``GIVE_UP_S`` passed."""
    deadline = time.monotonic() + DELAY_S + GIVE_UP_S
    while len(receiver.identifiers()) < count and time.monotonic() < deadline:
        time.sleep(0.1)


def _summarise(
    rows: Sequence[tuple[Any, ...]], receiver: Receiver, errors: int, workers: int
) -> dict[str, Any]:
    """Rates, lateness percentiles (None: never arrived), and what went wrong."""
    arrivals: dict[str, float] = {}
    for call in receiver.calls:
        arrivals.setdefault(call.identifier, call.at)
    due = {str(identifier): float(created) + DELAY_S for identifier, created, _ in rows}
    late = sorted(arrivals.get(i, math.inf) - due_at for i, due_at in due.items())
    times = [arrivals[i] for i in due if i in arrivals]
    span = max(times) - min(times) if len(times) > 1 else 0.0
    window = max(due.values()) - min(due.values()) if due else 0.0
    # Nearest rank: p99 is the value that 99% of the deliveries do not exceed.
    lateness = {
        name: late[max(math.ceil(fraction * len(late)), 1) - 1] if late else math.inf
        for name, fraction in (("p50", 0.50), ("p99", 0.99), ("max", 1.0))
    }
    return {
        "workers": workers,
        "scheduled": len(due),
        "post_errors": errors,
        "due_window_s": window,
        "offered_per_s": len(due) / window if window else 0.0,
        "deliveries_per_s": len(times) / span if span else 0.0,
        "lateness_s": {k: None if math.isinf(v) else v for k, v in lateness.items()},
        "never_arrived": sum(1 for value in late if math.isinf(value)),
        "duplicates": len(receiver.calls) - len(arrivals),
        "retried": sum(1 for *_, attempts in rows if int(attempts) > 1),
    }


def _render(figures: Mapping[str, Any], verdicts: Mapping[str, str]) -> str:
    head = "database,workers,scheduled,due over,offered/s,delivered/s"
    head += f",late p50,late p99,late max,never,retried,p99 < {LATENESS_TARGET_S:g} s"
    rows: list[Sequence[str]] = [head.split(",")]
    notes = []
    for kind, run in figures["databases"].items():
        late = run["lateness_s"]
        rows.append(
            (
                kind,
                str(run["workers"]),
                f"{run['scheduled']:,}",
                f"{run['due_window_s']:.1f} s",
                f"{run['offered_per_s']:,.0f}",
                f"{run['deliveries_per_s']:,.0f}",
                *(_seconds(late[key]) for key in ("p50", "p99", "max")),
                f"{run['never_arrived']:,}",
                f"{run['retried']:,}",
                verdicts[f"webhooks_p99_{kind}"],
            )
        )
        if run["post_errors"] or run["duplicates"]:
            notes.append(
                f"{kind}: {run['post_errors']:,} POSTs failed, "
                f"{run['duplicates']:,} callbacks arrived more than once"
            )
    return "\n".join(
        [
            f"webhooks: {figures['webhooks']:,} POST /api/endpoint paced over "
            f"{figures['window_s']:g} s, WEBHOOK_DELAY {DELAY_S:g} s, callbacks "
            "to a local receiver; late = arrival - due (created_at + delay); "
            f"never = not arrived {GIVE_UP_S:g} s after the last POST",
            "",
            *table(rows, left=2),
            *notes,
            *figures["left_out"],
        ]
    )


def _seconds(value: float | None) -> str:
    if value is None:
        return "never"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


PART: Final = Part(
    "webhooks", "scheduled webhook deliveries (~70 s per database at 10,000)", run
)
