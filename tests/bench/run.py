"""Load-test the kit against a bare Quart app: ``make bench`` (``python -m bench.run``).

Two targets are served exactly as ``make run`` serves the kit (Hypercorn with
``hypercorn.toml``, logs on, bound to a free port): the kit (``app.asgi:app``)
and ``bench.baseline:app``, the same four endpoints written with plain Quart.
For each target this measures:

- cold start: ``Popen`` to the first 200 (``/healthz`` for the kit, ``/api`` for
  the bare app), the median of 5 fresh starts; target 0.6 s or less; and the
  stop of each of those starts, SIGTERM to exit;
- throughput and latency under ``wrk -t1 -c32 --latency`` for each of
  ``ENDPOINTS`` (``/api``, ``/api/person/1``, ``/api/yaml`` and ``/api/secret``
  with Basic alice:password): one discarded 2 s warm-up per target, then
  ``BENCH_ROUNDS`` rounds (default 8) of ``BENCH_DURATION`` seconds (default 3)
  per target;
- resident memory after the load, the server process and any children;
- for the kit only, ``/api/secret`` p50 for a wrong password against an
  unknown user: equal p50s mean the 401 does not tell which users exist.

Both servers run at the same time. In each round wrk drives one and then the
other, and the order alternates (kit then bare, then bare then kit, ...), so
the two runs compared are seconds apart, any drift (CPU clock, neighbours on
the host) hits both, and neither always goes first. On a small shared VM one
long run per target can be off by 25%; medians over many short rounds are not
moved by one bad round. Before each run the bench waits until both servers are
idle (requests that wrk left in flight are still being served), so the one not
under load only waits in epoll. The machine has 2 cores: wrk's one thread
leaves the other to the server under test.

How to read kit ÷ bare: it is the kit's median requests per second over the
bare app's median, so 0.90 means the kit serves 90% of the bare app's rate.
The gap is what the kit does on every request that plain Quart does not
(request id and access log line, content negotiation, its hooks and config).
The target is 0.90 or more on ``/api``, where the view does least and that
work shows most. Next to it, min-max is the lowest and highest of the
per-round ratios (kit's round i over bare's round i): the noise of this
machine. When that range straddles 0.90, one run cannot settle the verdict;
raise ``BENCH_ROUNDS``. On ``/api/secret`` both pay the same scrypt hash, so
the ratio sits near 1 whatever the kit adds; read its latencies (medians over
the rounds), not its ratio.

``instructions`` (``bench.instructions``) serves both targets again, the kit
on a temporary SQLite file, each inside ``valgrind --tool=callgrind``, and
counts the instructions of the start (exec to the first 200), then per
request of ``/api``, ``/api/person/1`` and ``/api/yaml`` (500 keep-alive
requests one at a time, after 1,000 to warm up). The count does not depend
on the host, so its kit ÷ bare (bare's count over the kit's) says what the
wrk ratio and the cold start mean when the host's noise puts them near their
targets. Skipped, with a line that says so, without valgrind.

Two more parts serve the kit on a database (``bench.databases``: a temporary
SQLite file with one worker, and a temporary schema on PostgreSQL with two
workers when a server answers; the report says when PostgreSQL was left
out):

- the address book (``bench.addresses``, issue 3): creates/s and reads/s,
  each divided by the bare app's ``/api`` in the same rounds;
  ``BENCH_ADDRESS_ROUNDS`` rounds (default 3) of ``BENCH_DURATION`` seconds;
- webhooks (``bench.webhooks``, issue 4): ``BENCH_WEBHOOKS`` deliveries
  (default 10,000) due evenly over ``BENCH_WEBHOOK_WINDOW`` seconds (default
  60 for 10,000, the same rate for any other count), to a receiver in this
  process: deliveries/s and lateness p50/p99, target p99 under 1 s.

``BENCH_ONLY`` runs some parts only, by name, comma-separated: ``api`` (the
kit against the bare app, above), ``instructions``, ``addresses``,
``webhooks``; unset runs all four. With the defaults the whole bench takes
about 11 minutes on 2 cores: ``api`` about 4, ``instructions`` about 2.5,
``addresses`` about 1 per database, ``webhooks`` a little over 1 per
database. ``BENCH_ONLY=webhooks BENCH_WEBHOOKS=1000``
is a quick look (about 10 s per database).

Before any part, the bench writes the bytecode of the project's modules
(``compile_bytecode``), as the first start on most machines does.

The bench reports; it does not gate: a missed target still exits 0. It exits
1 when wrk cannot be found or fails, a server does not start or dies, or a
database named by ``BENCH_DATABASE_URL``/``TEST_DATABASE_URL`` does not
answer. Results also go to ``bench/results/latest.json`` (git-ignored).
"""

from __future__ import annotations

import compileall
import contextlib
import json
import os
import signal
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import Any, Final

from tests.bench import BenchError
from tests.bench.addresses import measure_addresses
from tests.bench.databases import SQLITE, backends, describe, migrated
from tests.bench.instructions import callgrind, measure_instructions
from tests.bench.measure import (
    AUTH_CONNECTIONS,
    AUTH_DURATION_S,
    COLD_STARTS,
    WARMUP_S,
    Endpoint,
    basic,
    measure_cold_starts,
    measure_load,
)
from tests.bench.report import Measured, render, summarise
from tests.bench.servers import ROOT, Target
from tests.bench.webhooks import (
    DELAY_S,
    POST_CONCURRENCY,
    default_window,
    measure_webhooks,
)
from tests.bench.wrk import FLAGS, ensure_wrk

RESULTS: Final = ROOT / "bench" / "results" / "latest.json"
# The project's own packages, whose bytecode the bench writes before it starts.
PACKAGES: Final = ("app", "converters", "bench")
PARTS: Final = ("api", "instructions", "addresses", "webhooks")

# The kit first: the report divides kit by bare under these names.
TARGETS: Final = (
    Target("kit", "app.asgi:app", "/healthz"),
    Target("bare", "bench.baseline:app", "/api"),
)
# To load another endpoint, add it here and to bench/baseline.py. A POST gives
# its method and body too: Endpoint(path, headers, "POST", body, status=201).
ENDPOINTS: Final = (
    Endpoint("/api"),
    Endpoint("/api/person/1"),
    Endpoint("/api/yaml"),
    Endpoint("/api/secret", basic("alice", "password")),
)
# Under callgrind the scrypt hash of /api/secret takes seconds a request.
CHEAP: Final = tuple(e for e in ENDPOINTS if e.path != "/api/secret")


def whole_number(name: str, default: int) -> int:
    """A whole number of at least 1 from the environment variable ``name``."""
    raw = os.environ.get(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise BenchError(f"{name} must be a whole number of at least 1, got {raw!r}")
    return value


def seconds(name: str, default: float) -> float:
    """A positive number of seconds from the environment variable ``name``."""
    raw = os.environ.get(name, str(default))
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise BenchError(f"{name} must be a positive number of seconds, got {raw!r}")
    return value


def chosen_parts() -> tuple[str, ...]:
    """The parts that ``BENCH_ONLY`` names, in the report's order; all if unset."""
    raw = os.environ.get("BENCH_ONLY", "")
    names = {name.strip() for name in raw.split(",") if name.strip()}
    if unknown := names - set(PARTS):
        raise BenchError(
            f"BENCH_ONLY: unknown part {', '.join(sorted(unknown))}; "
            f"choose from {', '.join(PARTS)}"
        )
    return tuple(part for part in PARTS if part in names or not names)


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # SystemExit unwinds through the finally blocks that stop the servers.
    sys.exit(128 + signum)


def _progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def measure() -> Measured:
    """Run the chosen parts and gather what they measured."""
    parts = chosen_parts()
    rounds = whole_number("BENCH_ROUNDS", 8)
    duration = whole_number("BENCH_DURATION", 3)
    address_rounds = whole_number("BENCH_ADDRESS_ROUNDS", 3)
    webhooks = whole_number("BENCH_WEBHOOKS", 10_000)
    window = seconds("BENCH_WEBHOOK_WINDOW", default_window(webhooks))
    settings: dict[str, Any] = {
        "parts": list(parts),
        "rounds": rounds,
        "duration_s": duration,
        "warmup_s": WARMUP_S,
        "wrk": FLAGS,
        "cold_starts": COLD_STARTS,
        "auth_connections": AUTH_CONNECTIONS,
        "auth_duration_s": AUTH_DURATION_S,
        "address_rounds": address_rounds,
        "webhooks": webhooks,
        "webhook_window_s": window,
        "webhook_delay_s": DELAY_S,
        "webhook_post_concurrency": POST_CONCURRENCY,
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
    }
    compile_bytecode()
    program = ensure_wrk() if {"api", "addresses"} & set(parts) else ""
    found, skipped = (
        backends() if {"addresses", "webhooks"} & set(parts) else ([], None)
    )
    measured = Measured(settings, describe(found, skipped))
    if skipped:
        _progress(f"postgresql {skipped}")
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        logs = Path(tmp)
        if "api" in parts:
            _progress("kit against bare Quart (cold starts, wrk rounds, RSS, auth)")
            with _on_fresh_sqlite(logs) as targets:
                cold = measure_cold_starts(targets, logs)
                load = measure_load(program, targets, ENDPOINTS, logs, rounds, duration)
            measured = replace(measured, cold=cold, load=load)
        if "instructions" in parts:
            if tools := callgrind():
                _progress("instructions per request under callgrind (about 2 min)")
                with _on_fresh_sqlite(logs) as targets:
                    counts = measure_instructions(tools, targets, CHEAP, logs)
                measured = replace(measured, instructions=counts)
            else:
                _progress("instructions: skipped, valgrind is not installed")
        if "addresses" in parts:
            _progress(f"address book on {', '.join(b.name for b in found)}")
            runs = measure_addresses(
                program, found, TARGETS[1], logs, address_rounds, duration
            )
            measured = replace(measured, addresses=runs)
        if "webhooks" in parts:
            _progress(f"{webhooks:,} webhooks over {window:g} s on each database")
            deliveries = measure_webhooks(found, logs, webhooks, window)
            measured = replace(measured, webhooks=deliveries)
    return measured


def compile_bytecode() -> None:
    """Write the bytecode of ``PACKAGES``, as a first start does on most machines.

    Where ``PYTHONDONTWRITEBYTECODE`` is set (this sandbox, many container
    images), no start writes it, and every start compiles the kit's modules
    again: 4% of the instructions of the kit's start. A deployment compiles
    them once (``python -m compileall app converters``); so does the bench.
    """
    for package in PACKAGES:
        if not compileall.compile_dir(ROOT / package, quiet=1):
            raise BenchError(f"cannot compile {package}/")


@contextlib.contextmanager
def _on_fresh_sqlite(logs: Path) -> Iterator[tuple[Target, ...]]:
    """``TARGETS`` with the kit on a fresh SQLite file, never instance/app.db."""
    with migrated(SQLITE, logs) as database:
        yield (replace(TARGETS[0], environ=database.environ()), *TARGETS[1:])


def main() -> int:
    """Run the bench; print the report and write the JSON."""
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        measured = measure()
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    summary = summarise(measured)
    print(render(summary))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
