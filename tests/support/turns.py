"""How often the event loop turns while a request is served: is it left free?"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
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
