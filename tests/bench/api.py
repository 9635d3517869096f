"""``api``: the kit against bare Quart, endpoint by endpoint, under wrk.

Both are served at once. For each of ``ENDPOINTS``, after a discarded
warm-up, wrk drives one and then the other in each round, the order
alternating, so the runs compared are seconds apart and neither always goes
first; medians over many short rounds are not moved by one bad round.
kit÷bare is the kit's median rate over bare's (0.90: 90% of bare's rate), the
cost of what the kit does on every request (request id, access log line,
content negotiation, its hooks); target ``API_TARGET`` or more on ``/api``,
where the view does least. min-max, the per-round ratios, is this machine's
noise: when it straddles the target, raise ``BENCH_ROUNDS``. ``/api/secret``
pays the same scrypt hash on both: read its latencies, not its ratio.

Auth timing: the kit's ``/api/secret`` p50 for a wrong password and for an
unknown user; equal p50s mean a 401 does not tell which users exist.

The endpoints come with a sample; an endpoint the kit answers with 404 (a
stripped tree) is left out, and the report says so.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any, Final

from tests.bench.parts import Bench, Part, Section, table, verdict
from tests.bench.serve import BARE, KIT, serving, wait_until_idle
from tests.bench.wrk import (
    FLAGS,
    WARMUP_S,
    Endpoint,
    Job,
    basic,
    cells,
    compared,
    expect,
    take_turns,
    wrk,
)

# To load another endpoint, add it here and to tests/bench/baseline.py. A POST
# gives its method and body too: Endpoint(path, headers, "POST", body, status=201).
ENDPOINTS: Final = (
    Endpoint("/api"),
    Endpoint("/api/person/1"),
    Endpoint("/api/yaml"),
    Endpoint("/api/secret", basic("alice", "password")),
)
API_TARGET: Final = 0.90
AUTH_DURATION_S: Final = 5
AUTH_CONNECTIONS: Final = 4
REFUSED: Final = {
    "wrong_password": Endpoint("/api/secret", basic("alice", "wrong"), status=401),
    "unknown_user": Endpoint("/api/secret", basic("mallory", "password"), status=401),
}


def run(bench: Bench) -> Section:
    """wrk rounds on each endpoint the kit serves, then the auth timing."""
    program = bench.wrk
    with contextlib.ExitStack() as stack:
        kit, bare = (
            stack.enter_context(serving(t, bench.folder / f"{t.name}-api.log"))
            for t in (KIT, BARE)
        )
        served = [e for e in ENDPOINTS if e.status_on(kit) != 404]
        endpoints: dict[str, Any] = {}
        for endpoint in served:
            jobs = [Job(r.target.name, r, endpoint) for r in (kit, bare)]
            rounds = take_turns(program, jobs, bench.rounds, bench.duration)
            endpoints[endpoint.label] = {
                name: compared(rounds[name], rounds["bare"]) for name in rounds
            }
        auth: dict[str, float] = {}
        for case, refused in REFUSED.items() if ENDPOINTS[-1] in served else ():
            expect(kit, refused)
            wait_until_idle([kit, bare])
            timed = wrk(program, kit, refused, AUTH_DURATION_S, AUTH_CONNECTIONS)
            auth[f"{case}_p50_ms"] = timed.p50_ms
    if auth:
        auth["unknown_over_wrong"] = (
            auth["unknown_user_p50_ms"] / auth["wrong_password_p50_ms"]
        )
    verdicts = {}
    if "/api" in endpoints:
        verdicts["api_ratio"] = verdict(endpoints["/api"]["kit"]["ratio"] >= API_TARGET)
    left_out = [e.label for e in ENDPOINTS if e not in served]
    figures = {"endpoints": endpoints, "auth": auth, "left_out": left_out}
    return Section(figures, verdicts, _render(figures, verdicts, bench))


def _render(
    figures: Mapping[str, Any], verdicts: Mapping[str, str], bench: Bench
) -> str:
    head = "endpoint,kit req/s,kit÷bare,rounds min-max,kit p50,kit p99"
    head += ",bare req/s,bare p50,bare p99,errors (kit/bare)"
    rows: list[Sequence[str]] = [head.split(",")]
    for label, row in figures["endpoints"].items():
        kit, bare = row["kit"], cells(row["bare"])
        errors = f"{kit['errors']}/{row['bare']['errors']}"
        rows.append([label, *cells(kit), bare[0], *bare[3:], errors])
    lines = [
        f"kit against bare Quart: wrk {FLAGS}, medians of {bench.rounds} rounds "
        f"of {bench.duration} s per target, order alternating, after a "
        f"{WARMUP_S} s warm-up; min-max is the per-round kit÷bare",
        *(["", *table(rows)] if len(rows) > 1 else []),
        "",
    ]
    if auth := figures["auth"]:
        lines.append(
            f"auth timing (kit /api/secret, -c{AUTH_CONNECTIONS}, "
            f"{AUTH_DURATION_S} s): wrong password p50 "
            f"{auth['wrong_password_p50_ms']:.1f} ms, unknown user p50 "
            f"{auth['unknown_user_p50_ms']:.1f} ms, unknown ÷ wrong "
            f"{auth['unknown_over_wrong']:.2f}"
        )
    if "api_ratio" in verdicts:
        kit = figures["endpoints"]["/api"]["kit"]
        lines.append(
            f"/api kit÷bare {kit['ratio']:.2f}, rounds {cells(kit)[2]} "
            f"(target ≥ {API_TARGET:.2f}): {verdicts['api_ratio']}"
        )
    if figures["left_out"]:
        lines.append(f"left out, 404 on the kit: {', '.join(figures['left_out'])}")
    return "\n".join(lines)


PART: Final = Part(
    "api", "the kit against bare Quart per endpoint, and auth timing (~4 min)", run
)
