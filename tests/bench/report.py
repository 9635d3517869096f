"""Turn the measurements into JSON-ready data with verdicts, and that into text.

The report has up to four parts, in this order, each only when it ran: the
kit against the bare app (``endpoints``, ``cold_start_s``, ``stop_s``,
``rss_mib``, ``auth``), the instructions (``instructions``, with ``START``
for the start), the address book and the webhooks
(``bench.report_databases``).
``verdicts`` gathers every PASS/FAIL.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from tests.bench.addresses import AddressRun
from tests.bench.instructions import REQUESTS, START, WARMUP
from tests.bench.measure import Load, Starts
from tests.bench.report_databases import (
    render_addresses,
    render_webhooks,
    summarise_addresses,
    summarise_webhooks,
)
from tests.bench.stats import medians, round_ratios, table, verdict
from tests.bench.webhooks import WebhookRun
from tests.bench.wrk import WrkResult

COLD_START_TARGET_S: Final = 0.6
API_RATIO_TARGET: Final = 0.90


@dataclass(frozen=True)
class Measured:
    """Whatever parts of the bench ran; ``databases`` says what each one was."""

    settings: Mapping[str, Any]
    databases: Mapping[str, str]
    cold: Starts | None = None
    load: Load | None = None
    addresses: Sequence[AddressRun] | None = None
    webhooks: Sequence[WebhookRun] | None = None
    # endpoint label -> target name -> instructions per request
    instructions: Mapping[str, Mapping[str, float]] | None = None


def summarise(measured: Measured) -> dict[str, Any]:
    """Everything measured, with medians, ratios and PASS/FAIL, as JSON-ready data."""
    summary: dict[str, Any] = {"settings": dict(measured.settings)}
    verdicts: dict[str, str] = {}
    if measured.cold is not None and measured.load is not None:
        summary.update(_summarise_api(measured.cold, measured.load, verdicts))
    if measured.instructions is not None:
        summary["instructions"] = {
            label: {**row, "kit_over_bare": row["bare"] / row["kit"]}
            for label, row in measured.instructions.items()
        }
    if measured.addresses is not None or measured.webhooks is not None:
        summary["databases"] = dict(measured.databases)
    if measured.addresses is not None:
        summary["addresses"] = summarise_addresses(measured.addresses)
    if measured.webhooks is not None:
        summary["webhooks"] = summarise_webhooks(measured.webhooks, verdicts)
    summary["verdicts"] = verdicts
    return summary


def render(summary: Mapping[str, Any]) -> str:
    """The summary as a plain-text report."""
    parts = []
    if "endpoints" in summary:
        parts.append(_render_api(summary))
    if "instructions" in summary:
        parts.append(_render_instructions(summary))
    if "addresses" in summary:
        parts.append(render_addresses(summary))
    if "webhooks" in summary:
        parts.append(render_webhooks(summary))
    return "\n\n".join(parts)


def _summarise_api(
    cold: Starts, load: Load, verdicts: dict[str, str]
) -> dict[str, Any]:
    endpoints = {
        label: _endpoint(by_target) for label, by_target in load.rounds.items()
    }
    starts, stops = _with_medians(cold.ready_s), _with_medians(cold.stop_s)
    for name, median in starts["median"].items():
        verdicts[f"cold_start_{name}"] = verdict(median <= COLD_START_TARGET_S)
    api_ratio = endpoints["/api"]["kit_over_bare"]
    verdicts["api_ratio"] = verdict(api_ratio >= API_RATIO_TARGET)
    return {
        "endpoints": endpoints,
        "cold_start_s": starts,
        "stop_s": stops,
        "rss_mib": load.rss_mib,
        "auth": load.auth,
    }


def _with_medians(runs: Mapping[str, Sequence[float]]) -> dict[str, Any]:
    """Each target's runs, and their median under ``median``."""
    medians = {name: statistics.median(values) for name, values in runs.items()}
    return {"runs": runs, "median": medians}


def _endpoint(by_target: Mapping[str, Sequence[WrkResult]]) -> dict[str, Any]:
    ratios = round_ratios(by_target["kit"], by_target["bare"])
    row = {name: medians(rounds) for name, rounds in by_target.items()}
    return {
        **row,
        "kit_over_bare": row["kit"]["requests_per_s"] / row["bare"]["requests_per_s"],
        "spread": {"min": min(ratios), "max": max(ratios)},
        "round_ratios": ratios,
    }


def _render_api(summary: Mapping[str, Any]) -> str:
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
    lines = [
        f"wrk {settings['wrk']}: medians of {settings['rounds']} rounds of "
        f"{settings['duration_s']} s per target, order alternating, after a "
        f"{settings['warmup_s']} s warm-up; min-max is the per-round kit÷bare",
        "",
        *table(rows),
    ]
    cold, stop, verdicts, rss, auth = (
        summary[key]
        for key in ("cold_start_s", "stop_s", "verdicts", "rss_mib", "auth")
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
        f"stop, SIGTERM to exit, median of {settings['cold_starts']}: "
        + ", ".join(
            f"{name} {median:.3f} s" for name, median in stop["median"].items()
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


def _render_instructions(summary: Mapping[str, Any]) -> str:
    rows: list[tuple[str, ...]] = [
        ("endpoint", "kit instructions/req", "bare instructions/req", "kit÷bare")
    ]
    counts = dict(summary["instructions"])
    start = counts.pop(START)
    for path, row in counts.items():
        rows.append(
            (
                path,
                f"{row['kit']:,.0f}",
                f"{row['bare']:,.0f}",
                f"{row['kit_over_bare']:.3f}",
            )
        )
    return "\n".join(
        [
            f"callgrind, a live server each, {REQUESTS} keep-alive requests one "
            f"at a time after {WARMUP}; kit÷bare is bare's count over the kit's "
            "(as for rates: 0.90 means the kit does 11% more work)",
            "",
            *table(rows),
            "",
            f"start, exec to the first 200: kit {start['kit']:,.0f}, "
            f"bare {start['bare']:,.0f} instructions, "
            f"kit÷bare {start['kit_over_bare']:.3f}",
        ]
    )
