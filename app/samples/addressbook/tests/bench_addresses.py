"""``make bench`` part ``addresses``: the address book against a FastAPI peer.

The peer (``fastapi_peer.py``, next to this file) is the same three endpoints
written the way FastAPI's documentation writes them, on the same table. For
each database of ``tests.bench.databases`` (PostgreSQL when it answers) the
kit and the peer are served side by side on one fresh migrated database, by
one process each, and ``SEED`` entries are created first, so that the reads
find an entry 1 and a full page of 50. Then each of
``POST /addresses``, ``GET /addresses/1`` and ``GET /addresses?limit=50``
takes turns on both (``tests.bench.wrk.take_turns``, as the ``api`` part
does): a discarded warm-up each, then ``BENCH_ADDRESS_ROUNDS`` rounds
(default 4) of ``BENCH_DURATION`` seconds, the kit and the peer going first
in turn. kit ÷ peer is the ratio of the median rates, with the range of the
per-round ratios; the targets are ``TARGETS``. Reads by id and the first page
go through the primary key, so they do not slow down as the creates fill the
table.

Then, as the ``instructions`` part does and with its machinery, each target
is served alone inside callgrind (one process, a fresh database each) and the
instructions of ``COUNTED`` requests of each endpoint, one after the other on
a keep-alive connection after ``COUNT_WARMUP``, are counted: a measure that
the host's noise does not move. Skipped without valgrind.

One process, not Hypercorn's workers: asyncio workers share one listening
socket, and the first to wake accepts every connection waiting, so one of
two workers mostly took all of wrk's connections, and a round measured how
they fell more than the code (docs/benchmark.md).

wrk stops by closing its connections, cutting the requests in flight; a
``POST`` cut that way must not leave SQLite write-locked. So before each
create run one ``POST`` at a time is sent until one gets its 201, and the
wait is reported (``write_stalls_s``, near 0 when no write was left hanging).
"""

from __future__ import annotations

import contextlib
import functools
import json
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

from tests.bench import BenchError
from tests.bench.databases import Database, fresh, kinds, left_out
from tests.bench.instructions import (
    callgrind,
    callgrind_control,
    callgrind_dump,
    in_a_row,
)
from tests.bench.parts import Bench, Part, Section, table, verdict, whole_number
from tests.bench.serve import KIT, Running, Target, serving
from tests.bench.wrk import FLAGS, Endpoint, Job, cells, compared, expect, take_turns

PEER: Final = Target("peer", "app.samples.addressbook.tests.fastapi_peer:app")
SEED: Final = 50
WRITABLE_DEADLINE_S: Final = 60.0
ENTRY: Final = {
    "full_name": "Ada Lovelace",
    "emails": [{"kind": "work", "email": "ada@example.com"}],
}
JSON: Final = {"Content-Type": "application/json"}
CREATE: Final = Endpoint("/addresses", JSON, "POST", json.dumps(ENTRY), status=201)
ENDPOINTS: Final = (
    CREATE,
    Endpoint("/addresses/1"),
    Endpoint("/addresses?limit=50"),
)
# kit ÷ peer at least this, by the median rates.
TARGETS: Final = {CREATE.label: 1.0, "/addresses/1": 1.2, "/addresses?limit=50": 1.2}
COUNT_WARMUP: Final = 300
COUNTED: Final = 200
COUNT_DEADLINE_S: Final = 300.0


def run(bench: Bench) -> Section:
    """kit ÷ peer on each database by wrk, then by callgrind's counts."""
    rounds = whole_number("BENCH_ADDRESS_ROUNDS", 4)
    figures: dict[str, Any] = {"rounds": rounds, "databases": {}}
    verdicts: dict[str, str] = {}
    for kind in kinds():
        figures["databases"][kind] = ran = _side_by_side(bench, kind, rounds)
        for label, row in ran["endpoints"].items():
            verdicts[f"{kind} {label}"] = verdict(row["ratio"] >= TARGETS[label])
    figures["instructions"] = _instructions(bench)
    figures["left_out"] = left_out()
    return Section(figures, verdicts, _render(figures, verdicts, bench))


def _side_by_side(bench: Bench, kind: str, rounds: int) -> dict[str, Any]:
    """wrk rounds of every endpoint on the kit and the peer, on one database."""
    with fresh(kind, bench.folder) as database, contextlib.ExitStack() as stack:
        servers = [
            stack.enter_context(
                serving(
                    replace(target, env=database.env, workers=0),
                    bench.folder / f"addresses-{kind}-{target.name}.log",
                )
            )
            for target in (KIT, PEER)
        ]
        _seed(servers[0])
        stalls: list[float] = []
        endpoints: dict[str, Any] = {}
        for endpoint in ENDPOINTS:
            jobs = [
                Job(
                    server.target.name,
                    server,
                    endpoint,
                    functools.partial(_writable, server, stalls)
                    if endpoint is CREATE
                    else None,
                )
                for server in servers
            ]
            ran = take_turns(bench.wrk, jobs, rounds, bench.duration)
            endpoints[endpoint.label] = {
                **compared(ran["kit"], ran["peer"]),
                "peer": compared(ran["peer"], ran["peer"]),
            }
    return {
        "workers": 1,
        "endpoints": endpoints,
        "write_stalls_s": stalls[2:],  # the first two are the warm-ups'
    }


def _seed(server: Running) -> None:
    for _ in range(SEED):
        expect(server, CREATE)


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


def _instructions(bench: Bench) -> dict[str, Any]:
    """Per database, each target's instructions per request of each endpoint."""
    valgrind, control = shutil.which("valgrind"), shutil.which("callgrind_control")
    if not (valgrind and control):
        return {"skipped": "valgrind is not installed (apt-get install valgrind)"}
    counts: dict[str, Any] = {}
    for kind in kinds():
        with contextlib.ExitStack() as stack, ThreadPoolExecutor(2) as pool:
            futures = {}
            for target in (KIT, PEER):
                database = stack.enter_context(fresh(kind, bench.folder))
                count = _counter(valgrind, control, target, database, bench.folder)
                futures[target.name] = pool.submit(count)
            got = {name: future.result() for name, future in futures.items()}
        counts[kind] = {
            label: {
                "kit": got["kit"][label],
                "peer": got["peer"][label],
                "kit_over_peer": got["kit"][label] / got["peer"][label],
            }
            for label in got["kit"]
        }
    return counts


def _counter(
    valgrind: str, control: str, target: Target, database: Database, folder: Path
) -> Callable[[], dict[str, float]]:
    """A call that serves ``target`` in callgrind and counts each endpoint."""
    name = f"{target.name}-{database.kind}"
    dumps = folder / f"addresses-{name}-callgrind"
    # One process: callgrind follows no worker that Hypercorn would spawn.
    served = replace(target, env=database.env, workers=0)

    def count() -> dict[str, float]:
        dumps.mkdir()
        log = folder / f"addresses-{name}-callgrind.log"
        prefix = callgrind(valgrind, dumps)
        with serving(served, log, prefix, COUNT_DEADLINE_S) as running:
            pid = str(running.server.process.pid)
            counts = {}
            for endpoint in ENDPOINTS:  # the creates first: the reads need entries
                _in_a_row(running, endpoint, COUNT_WARMUP)
                callgrind_control(control, "-z", pid)
                _in_a_row(running, endpoint, COUNTED)
                counts[endpoint.label] = callgrind_dump(control, pid, dumps) / COUNTED
        return counts

    return count


def _in_a_row(running: Running, endpoint: Endpoint, count: int) -> None:
    if (status := in_a_row(running, endpoint, count)) != endpoint.status:
        raise BenchError(f"{running.target.name} {endpoint.label}: {status}")


def _render(
    figures: Mapping[str, Any], verdicts: Mapping[str, str], bench: Bench
) -> str:
    head = "database,workers,endpoint,kit req/s,kit ÷ peer,rounds min-max,p50,p99"
    rows: list[Sequence[str]] = [
        [*head.split(","), "peer req/s", "peer p50", "peer p99", "errors", "target"]
    ]
    for kind, ran in figures["databases"].items():
        for label, row in ran["endpoints"].items():
            peer = row["peer"]
            rows.append(
                (
                    kind,
                    str(ran["workers"]),
                    label,
                    *cells(row),
                    f"{peer['requests_per_s']:,.0f}",
                    f"{peer['p50_ms']:.2f}ms",
                    f"{peer['p99_ms']:.2f}ms",
                    str(row["errors"] + peer["errors"]),
                    f"≥ {TARGETS[label]:.1f} {verdicts[f'{kind} {label}']}",
                )
            )
    stalls = "; ".join(
        f"{kind} " + ", ".join(f"{wait:.1f}" for wait in ran["write_stalls_s"]) + " s"
        for kind, ran in figures["databases"].items()
    )
    return "\n".join(
        [
            f"address book against the FastAPI peer: wrk {FLAGS}, medians of "
            f"{figures['rounds']} rounds of {bench.duration} s after a warm-up, "
            "kit and peer on one database taking turns; kit ÷ peer is the rate "
            "over the peer's",
            "",
            *table(rows, left=3),
            "",
            "writable again (a stall means a cut POST left the database locked): "
            f"before each later POST run, one POST got its 201 after {stalls}",
            "",
            *_render_instructions(figures["instructions"]),
            *figures["left_out"],
        ]
    )


def _render_instructions(counts: Mapping[str, Any]) -> list[str]:
    if "skipped" in counts:
        return [f"instructions: skipped, {counts['skipped']}"]
    rows: list[Sequence[str]] = [["database", "endpoint", "kit", "peer", "kit ÷ peer"]]
    for kind, endpoints in counts.items():
        for label, row in endpoints.items():
            rows.append(
                (
                    kind,
                    label,
                    f"{row['kit']:,.0f}",
                    f"{row['peer']:,.0f}",
                    f"{row['kit_over_peer']:.2f}",
                )
            )
    return [
        f"instructions per request under callgrind, one process each: {COUNTED} "
        f"requests one at a time after {COUNT_WARMUP}; fewer is faster",
        "",
        *table(rows, left=2),
    ]


PART: Final = Part(
    "addresses",
    "address book against a FastAPI peer (~3 min per database, then callgrind)",
    run,
)
