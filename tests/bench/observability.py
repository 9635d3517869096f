"""``observability``: what metrics and JSON logs cost on ``/api``.

Four kits, served at once with bare Quart: metrics off and text logs (the
production default), metrics on, JSON logs (``LOG_FORMAT=json``), and both.
They take turns under wrk as in the ``api`` part; each is reported ÷ bare,
and ÷ the kit with both off (the cost of each). Target: the kit with both on
stays at ``TARGET`` times bare or more. With valgrind, callgrind's instructions per
``/api`` request of each (as the ``instructions`` part counts them), which
do not move with the host as wrk's rates do.
"""

from __future__ import annotations

import contextlib
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

from tests.bench.instructions import REQUESTS, count
from tests.bench.parts import Bench, Part, Section, table, verdict
from tests.bench.serve import BARE, KIT, Target, serving
from tests.bench.wrk import FLAGS, Endpoint, Job, cells, compared, take_turns

TARGET: Final = 0.90
ENDPOINT: Final = Endpoint("/api")
OFF: Final = "off"
# Each kit's settings on top of the bench's, by the report's name for it.
KITS: Final = {
    OFF: {"APP_METRICS": "false"},
    "metrics": {"APP_METRICS": "true"},
    "json logs": {"APP_METRICS": "false", "APP_LOG_FORMAT": "json"},
    "both": {"APP_METRICS": "true", "APP_LOG_FORMAT": "json"},
}


def targets() -> list[Target]:
    """The four kits, then bare."""
    return [replace(KIT, name=name, env=env) for name, env in KITS.items()] + [BARE]


def run(bench: Bench) -> Section:
    """wrk turns on ``/api``; then, with valgrind, instructions per request."""
    with contextlib.ExitStack() as stack:
        servers = [
            stack.enter_context(
                serving(
                    t, bench.folder / f"observability-{t.name.replace(' ', '-')}.log"
                )
            )
            for t in targets()
        ]
        jobs = [Job(running.target.name, running, ENDPOINT) for running in servers]
        rounds = take_turns(bench.wrk, jobs, bench.rounds, bench.duration)
    rows = {name: compared(rounds[name], rounds[BARE.name]) for name in rounds}
    for name in KITS:
        rows[name]["over_off"] = compared(rounds[name], rounds[OFF])["ratio"]
    counts = _instructions(bench.folder)
    figures: dict[str, Any] = {"endpoint": ENDPOINT.path, "rows": rows}
    if counts:
        figures["instructions"] = counts
    verdicts = {"observability_both": verdict(rows["both"]["ratio"] >= TARGET)}
    return Section(figures, verdicts, _render(figures, verdicts, bench))


def _instructions(folder: Path) -> dict[str, float]:
    """Instructions per ``/api`` request of each target; empty without valgrind."""
    valgrind, control = shutil.which("valgrind"), shutil.which("callgrind_control")
    if not (valgrind and control):
        return {}
    served = targets()
    with ThreadPoolExecutor(len(served)) as pool:
        counted = pool.map(
            lambda t: count(
                valgrind, control, t, folder, (ENDPOINT.path,), "observability-"
            ),
            served,
        )
        return {t.name: c[ENDPOINT.path] for t, c in zip(served, counted, strict=True)}


def _render(figures: dict[str, Any], verdicts: dict[str, str], bench: Bench) -> str:
    counts = figures.get("instructions", {})
    head = ["kit", "req/s", "÷ bare", "rounds min-max", "p50", "p99", "÷ off"]
    if counts:
        head += ["instructions", "÷ bare", "÷ off"]
    rows = [head]
    for name, row in figures["rows"].items():
        line = [name, *cells(row)]
        line.append(f"{row['over_off']:.2f}" if "over_off" in row else "")
        if counts:
            line += [
                f"{counts[name]:,.0f}",
                f"{counts[name] / counts[BARE.name]:.3f}",
                f"{counts[name] / counts[OFF]:.3f}" if name in KITS else "",
            ]
        rows.append(line)
    both = figures["rows"]["both"]
    return "\n".join(
        [
            f"metrics and JSON logs on {figures['endpoint']}: wrk {FLAGS}, medians "
            f"of {bench.rounds} rounds of {bench.duration} s, taking turns"
            + (f"; instructions per request over {REQUESTS}" if counts else ""),
            "",
            *table(rows),
            "",
            f"both on ÷ bare {both['ratio']:.2f} (target ≥ {TARGET:.2f}): "
            f"{verdicts['observability_both']}",
        ]
    )


PART: Final = Part(
    "observability", "metrics and JSON logs on /api, each against off (~6 min)", run
)
