"""Medians, ratios, percentiles, verdicts and text tables for the reports."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from tests.bench.wrk import WrkResult


def medians(rounds: Sequence[WrkResult]) -> dict[str, Any]:
    """The median rate and latencies of wrk rounds, their errors, and the rounds."""
    return {
        "requests_per_s": statistics.median(r.requests_per_s for r in rounds),
        "p50_ms": statistics.median(r.p50_ms for r in rounds),
        "p99_ms": statistics.median(r.p99_ms for r in rounds),
        "errors": sum(r.errors for r in rounds),
        "rounds": [asdict(r) for r in rounds],
    }


def round_ratios(
    numerators: Sequence[WrkResult], denominators: Sequence[WrkResult]
) -> list[float]:
    """Round i's rate over round i's rate, for every round.

    The two runs of a round were seconds apart, so these show how far one
    round can mislead; the ratio of the medians is the figure to read.
    """
    return [
        top.requests_per_s / bottom.requests_per_s
        for top, bottom in zip(numerators, denominators, strict=True)
    ]


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of sorted values: ``fraction`` 0.99 for p99."""
    if not ordered:
        return math.nan
    rank = max(math.ceil(fraction * len(ordered)), 1)
    return ordered[rank - 1]


def verdict(passed: bool) -> str:
    """PASS or FAIL."""
    return "PASS" if passed else "FAIL"


def table(rows: Sequence[Sequence[str]], left: int = 1) -> list[str]:
    """Rows as aligned lines: the first ``left`` columns to the left, the rest right."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(width) if column < left else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]
