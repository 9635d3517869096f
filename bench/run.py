"""Load-test the kit against a bare Quart app: ``make bench`` (``python -m bench.run``).

Two targets are served exactly as ``make run`` serves the kit (Hypercorn with
``hypercorn.toml``, logs on, bound to a free port): the kit (``app.asgi:app``)
and ``bench.baseline:app``, the same four endpoints written with plain Quart.
For each target this measures:

- cold start: ``Popen`` to the first 200 (``/healthz`` for the kit, ``/api`` for
  the bare app), the median of 5 fresh starts; target 0.6 s or less;
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

The bench reports; it does not gate: a missed target still exits 0. It exits
1 when wrk cannot be found or fails, or a server does not start or dies.
Results also go to ``bench/results/latest.json`` (git-ignored).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
from pathlib import Path
from types import FrameType
from typing import Final

from bench import BenchError
from bench.measure import (
    AUTH_CONNECTIONS,
    AUTH_DURATION_S,
    COLD_STARTS,
    WARMUP_S,
    Endpoint,
    basic,
    measure_cold_starts,
    measure_load,
)
from bench.report import render, summarise
from bench.servers import ROOT, Target
from bench.wrk import FLAGS, ensure_wrk

RESULTS: Final = ROOT / "bench" / "results" / "latest.json"

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


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # SystemExit unwinds through the finally blocks that stop the servers.
    sys.exit(128 + signum)


def main() -> int:
    """Run the whole bench; print the report and write the JSON."""
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        rounds = whole_number("BENCH_ROUNDS", 8)
        duration = whole_number("BENCH_DURATION", 3)
        program = ensure_wrk()
        with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
            cold = measure_cold_starts(TARGETS, Path(tmp))
            load = measure_load(
                program, TARGETS, ENDPOINTS, Path(tmp), rounds, duration
            )
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    settings = {
        "rounds": rounds,
        "duration_s": duration,
        "warmup_s": WARMUP_S,
        "wrk": FLAGS,
        "cold_starts": COLD_STARTS,
        "auth_connections": AUTH_CONNECTIONS,
        "auth_duration_s": AUTH_DURATION_S,
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
    }
    summary = summarise(cold, load, settings)
    print(render(summary))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
