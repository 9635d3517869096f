"""The address book under load (issue 3): creates and reads per second.

For each database of ``bench.databases`` (SQLite with one worker; PostgreSQL
with two, when it answers) the kit is served on a fresh migrated database,
and the bare-Quart baseline next to it. ``SEED`` entries are created first,
so that the reads find an entry 1 and a full page of 50. Then every round
runs four wrk jobs, order alternating from round to round as in the main
bench: ``POST /addresses`` (creates), ``GET /addresses/1`` and ``GET
/addresses?limit=50`` (reads) on the kit, and ``/api`` on the bare app. One
discarded warm-up each, then ``BENCH_ADDRESS_ROUNDS`` (default 3) rounds of
``BENCH_DURATION`` seconds. Each kit figure is divided by the bare app's
``/api`` median from the same rounds: what an address-book request costs
next to the cheapest request plain Quart can serve.

The creates keep adding entries (thousands per round); reads by id and the
first page do not slow down with the table's size, as both go through the
primary key.

wrk stops by closing its connections, cutting the requests in flight. The
kit once left SQLite write-locked for tens of seconds after a ``POST`` cut
that way (fixed by ``app.database.unit_of_work``). As a guard, before each
create run the bench sends one ``POST`` at a time until one gets its 201 and
reports how long that took (``write_stalls_s``, near 0 when no write was left
hanging).
"""

from __future__ import annotations

import contextlib
import functools
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from tests.bench import BenchError
from tests.bench.databases import Backend, migrated
from tests.bench.measure import Endpoint, Job, alternate, expect
from tests.bench.servers import Server, Target, serving, status_of
from tests.bench.wrk import WrkResult

SEED: Final = 50
WRITABLE_DEADLINE_S: Final = 60.0
ENTRY: Final = json.dumps(
    {
        "full_name": "Ada Lovelace",
        "emails": [{"kind": "work", "email": "ada@example.com"}],
    }
)
CREATE: Final = Endpoint(
    "/addresses",
    {"Content-Type": "application/json"},
    "POST",
    ENTRY,
    status=201,
)
READS: Final = (Endpoint("/addresses/1"), Endpoint("/addresses?limit=50"))
HELLO: Final = Endpoint("/api")
# The bare app's job; the kit's jobs are named by their endpoint's label.
BARE_HELLO: Final = "bare /api"


@dataclass(frozen=True)
class AddressRun:
    """One database's rounds: job name -> one wrk result per round."""

    database: str
    workers: int
    rounds: Mapping[str, Sequence[WrkResult]]
    # Before each create run after the first (the warm-up): seconds until a
    # single POST got its 201.
    write_stalls_s: Sequence[float]


def measure_addresses(
    program: str,
    backends: Sequence[Backend],
    bare: Target,
    logs: Path,
    rounds: int,
    duration: int,
) -> list[AddressRun]:
    """Serve the kit on each database next to ``bare``; wrk rounds on both."""
    runs = []
    for backend in backends:
        with migrated(backend, logs) as database, contextlib.ExitStack() as stack:
            kit = Target(
                f"kit-{backend.name}",
                "app.asgi:app",
                "/readyz",
                database.environ(),
                backend.workers,
            )
            server = stack.enter_context(
                serving(kit, logs / f"{kit.name}-addresses.log")
            )
            baseline = stack.enter_context(
                serving(bare, logs / f"{bare.name}-addresses.log")
            )
            seed(server)
            stalls: list[float] = []
            jobs = [
                Job(BARE_HELLO, baseline, HELLO),
                Job(
                    CREATE.label,
                    server,
                    CREATE,
                    functools.partial(wait_writable, server, stalls),
                ),
                *(Job(read.label, server, read) for read in READS),
            ]
            measured = alternate(program, jobs, rounds, duration)
        workers = max(backend.workers, 1)
        runs.append(AddressRun(backend.name, workers, measured, stalls[1:]))
    return runs


def seed(server: Server) -> None:
    """Create ``SEED`` entries, one request at a time, each checked."""
    for _ in range(SEED):
        expect(server, CREATE)


def wait_writable(server: Server, stalls: list[float]) -> None:
    """Send ``POST /addresses`` until one gets its 201; add the wait to ``stalls``."""
    started = time.perf_counter()
    while True:
        try:
            got = status_of(
                server.port, CREATE.path, CREATE.headers, CREATE.method, CREATE.body
            )
        except OSError:
            got = 0
        waited = time.perf_counter() - started
        if got == CREATE.status:
            stalls.append(waited)
            return
        server.check_alive()
        if waited > WRITABLE_DEADLINE_S:
            raise BenchError(
                f"{server.target.name}: POST {CREATE.path} still fails (last: "
                f"{got}) {waited:.0f} s after a create run"
            )
