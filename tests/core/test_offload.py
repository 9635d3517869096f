"""app.core.offload: work in a thread, with a short switch interval while it runs."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable, Iterator

import pytest

from app.core.offload import SWITCH_INTERVAL_S, in_thread

USUAL = 0.005  # Python's default


@pytest.fixture(autouse=True)
def usual_interval() -> Iterator[None]:
    before = sys.getswitchinterval()
    sys.setswitchinterval(USUAL)
    yield
    sys.setswitchinterval(before)


def held(release: threading.Event, seen: list[float]) -> str:
    """Note the interval the work runs with, then wait to be let go."""
    seen.append(sys.getswitchinterval())
    assert release.wait(10)
    return "done"


async def until(condition: Callable[[], bool]) -> None:
    """Let the loop turn until ``condition()`` holds.

    What it waits for happens in a worker thread, where no asyncio.Event is set.
    """
    while not condition():  # noqa: ASYNC110 - see above
        await asyncio.sleep(0)


async def test_the_interval_is_short_while_work_runs_and_usual_after() -> None:
    release, seen = threading.Event(), list[float]()
    task = asyncio.ensure_future(in_thread(held, release, seen))
    await until(lambda: bool(seen))
    assert sys.getswitchinterval() == SWITCH_INTERVAL_S
    release.set()
    assert await task == "done"
    assert seen == [SWITCH_INTERVAL_S]
    assert sys.getswitchinterval() == USUAL


async def test_the_interval_stays_short_until_the_last_work_ends() -> None:
    first, second, seen = threading.Event(), threading.Event(), list[float]()
    one = asyncio.ensure_future(in_thread(held, first, seen))
    two = asyncio.ensure_future(in_thread(held, second, seen))
    await until(lambda: len(seen) == 2)
    first.set()
    await one
    assert sys.getswitchinterval() == SWITCH_INTERVAL_S
    second.set()
    await two
    assert sys.getswitchinterval() == USUAL


async def test_a_cancelled_caller_leaves_it_short_until_the_work_ends() -> None:
    release, seen = threading.Event(), list[float]()
    task = asyncio.ensure_future(in_thread(held, release, seen))
    await until(lambda: bool(seen))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sys.getswitchinterval() == SWITCH_INTERVAL_S  # the thread still works
    release.set()
    await until(lambda: sys.getswitchinterval() == USUAL)


async def test_an_error_in_the_work_is_raised_and_the_interval_comes_back() -> None:
    def fails() -> None:
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        await in_thread(fails)
    assert sys.getswitchinterval() == USUAL
