"""Part ``hostile``: the hostile-input catalogue, with ``/healthz`` probed throughout.

Every case of ``tests.stress.catalogue``, ``bombs`` and ``slow.MAIN`` is sent
to one server with the shipped settings, each on a new raw connection, one
after another, while the long ones (``slow=True``) run alongside. A prober
in another process asks ``/healthz`` on a fixed 20 ms schedule the whole
time (``tests.stress.prober``). The server's RSS is read when idle before
the catalogue, around each case and after it. Then ``slow.TRICKLES`` on a
server with its bounds scaled down, probed too, and, when PostgreSQL is
there, the cases that reach the database again on it, probed and judged
like the rest: they check the PostgreSQL side of the kit's input policy,
and each must get the same status class as on SQLite. Each ``/healthz``
probe over the target is matched with the cases running when it was sent,
and the cases after which RSS grew most are named, so that a FAIL points
at its cause.

Targets: every case as it expects (never a 5xx it does not name, never a
hang past its bound), the same answers from both databases, ``/healthz``
p99 under 100 ms throughout but for connection floods (``Case.flood``: a
thousand connections at once, or trickles on hundreds), where each probe
must be answered within ``FLOOD_MAX_MS``, and RSS afterwards within
``RSS_BOUND`` x idle.
"""

from __future__ import annotations

import concurrent.futures
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from tests.bench.databases import fresh, kinds
from tests.bench.parts import Section, table, verdict
from tests.bench.serve import Running, rss_mib, status_of, wait_until_idle
from tests.stress import bombs, catalogue, slow
from tests.stress.cases import Case, Observed, judge
from tests.stress.parts import RSS_BOUND, Part, Stress, installed
from tests.stress.prober import Prober, Probes
from tests.stress.servers import host, options, serve

# /healthz during a connection flood: answered, if late (Hypercorn sets up
# every connection before it reads the probe's).
FLOOD_MAX_MS: Final = 1000.0
WARM_UP: Final = ("/healthz", "/openapi.json", "/nowhere")


@dataclass(frozen=True)
class Sent:
    """A case as it ran: where, what came back, when, and the RSS it added."""

    server: str
    case: Case
    seen: Observed
    started: float  # time.monotonic()
    ended: float
    grew_mib: float  # RSS after minus before
    alone: bool  # False: it ran alongside others (its RSS growth is not measured)


def run(stress: Stress) -> Section:
    """The catalogue on its servers; the table, the probes and memory."""
    every = (*catalogue.CASES, *bombs.CASES, *slow.MAIN)
    usable = [c for c in every if c.sample is None or installed(c.sample)]
    trickles = [c for c in slow.TRICKLES if c.sample is None or installed(c.sample)]
    skipped = len(every) + len(slow.TRICKLES) - len(usable) - len(trickles)
    with serve(stress.folder / "hostile.log") as running:
        idle = _idle_rss(running)
        sent, probes = _attack("sqlite", running, usable)
        running.check_alive()
        wait_until_idle([running])
        after = rss_mib(running)
    env = {"APP_BODY_TIMEOUT": str(slow.BOUND_S)}
    prefix = options(keep_alive=slow.BOUND_S)
    with serve(stress.folder / "hostile-slow.log", env, prefix=prefix) as running:
        more, slow_probes = _attack("bounds scaled", running, trickles, alongside=True)
        sent += more
        running.check_alive()
    probed = {"catalogue": probes, "trickles": slow_probes}
    if "postgresql" in kinds():
        log = stress.folder / "hostile-postgresql.log"
        with (
            fresh("postgresql", stress.folder) as database,
            serve(log, database.env, database.workers) as running,
        ):
            reaching = [c for c in usable if c.database]
            more, postgresql_probes = _attack("postgresql", running, reaching)
            sent += more
            running.check_alive()
        probed["postgresql"] = postgresql_probes
    return _section(sent, probed, idle, after, skipped)


def _idle_rss(running: Running) -> float:
    for path in WARM_UP:
        status_of(running.server.bind, path)
    wait_until_idle([running])
    return rss_mib(running)


def _attack(
    server: str, running: Running, cases: Sequence[Case], alongside: bool = False
) -> tuple[list[Sent], Probes]:
    """Run ``cases``, the slow ones (or all) alongside the rest, while probing."""
    together = [c for c in cases if c.slow or alongside]
    prober = Prober(running.server.bind).start()
    try:
        with concurrent.futures.ThreadPoolExecutor(max(len(together), 1)) as pool:
            futures = [
                pool.submit(_send, server, running, c, measure=False) for c in together
            ]
            sent = [_send(server, running, c) for c in cases if c not in together]
            sent += [future.result() for future in futures]
    finally:
        probes = prober.stop()
    order = {id(case): n for n, case in enumerate(cases)}
    return sorted(sent, key=lambda s: order[id(s.case)]), probes


def _send(server: str, running: Running, case: Case, measure: bool = True) -> Sent:
    before = rss_mib(running) if measure else 0.0
    started = time.monotonic()
    try:
        seen = case.run(running.server.bind, host(running))
    except Exception as error:  # a case must not stop the catalogue
        seen = Observed(hung=True, note=f"the client failed: {error!r}")
    ended = time.monotonic()
    grew = rss_mib(running) - before if measure else 0.0
    return Sent(server, case, seen, started, ended, grew, measure)


def _blame(probes: Probes, sent: Sequence[Sent]) -> list[str]:
    """The cases sent one at a time that were running when ``/healthz`` was slow."""
    during: Counter[str] = Counter()
    worst: dict[str, float] = {}
    for at, ms in probes.slow():
        for s in sent:
            if s.alone and s.started <= at <= s.ended:
                during[s.case.name] += 1
                worst[s.case.name] = max(worst.get(s.case.name, 0.0), ms)
    ranked = sorted(during, key=lambda name: (during[name], worst[name]), reverse=True)
    if (slowest := max(worst, key=worst.__getitem__, default=None)) in ranked[5:]:
        ranked = [*ranked[:4], slowest]
    return [
        f"  {during[name]} slow while {name!r} ran (worst {worst[name]:.0f} ms)"
        for name in ranked[:5]
    ]


def _answer_class(seen: Observed) -> str:
    """``4xx`` for a first answer of 404, say; ``no answer`` for a close alone."""
    return f"{seen.responses[0].status // 100}xx" if seen.responses else "no answer"


def _differ(sent: Sequence[Sent]) -> list[str]:
    """The cases that SQLite and PostgreSQL answered with a different status class.

    The kit has one input policy for both databases: what one refuses (a NUL,
    an id past BIGINT), the other refuses too.
    """
    on_sqlite = {id(s.case): s.seen for s in sent if s.server == "sqlite"}
    return [
        f"  {s.case.name}: SQLite {on_sqlite[id(s.case)]}, PostgreSQL {s.seen}"
        for s in sent
        if s.server == "postgresql"
        and id(s.case) in on_sqlite
        and _answer_class(s.seen) != _answer_class(on_sqlite[id(s.case)])
    ]


def _section(
    sent: list[Sent],
    probes: dict[str, Probes],
    idle: float,
    after: float,
    skipped: int,
) -> Section:
    rows: list[Sequence[str]] = [
        ("server", "group", "case", "expected", "observed", "")
    ]
    failures: list[str] = []
    fives = named_fives = 0
    for s in sent:
        for answer in s.seen.responses:
            if answer.status >= 500:
                named = answer.status in s.case.expect.statuses
                named_fives += named
                fives += not named
        problem = judge(s.case, s.seen)
        if problem:
            failures.append(f"{s.server}: {s.case.name}: {problem}")
        cell = "ok" if problem is None else f"FAIL: {problem}"
        rows.append(
            (s.server, s.case.group, s.case.name, str(s.case.expect), str(s.seen), cell)
        )
    differ = _differ(sent)
    floods = [(s.started, s.ended) for s in sent if s.case.flood]
    split = {name: p.split(floods) for name, p in probes.items()}
    outside_ok = all(out.passed for _, out in split.values() if out.count)
    flooded_ok = all(
        not during.failures and during.max_ms < FLOOD_MAX_MS
        for during, _ in split.values()
        if during.count
    )
    growth = sorted(sent, key=lambda s: s.grew_mib, reverse=True)[:3]
    figures: dict[str, Any] = {
        "cases": len(sent),
        "5xx": fives,
        "5xx_the_rfc_names": named_fives,
        "failed": failures,
        "differ_by_database": differ,
        "healthz_max_ms": round(max(p.max_ms for p in probes.values()), 1),
        "healthz": {name: p.figures() for name, p in probes.items()},
        "rss_idle_mib": round(idle, 1),
        "rss_after_mib": round(after, 1),
        "left_out": skipped,
    }
    verdicts = {
        "hostile: every case as expected": verdict(not failures),
        "hostile: 0 x 5xx": verdict(fives == 0),
        "hostile: the same status class on SQLite and PostgreSQL": verdict(not differ),
        "hostile: /healthz p99 < 100 ms outside connection floods": verdict(outside_ok),
        f"hostile: /healthz answered within {FLOOD_MAX_MS:,.0f} ms during floods": (
            verdict(flooded_ok)
        ),
        f"hostile: RSS after <= {RSS_BOUND}x idle": verdict(after <= RSS_BOUND * idle),
    }
    lines = [
        f"hostile: {len(sent)} cases on raw sockets, {len(failures)} failed, "
        f"{fives} x 5xx (and {named_fives} x 5xx that the RFCs prescribe, "
        "501 or 505, named by their case)"
        + (f"; {skipped} left out, their sample is stripped" if skipped else ""),
        "",
        *table(rows, left=6),
        "",
    ]
    if differ:
        lines += ["SQLite and PostgreSQL answered differently:", *differ, ""]
    for name, p in probes.items():
        during, outside = split[name]
        lines += [f"{name}: {p.line()}", *_blame(p, sent)]
        if during.count:
            lines += [
                f"  outside connection floods: {outside.line()}",
                f"  during connection floods: {during.count} slots, max "
                f"{during.max_ms:.0f} ms (bound {FLOOD_MAX_MS:,.0f} ms)",
            ]
    lines += [
        f"server RSS: idle {idle:.0f} MiB, after the catalogue {after:.0f} MiB "
        f"({after / idle:.2f}x; bound {RSS_BOUND}x); grew most during: "
        + "; ".join(f"{s.case.name!r} +{s.grew_mib:.0f} MiB" for s in growth),
    ]
    return Section(figures, verdicts, "\n".join(lines))


PART: Final = Part("hostile", "the hostile-input catalogue (~1 min)", run)
