"""Work that computes in Python, moved off the event loop without starving it.

A worker thread frees the loop only as far as the GIL lets it: a thread that
computes in Python keeps the GIL until the loop has waited
``sys.getswitchinterval()`` for it (5 ms by default), and the loop waits
again at every read, write and poll of every request it serves meanwhile.
Answering one ``/healthz`` took a dozen such waits while a big body was
parsed. So while work runs here the interval is ``SWITCH_INTERVAL_S``, and
when the last of it ends it goes back to what it was: the interval is the
whole process's, and aiosqlite's thread, which hands the GIL back and forth
with the loop on every query, serves no faster with a short one
(docs/reliability.md has the figures of both).

Hashing a password needs none of this: ``hashlib`` lets go of the GIL.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable
from typing import Final, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

SWITCH_INTERVAL_S: Final = 0.001


class _Interval:
    """The process's switch interval, short while any offloaded work runs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # loops in other threads (tests) may offload too
        self._running = 0
        self._usual = sys.getswitchinterval()

    def enter(self) -> None:
        with self._lock:
            if not self._running:
                self._usual = sys.getswitchinterval()
                sys.setswitchinterval(SWITCH_INTERVAL_S)
            self._running += 1

    def leave(self) -> None:
        with self._lock:
            self._running -= 1
            if not self._running:
                sys.setswitchinterval(self._usual)


_interval: Final = _Interval()


async def in_thread(work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``work(*args, **kwargs)`` in a worker thread, the loop switching in every 1 ms.

    The interval is set in the thread, around the work itself, so that it is
    short exactly while the work runs, even when the caller is cancelled.
    """

    def run() -> T:
        _interval.enter()
        try:
            return work(*args, **kwargs)
        finally:
            _interval.leave()

    return await asyncio.to_thread(run)
