"""The database parts of the report: the address book and the webhooks."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from tests.bench.addresses import BARE_HELLO, AddressRun
from tests.bench.stats import medians, percentile, round_ratios, table, verdict
from tests.bench.webhooks import GIVE_UP_S, LATENESS_TARGET_S, WebhookRun


def summarise_addresses(runs: Sequence[AddressRun]) -> dict[str, Any]:
    """Per database: each endpoint's medians and its ratio to bare ``/api``."""
    summary: dict[str, Any] = {}
    for run in runs:
        hello = run.rounds[BARE_HELLO]
        bare = medians(hello)
        endpoints = {}
        for label, rounds in run.rounds.items():
            if label == BARE_HELLO:
                continue
            row = medians(rounds)
            ratios = round_ratios(rounds, hello)
            endpoints[label] = {
                **row,
                "over_bare_api": row["requests_per_s"] / bare["requests_per_s"],
                "spread": {"min": min(ratios), "max": max(ratios)},
                "round_ratios": ratios,
            }
        summary[run.database] = {
            "workers": run.workers,
            "endpoints": endpoints,
            "bare_api": bare,
            "write_stalls_s": list(run.write_stalls_s),
        }
    return summary


def summarise_webhooks(
    runs: Sequence[WebhookRun], verdicts: dict[str, str]
) -> dict[str, Any]:
    """Per database: rates, lateness percentiles (None: never arrived), verdict."""
    summary: dict[str, Any] = {}
    for run in runs:
        late = {
            name: percentile(run.lateness_s, fraction)
            for name, fraction in (("p50", 0.50), ("p99", 0.99), ("max", 1.0))
        }
        passed = late["p99"] < LATENESS_TARGET_S
        verdicts[f"webhooks_p99_{run.database}"] = verdict(passed)
        summary[run.database] = {
            "workers": run.workers,
            "scheduled": run.scheduled,
            "post_errors": run.post_errors,
            "due_window_s": run.due_window_s,
            "offered_per_s": _rate(run.scheduled, run.due_window_s),
            "deliveries_per_s": run.deliveries_per_s,
            "lateness_s": {
                name: None if math.isinf(value) else value
                for name, value in late.items()
            },
            "never_arrived": sum(1 for value in run.lateness_s if math.isinf(value)),
            "duplicates": run.duplicates,
            "retried": run.retried,
        }
    return summary


def render_addresses(summary: Mapping[str, Any]) -> str:
    """The address-book table, and any database left out."""
    settings = summary["settings"]
    rows = [
        (
            "database",
            "workers",
            "endpoint",
            "req/s",
            "÷ bare /api",
            "rounds min-max",
            "p50",
            "p99",
            "errors",
        )
    ]
    for database, run in summary["addresses"].items():
        workers = str(run["workers"])
        for label, row in run["endpoints"].items():
            spread = f"{row['spread']['min']:.2f}-{row['spread']['max']:.2f}"
            ratio = f"{row['over_bare_api']:.2f}"
            rows.append((database, workers, label, *_wrk_cells(row, ratio, spread)))
        bare = _wrk_cells(run["bare_api"], "1.00", "")
        rows.append((database, "1", BARE_HELLO, *bare))
    lines = [
        f"address book: medians of {settings['address_rounds']} rounds of "
        f"{settings['duration_s']} s after a {settings['warmup_s']} s warm-up, "
        f"wrk {settings['wrk']}; the kit's endpoints and the bare app's /api "
        "alternate in each round; ÷ bare /api is the kit's rate over that /api "
        "rate, min-max the same per round",
        "",
        *table(rows, left=3),
        "",
        "writable again (a stall here means a cut POST left SQLite locked): "
        "before each later POST run, one POST got its 201 after "
        + "; ".join(
            f"{database} "
            + ", ".join(f"{wait:.1f}" for wait in run["write_stalls_s"])
            + " s"
            for database, run in summary["addresses"].items()
        ),
    ]
    return "\n".join(lines + _left_out(summary))


def render_webhooks(summary: Mapping[str, Any]) -> str:
    """The webhook table, its verdicts, and any database left out."""
    settings, verdicts = summary["settings"], summary["verdicts"]
    rows = [
        (
            "database",
            "workers",
            "scheduled",
            "due over",
            "offered/s",
            "delivered/s",
            "late p50",
            "late p99",
            "late max",
            "never",
            "retried",
            f"p99 < {LATENESS_TARGET_S:g} s",
        )
    ]
    for database, run in summary["webhooks"].items():
        late = run["lateness_s"]
        rows.append(
            (
                database,
                str(run["workers"]),
                f"{run['scheduled']:,}",
                f"{run['due_window_s']:.1f} s",
                f"{run['offered_per_s']:,.0f}",
                f"{run['deliveries_per_s']:,.0f}",
                *(_seconds(late[key]) for key in ("p50", "p99", "max")),
                f"{run['never_arrived']:,}",
                f"{run['retried']:,}",
                verdicts[f"webhooks_p99_{database}"],
            )
        )
    lines = [
        f"webhooks: {settings['webhooks']:,} POST /api/endpoint paced over "
        f"{settings['webhook_window_s']:g} s, "
        f"WEBHOOK_DELAY {settings['webhook_delay_s']:g} s, "
        "callbacks to a local receiver; late = arrival - due (created_at + delay); "
        f"never = not arrived {GIVE_UP_S:g} s after the last due time",
        "",
        *table(rows, left=2),
    ]
    for database, run in summary["webhooks"].items():
        if run["post_errors"] or run["duplicates"]:
            lines.append(
                f"{database}: {run['post_errors']:,} POSTs failed, "
                f"{run['duplicates']:,} callbacks arrived more than once"
            )
    return "\n".join(lines + _left_out(summary))


def _wrk_cells(row: Mapping[str, Any], ratio: str, spread: str) -> tuple[str, ...]:
    return (
        f"{row['requests_per_s']:,.0f}",
        ratio,
        spread,
        f"{row['p50_ms']:.2f}ms",
        f"{row['p99_ms']:.2f}ms",
        str(row["errors"]),
    )


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else 0.0


def _seconds(value: float | None) -> str:
    if value is None:
        return "never"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _left_out(summary: Mapping[str, Any]) -> list[str]:
    return [
        f"{name} {description}"
        for name, description in summary["databases"].items()
        if description.startswith("skipped")
    ]
