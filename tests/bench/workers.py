"""``workers``: the kit with two worker processes against one, under wrk.

Both served at once (``workers`` 1 and 2: Hypercorn's worker processes with
``hypercorn.toml``'s ``worker_class``), taking turns on ``/healthz``, which
every tree serves, and ``/api`` when a sample serves it. 2 ÷ 1 is the median
rate of two workers over one's; on a 2-core machine wrk takes part of a core
too, so 2.0 cannot be reached. Target ``WORKERS_TARGET`` on ``/api``.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from typing import Any, Final

from tests.bench.parts import Bench, Part, Section, table, verdict
from tests.bench.serve import KIT, serving
from tests.bench.wrk import FLAGS, Endpoint, Job, cells, compared, take_turns

ENDPOINTS: Final = (Endpoint("/healthz"), Endpoint("/api"))
WORKERS_TARGET: Final = 1.7


def run(bench: Bench) -> Section:
    """wrk rounds on one worker and on two; their ratio per endpoint."""
    with contextlib.ExitStack() as stack:
        one, two = (
            stack.enter_context(
                serving(
                    replace(KIT, name=f"kit x{n}", workers=n),
                    bench.folder / f"workers-{n}.log",
                )
            )
            for n in (1, 2)
        )
        served = [e for e in ENDPOINTS if e.status_on(one) != 404]
        endpoints: dict[str, Any] = {}
        for endpoint in served:
            jobs = [Job("one", one, endpoint), Job("two", two, endpoint)]
            rounds = take_turns(bench.wrk, jobs, bench.rounds, bench.duration)
            endpoints[endpoint.label] = {
                name: compared(rounds[name], rounds["one"]) for name in rounds
            }
    verdicts = {}
    if "/api" in endpoints:
        ratio = endpoints["/api"]["two"]["ratio"]
        verdicts["workers_api"] = verdict(ratio >= WORKERS_TARGET)
    rows = [["endpoint", "workers", "req/s", "÷ one", "rounds min-max", "p50", "p99"]]
    for label, results in endpoints.items():
        for name, row in results.items():
            rows.append([label, name, *cells(row)[:5]])
    text = "\n".join(
        [
            f"The kit, two workers against one: wrk {FLAGS}, medians of "
            f"{bench.rounds} rounds of {bench.duration} s, taking turns",
            "",
            *table(rows, left=2),
            "",
            f"target: /api two ÷ one ≥ {WORKERS_TARGET}",
        ]
    )
    return Section({"endpoints": endpoints}, verdicts, text)


PART: Final = Part("workers", "the kit with two workers against one (~2 min)", run)
