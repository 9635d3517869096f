"""WebSocket plumbing: close codes from exceptions, limits, and a clean shutdown.

- Raise ``WebSocketError(code, reason)`` anywhere in a handler: ``app/core/errors.py``
  turns it into a close with that code and reason. Any other exception closes
  with 1011 and no internals in the reason.
- ``accept()`` marks the socket accepted, so errors before it stay HTTP
  responses (a 401 or 403 JSON body to the handshake) and errors after it
  become close frames.
- ``receive()`` bounds every message (``WS_MAX_MESSAGE_SIZE`` → 1009), the
  silence between messages (``WS_IDLE_TIMEOUT`` → 1001) and ends at shutdown
  (→ 1001).

At shutdown every socket is told to close with 1001 at once, as soon as the
server is told to stop (``app.core.shutdown``), rather than cut off with no
close frame when Hypercorn's graceful timeout ends.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import Final, TypeVar

from quart import current_app, g, has_websocket_context, websocket

from app.core.settings import Count, Seconds, Settings
from app.core.shutdown import stopping

NORMAL: Final = 1000
GOING_AWAY: Final = 1001
POLICY_VIOLATION: Final = 1008
MESSAGE_TOO_BIG: Final = 1009
INTERNAL_ERROR: Final = 1011

T = TypeVar("T")


class WebSocketSettings(Settings):
    """Bounds on every WebSocket: the size of a message, and silence."""

    WS_MAX_MESSAGE_SIZE: Count = 64 * 1024  # bytes; larger closes with 1009
    WS_IDLE_TIMEOUT: Seconds = 300.0  # silence before a close with 1001


class WebSocketError(Exception):
    """Close the WebSocket with ``code`` and ``reason`` (at most 123 bytes)."""

    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason


async def accept() -> None:
    """Accept the connection; from here on errors close it instead of answering."""
    await websocket.accept()
    g.websocket_accepted = True


def is_accepted() -> bool:
    """Whether the current WebSocket (if any) has been accepted."""
    return has_websocket_context() and bool(g.get("websocket_accepted"))


async def receive() -> str | bytes:
    """The next message, within the size limit, the idle timeout and the app's life."""
    data = await until_going_away(
        websocket.receive(), current_app.config["WS_IDLE_TIMEOUT"]
    )
    if len(data) > current_app.config["WS_MAX_MESSAGE_SIZE"]:
        raise WebSocketError(MESSAGE_TOO_BIG, "Message too big")
    return data


async def until_going_away(work: Awaitable[T], idle: float | None = None) -> T:
    """Await ``work``; ``WebSocketError(1001)`` at shutdown or after ``idle`` s."""
    task = asyncio.ensure_future(work)
    stop = asyncio.ensure_future(stopping(current_app).wait())
    try:
        done, _ = await asyncio.wait(
            {task, stop}, timeout=idle, return_when=asyncio.FIRST_COMPLETED
        )
    finally:  # also when this handler is cancelled: leave no task behind
        stop.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    if task in done:
        return task.result()
    if stop in done:
        raise WebSocketError(GOING_AWAY, "Server shutting down")
    raise WebSocketError(GOING_AWAY, "Idle for too long")


async def close(code: int, reason: str) -> None:
    """Close the current WebSocket with ``code`` and ``reason``."""
    await websocket.close(code, reason)
