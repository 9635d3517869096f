"""How often the event loop turns while a request is served: is it left free?"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def turns_during(work: Awaitable[T]) -> tuple[T, int]:
    """``work``'s result, and how many turns the loop gave others meanwhile.

    Work done on the loop takes a few dozen turns in all, none while it
    computes; work in a worker thread lets the loop turn thousands of times.
    """
    task = asyncio.ensure_future(work)
    turns = 0
    while not task.done():
        await asyncio.sleep(0)  # a turn of the loop, as another request would get
        turns += 1
    return await task, turns


async def until(condition: Callable[[], bool], turns: int = 100_000) -> None:
    """Give the loop turns until ``condition()`` holds; fail after ``turns``.

    For a state that other tasks on this loop reach without waiting on
    anything outside it (requests queueing for the same answer): no clock.
    """
    for _ in range(turns):
        if condition():
            return
        await asyncio.sleep(0)  # a turn of the loop, not a wait for time
    raise AssertionError(f"not reached in {turns} turns of the loop")
