"""The bench: ``python -m tests.bench.run`` (``make bench``); ``run`` says how.

A package so that Hypercorn can serve ``tests.bench.baseline:app``. It holds
nothing but ``BenchError``, which every part raises and ``run`` catches, so
that the bare app's start imports nothing more than bare Quart.
"""

from __future__ import annotations


class BenchError(RuntimeError):
    """The bench cannot go on: wrk, a server or a database failed."""
