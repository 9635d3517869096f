"""Part ``load``: mixed reads and writes at ``STRESS_CONNECTIONS`` on each database.

For SQLite (one process) and PostgreSQL when ``TEST_DATABASE_URL`` names a
server (two workers), the kit is served on a fresh database and ``Load``
runs for ``STRESS_DURATION`` seconds; then the table is read back
(``ledger``). Targets: 0 x 5xx, 0 transport errors, 0 lost, 0
duplicated, and exactly one winner per version of each contended entry.
"""

from __future__ import annotations

import asyncio
import secrets
import statistics
import time
from collections.abc import Sequence
from typing import Any, Final

from app.samples.addressbook.tests.traffic import Load
from tests.bench.databases import fresh, kinds
from tests.bench.parts import Section, table, verdict
from tests.stress.parts import Part, Stress
from tests.stress.servers import serve

READ_BACK: Final = "SELECT id, full_name, version FROM addresses"


def run(stress: Stress) -> Section:
    """The load on each database, then the read-back."""
    sizes = stress.sizes
    figures: dict[str, Any] = {}
    verdicts: dict[str, str] = {}
    texts: list[str] = []
    for kind in kinds():
        log = stress.folder / f"load-{kind}.log"
        with fresh(kind, stress.folder) as database:
            with serve(log, database.env, database.workers) as running:
                load = Load(running.server.url, sizes.connections, new_tag())
                started = time.monotonic()
                asyncio.run(_for(load, sizes.duration))
                elapsed = time.monotonic() - started
                running.check_alive()
            found = load.reconcile(database.rows(READ_BACK)).figures()
        counted = counts(load)
        figures[kind] = {**counted, **found, "seconds": round(elapsed, 1)}
        figures[kind]["wrong_reads"] = len(load.wrong_reads)
        clean = counted["5xx"] == 0 and counted["errors"] == 0
        consistent = not load.wrong_reads and not any(
            found[name]
            for name in (
                "lost",
                "duplicated",
                "executed_without_response",
                "written_despite_error",
                "unexplained_versions",
            )
        )
        verdicts[f"load {kind}: 0 5xx, 0 errors"] = verdict(clean)
        verdicts[f"load {kind}: read-back"] = verdict(consistent)
        texts.append(
            f"{kind} ({max(database.workers, 1)} process(es)), {sizes.connections} "
            f"connections, {elapsed:.0f} s, {counted['requests'] / elapsed:,.0f} req/s"
        )
        texts += [*table(operations(load), left=1), *readback_lines(found)]
        texts += [
            f"reads of a worker's own entry that missed it: {len(load.wrong_reads)}",
            *(f"  {line}" for line in load.wrong_reads[:3]),
            "",
        ]
    # The summary's figures: the sums over the databases.
    for name in ("requests", "5xx", "lost", "duplicated"):
        figures[name] = sum(figures[kind][name] for kind in kinds())
    heading = "load: mixed reads and writes on the address book, then the read-back"
    return Section(figures, verdicts, "\n".join([heading, "", *texts]).rstrip())


async def _for(load: Load, seconds: float) -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(seconds, stop.set)
    await load.run(stop)


def new_tag() -> str:
    """A marker prefix of its own for each run, so runs never read each other's rows."""
    return f"s{secrets.token_hex(4)}"


def counts(load: Load) -> dict[str, int]:
    """Requests, responses by class, and transport errors over every operation.

    ``refused``: no connection could be made, so the request never left;
    ``cut``: any other transport error, where the request may have arrived.
    """
    statuses = [s for t in load.tallies.values() for s in t.statuses.elements()]
    errors = sum(sum(t.errors.values()) for t in load.tallies.values())
    refused = sum(t.errors["ConnectError"] for t in load.tallies.values())
    return {
        "requests": len(statuses) + errors,
        "2xx": sum(200 <= s < 300 for s in statuses),
        "4xx": sum(400 <= s < 500 for s in statuses),
        "5xx": sum(s >= 500 for s in statuses),
        "503": sum(s == 503 for s in statuses),
        "errors": errors,
        "refused": refused,
        "cut": errors - refused,
    }


def operations(load: Load) -> list[Sequence[str]]:
    """One row per operation: counts by class, transport errors, latencies."""
    rows: list[Sequence[str]] = [
        ("operation", "requests", "2xx", "4xx", "5xx", "errors", "p50", "p99", "max")
    ]
    for name, tally in sorted(load.tallies.items()):
        statuses = list(tally.statuses.elements())
        latencies = sorted(tally.latencies_ms) or [0.0]
        p99 = (
            statistics.quantiles(latencies, n=100, method="inclusive")[98]
            if len(latencies) > 1
            else latencies[0]
        )
        errors = ", ".join(f"{k} {v}" for k, v in tally.errors.most_common())
        rows.append(
            (
                name,
                str(len(statuses) + sum(tally.errors.values())),
                str(sum(200 <= s < 300 for s in statuses)),
                str(sum(400 <= s < 500 for s in statuses)),
                str(sum(s >= 500 for s in statuses)),
                errors or "0",
                f"{statistics.median(latencies):.1f}ms",
                f"{p99:.1f}ms",
                f"{latencies[-1]:.1f}ms",
            )
        )
    return rows


def readback_lines(found: dict[str, Any], contended: bool = True) -> list[str]:
    """The read-back's counts, and an example of each finding."""
    line = (
        f"read-back: lost {found['lost']}, duplicated {found['duplicated']}, "
        f"executed without a response {found['executed_without_response']}, "
        f"written despite an error {found['written_despite_error']}"
    )
    if contended:
        line += (
            f", unexplained versions {found['unexplained_versions']}; If-Match: "
            f"{found['if_match_winners']} winners, {found['if_match_412']} x 412"
        )
    lines = [line]
    for name, examples in found["examples"].items():
        lines += [f"  {name}: {example}" for example in examples[:3]]
    return lines


PART: Final = Part(
    "load", "mixed reads and writes, then the read-back (STRESS_DURATION per db)", run
)
