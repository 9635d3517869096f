"""``start``: cold start, stop and memory of the kit, its skeleton and bare Quart.

Each target is started and stopped ``COLD_STARTS`` times, the targets taking
turns: the cold start is ``Popen`` to the first 200 of ``/healthz`` (target
``COLD_START_TARGET_S`` or less), the stop is SIGTERM to exit. Then the three
are served at once and ``/healthz`` is loaded in rounds, the order rotating;
once they are idle again, the resident memory of each server and its
children. Target: the skeleton's within ``RSS_TARGET`` times bare Quart's.
"""

from __future__ import annotations

import contextlib
import statistics
from collections.abc import Mapping, Sequence
from typing import Any, Final

from tests.bench import BenchError
from tests.bench.parts import Bench, Part, Section, table, verdict
from tests.bench.serve import PROBE, rss_mib, serving, wait_until_idle
from tests.bench.wrk import FLAGS, WARMUP_S, Endpoint, Job, cells, compared, take_turns

COLD_STARTS: Final = 5
COLD_START_TARGET_S: Final = 0.6
RSS_TARGET: Final = 1.5


def run(bench: Bench) -> Section:
    """Cold starts and stops, then a ``/healthz`` load and the memory after it."""
    program, targets = bench.wrk, bench.targets
    starts: dict[str, list[float]] = {target.name: [] for target in targets}
    stops: dict[str, list[float]] = {target.name: [] for target in targets}
    for _ in range(COLD_STARTS):
        for target in targets:
            with serving(target, bench.folder / f"{target.name}.log") as running:
                starts[target.name].append(running.ready_s)
            if not running.stop_s:
                raise BenchError(f"{target.name} did not stop on SIGTERM")
            stops[target.name].append(running.stop_s)
    with contextlib.ExitStack() as stack:
        servers = [
            stack.enter_context(serving(t, bench.folder / f"{t.name}-load.log"))
            for t in targets
        ]
        jobs = [Job(r.target.name, r, Endpoint(PROBE)) for r in servers]
        rounds = take_turns(program, jobs, bench.rounds, bench.duration)
        wait_until_idle(servers)
        rss = {running.target.name: rss_mib(running) for running in servers}
    figures: dict[str, dict[str, Any]] = {
        name: {
            "cold_start_s": {"median": statistics.median(runs), "runs": runs},
            "stop_s": {"median": statistics.median(stops[name]), "runs": stops[name]},
            "healthz": compared(rounds[name], rounds["bare"]),
            "rss_mib": rss[name],
            "rss_over_bare": rss[name] / rss["bare"],
        }
        for name, runs in starts.items()
    }
    verdicts = {
        f"cold_start_{name}": verdict(
            row["cold_start_s"]["median"] <= COLD_START_TARGET_S
        )
        for name, row in figures.items()
    }
    passed = figures["skeleton"]["rss_over_bare"] <= RSS_TARGET
    verdicts["rss_skeleton"] = verdict(passed)
    text = _render(figures, verdicts, bench)
    return Section({"cold_starts": COLD_STARTS, "targets": figures}, verdicts, text)


def _render(
    figures: Mapping[str, Any], verdicts: Mapping[str, str], bench: Bench
) -> str:
    head = "target,cold start,stop,/healthz req/s,÷ bare,rounds min-max,p50,p99"
    rows: list[Sequence[str]] = [[*head.split(","), "RSS", "÷ bare"]]
    for name, row in figures.items():
        rows.append(
            [
                name,
                f"{row['cold_start_s']['median']:.3f} s",
                f"{row['stop_s']['median']:.3f} s",
                *cells(row["healthz"]),
                f"{row['rss_mib']:.1f} MiB",
                f"{row['rss_over_bare']:.2f}",
            ]
        )
    kit, skeleton = (figures[name]["rss_over_bare"] for name in ("kit", "skeleton"))
    starts = (f"{name} {verdicts[f'cold_start_{name}']}" for name in figures)
    return "\n".join(
        [
            "start and memory: kit (this tree), skeleton (this tree without its "
            "samples), bare Quart",
            f"cold start = Popen to the first 200 of {PROBE}, stop = SIGTERM to "
            f"exit: medians of {COLD_STARTS}, the targets taking turns",
            f"{PROBE}: wrk {FLAGS}, medians of {bench.rounds} rounds of "
            f"{bench.duration} s after a {WARMUP_S} s warm-up, order rotating; "
            "RSS = server and children after that load; ÷ bare = over bare's",
            "",
            *table(rows),
            "",
            f"cold start (target ≤ {COLD_START_TARGET_S} s): {', '.join(starts)}",
            f"RSS after load, skeleton ÷ bare {skeleton:.2f} (target ≤ "
            f"{RSS_TARGET:.2f}): {verdicts['rss_skeleton']}; kit ÷ bare {kit:.2f}",
        ]
    )


PART: Final = Part(
    "start", "cold start, stop, /healthz load and RSS of the three (~2 min)", run
)
