"""Benchmarks: ``python -m bench.run`` (``make bench``).

A package so that Hypercorn can serve ``bench.baseline:app``. ``BenchError`` is
defined here because every module of the bench raises it and ``bench.run``
catches it.
"""

from __future__ import annotations


class BenchError(RuntimeError):
    """The bench cannot go on: a server or wrk failed."""
