"""Turn the measurements into JSON-ready data with verdicts, and that into text."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final

from bench.wrk import WrkResult

COLD_START_TARGET_S: Final = 0.6
API_RATIO_TARGET: Final = 0.90


@dataclass(frozen=True)
class Load:
    """What the servers did under load: wrk rounds, then memory and auth timing."""

    # endpoint label -> target name -> one result per round, in round order
    rounds: Mapping[str, Mapping[str, Sequence[WrkResult]]]
    rss_mib: Mapping[str, float]
    auth: Mapping[str, float]


def summarise(
    cold: Mapping[str, Sequence[float]], load: Load, settings: Mapping[str, Any]
) -> dict[str, Any]:
    """Everything measured, with medians, ratios and PASS/FAIL, as JSON-ready data."""
    endpoints = {
        label: _endpoint(by_target) for label, by_target in load.rounds.items()
    }
    medians = {name: statistics.median(runs) for name, runs in cold.items()}
    api_ratio = endpoints["/api"]["kit_over_bare"]
    return {
        "settings": dict(settings),
        "endpoints": endpoints,
        "cold_start_s": {"runs": cold, "median": medians},
        "rss_mib": load.rss_mib,
        "auth": load.auth,
        "verdicts": {
            **{
                f"cold_start_{name}": _verdict(median <= COLD_START_TARGET_S)
                for name, median in medians.items()
            },
            "api_ratio": _verdict(api_ratio >= API_RATIO_TARGET),
        },
    }


def _endpoint(by_target: Mapping[str, Sequence[WrkResult]]) -> dict[str, Any]:
    # Round i of the kit and round i of the bare app ran seconds apart, so
    # their ratio shows how far one round can mislead; the ratio of the
    # medians is the figure to read.
    ratios = [
        kit.requests_per_s / bare.requests_per_s
        for kit, bare in zip(by_target["kit"], by_target["bare"], strict=True)
    ]
    row = {name: _medians(rounds) for name, rounds in by_target.items()}
    return {
        **row,
        "kit_over_bare": row["kit"]["requests_per_s"] / row["bare"]["requests_per_s"],
        "spread": {"min": min(ratios), "max": max(ratios)},
        "round_ratios": ratios,
    }


def _medians(rounds: Sequence[WrkResult]) -> dict[str, Any]:
    return {
        "requests_per_s": statistics.median(r.requests_per_s for r in rounds),
        "p50_ms": statistics.median(r.p50_ms for r in rounds),
        "p99_ms": statistics.median(r.p99_ms for r in rounds),
        "errors": sum(r.errors for r in rounds),
        "rounds": [asdict(r) for r in rounds],
    }


def _verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def render(summary: Mapping[str, Any]) -> str:
    """The summary as a plain-text report."""
    settings = summary["settings"]
    head = "endpoint,kit req/s,bare req/s,kit÷bare,rounds min-max"
    head += ",kit p50,kit p99,bare p50,bare p99,errors (kit/bare)"
    rows: list[tuple[str, ...]] = [tuple(head.split(","))]
    for path, row in summary["endpoints"].items():
        kit, bare, spread = row["kit"], row["bare"], row["spread"]
        rows.append(
            (
                path,
                f"{kit['requests_per_s']:,.0f}",
                f"{bare['requests_per_s']:,.0f}",
                f"{row['kit_over_bare']:.2f}",
                f"{spread['min']:.2f}-{spread['max']:.2f}",
                *(f"{kit[key]:.2f}ms" for key in ("p50_ms", "p99_ms")),
                *(f"{bare[key]:.2f}ms" for key in ("p50_ms", "p99_ms")),
                f"{kit['errors']}/{bare['errors']}",
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = [
        f"wrk {settings['wrk']}: medians of {settings['rounds']} rounds of "
        f"{settings['duration_s']} s per target, order alternating, after a "
        f"{settings['warmup_s']} s warm-up; min-max is the per-round kit÷bare",
        "",
        *(
            "  ".join(
                [row[0].ljust(widths[0])]
                + [cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True)]
            )
            for row in rows
        ),
    ]
    cold, verdicts, rss, auth = (
        summary[key] for key in ("cold_start_s", "verdicts", "rss_mib", "auth")
    )
    api = summary["endpoints"]["/api"]
    lines += [
        "",
        f"cold start, median of {settings['cold_starts']} "
        f"(target ≤ {COLD_START_TARGET_S} s): "
        + ", ".join(
            f"{name} {median:.3f} s {verdicts[f'cold_start_{name}']}"
            for name, median in cold["median"].items()
        ),
        "RSS after load: "
        + ", ".join(f"{name} {mib:.1f} MiB" for name, mib in rss.items()),
        f"auth timing (kit /api/secret, -c{settings['auth_connections']}, "
        f"{settings['auth_duration_s']} s): "
        f"wrong password p50 {auth['wrong_password_p50_ms']:.1f} ms, "
        f"unknown user p50 {auth['unknown_user_p50_ms']:.1f} ms, "
        f"unknown ÷ wrong {auth['unknown_over_wrong']:.2f}",
        f"/api kit÷bare {api['kit_over_bare']:.2f}, rounds "
        f"{api['spread']['min']:.2f}-{api['spread']['max']:.2f} "
        f"(target ≥ {API_RATIO_TARGET:.2f}): {verdicts['api_ratio']}",
    ]
    return "\n".join(lines)
