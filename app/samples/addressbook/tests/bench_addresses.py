"""``make bench`` part ``addresses``: the address book's creates and reads per second.

For each database of ``tests.bench.databases`` (SQLite with one worker;
PostgreSQL with two, when it answers) the kit is served on a fresh migrated
database, and bare Quart next to it. ``SEED`` entries are created first, so
that the reads find an entry 1 and a full page of 50. Then every round runs
four wrk jobs, the order rotating: ``POST /addresses`` (creates), ``GET
/addresses/1`` and ``GET /addresses?limit=50`` (reads) on the kit, and
``/api`` on bare Quart. A discarded warm-up each, then
``BENCH_ADDRESS_ROUNDS`` rounds (default 3) of ``BENCH_DURATION`` seconds.
Each kit figure is divided by bare Quart's ``/api`` from the same rounds:
what an address-book request costs next to the cheapest request plain
Quart can serve. Reads by id and the first page go through the primary key,
so they do not slow down as the creates fill the table.

wrk stops by closing its connections, cutting the requests in flight; a
``POST`` cut that way must not leave SQLite write-locked. So before each
create run one ``POST`` at a time is sent until one gets its 201, and the
wait is reported (``write_stalls_s``, near 0 when no write was left hanging).
"""

from __future__ import annotations

import contextlib
import functools
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Final

from tests.bench import BenchError
from tests.bench.databases import fresh, kinds, left_out
from tests.bench.parts import Bench, Part, Section, table, whole_number
from tests.bench.serve import BARE, KIT, Running, serving
from tests.bench.wrk import FLAGS, Endpoint, Job, compared, expect, take_turns

SEED: Final = 50
WRITABLE_DEADLINE_S: Final = 60.0
ENTRY: Final = {
    "full_name": "Ada Lovelace",
    "emails": [{"kind": "work", "email": "ada@example.com"}],
}
JSON: Final = {"Content-Type": "application/json"}
CREATE: Final = Endpoint("/addresses", JSON, "POST", json.dumps(ENTRY), status=201)
READS: Final = (Endpoint("/addresses/1"), Endpoint("/addresses?limit=50"))
BARE_HELLO: Final = "bare /api"


def run(bench: Bench) -> Section:
    """Creates and reads per second on each database, next to bare ``/api``."""
    rounds = whole_number("BENCH_ADDRESS_ROUNDS", 3)
    figures: dict[str, Any] = {"rounds": rounds, "databases": {}}
    for kind in kinds():
        with fresh(kind, bench.folder) as database, contextlib.ExitStack() as stack:
            kit = replace(KIT, env=database.env, workers=database.workers)
            server = stack.enter_context(
                serving(kit, bench.folder / f"addresses-{kind}.log")
            )
            bare = stack.enter_context(
                serving(BARE, bench.folder / f"addresses-{kind}-bare.log")
            )
            for _ in range(SEED):
                expect(server, CREATE)
            stalls: list[float] = []
            jobs = [
                Job(BARE_HELLO, bare, Endpoint("/api")),
                Job(
                    CREATE.label,
                    server,
                    CREATE,
                    functools.partial(_writable, server, stalls),
                ),
                *(Job(read.label, server, read) for read in READS),
            ]
            measured = take_turns(bench.wrk, jobs, rounds, bench.duration)
        hello = measured.pop(BARE_HELLO)
        figures["databases"][kind] = {
            "workers": max(database.workers, 1),
            "endpoints": {label: compared(r, hello) for label, r in measured.items()},
            "bare_api": compared(hello, hello),
            "write_stalls_s": stalls[1:],  # the first is the warm-up's
        }
    figures["left_out"] = left_out()
    return Section(figures, {}, _render(figures, bench))


def _writable(server: Running, stalls: list[float]) -> None:
    """Send ``POST /addresses`` until one gets its 201; add the wait to ``stalls``."""
    started = time.perf_counter()
    while (got := CREATE.status_on(server)) != CREATE.status:
        server.check_alive()
        if (waited := time.perf_counter() - started) > WRITABLE_DEADLINE_S:
            raise BenchError(
                f"POST {CREATE.path} still fails (last: {got}) {waited:.0f} s "
                "after a create run"
            )
    stalls.append(time.perf_counter() - started)


def _render(figures: Mapping[str, Any], bench: Bench) -> str:
    head = "database,workers,endpoint,req/s,÷ bare /api,rounds min-max,p50,p99,errors"
    rows: list[Sequence[str]] = [head.split(",")]
    for kind, run in figures["databases"].items():
        endpoints = {**run["endpoints"], BARE_HELLO: run["bare_api"]}
        for label, row in endpoints.items():
            spread = row["spread"]
            rows.append(
                (
                    kind,
                    "1" if label == BARE_HELLO else str(run["workers"]),
                    label,
                    f"{row['requests_per_s']:,.0f}",
                    f"{row['ratio']:.2f}",
                    f"{spread['min']:.2f}-{spread['max']:.2f}",
                    f"{row['p50_ms']:.2f}ms",
                    f"{row['p99_ms']:.2f}ms",
                    str(row["errors"]),
                )
            )
    stalls = "; ".join(
        f"{kind} " + ", ".join(f"{wait:.1f}" for wait in run["write_stalls_s"]) + " s"
        for kind, run in figures["databases"].items()
    )
    return "\n".join(
        [
            f"address book: wrk {FLAGS}, medians of {figures['rounds']} rounds of "
            f"{bench.duration} s after a warm-up, the kit's endpoints and bare "
            "/api taking turns; ÷ bare /api is the rate over bare's /api rate",
            "",
            *table(rows, left=3),
            "",
            "writable again (a stall means a cut POST left the database locked): "
            f"before each later POST run, one POST got its 201 after {stalls}",
            *figures["left_out"],
        ]
    )


PART: Final = Part(
    "addresses", "address book creates and reads (~1 min per database)", run
)
