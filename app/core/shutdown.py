"""The moment the server is told to stop: one event the rest of the core waits on.

Hypercorn tells the app it is stopping (lifespan shutdown) only after it has
waited ``graceful_timeout`` for open connections. Until then the app would
go on taking new requests on kept-alive connections that Hypercorn is about
to close, and WebSockets, which never end by themselves, would be cut with no
close frame. So ``init_app`` listens for SIGTERM and SIGINT beside
Hypercorn's own handler and sets ``stopping(app)`` at once: new requests are
refused (``app.core.edge``) and sockets close with 1001
(``app.core.websockets``). The event is also set when the app shuts down
without a signal (tests, the end of a script).

With ``workers > 0`` the signal reaches only Hypercorn's parent process,
which sets a multiprocessing event that each worker polls to begin its own shutdown.
``init_app`` replaces that poll, once per process, with one that also sets
the worker's apps' events, and polls ten times as often (docs/upstream.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncGenerator, Awaitable, Callable
from types import FrameType
from typing import Any, Final

import hypercorn.asyncio.run as hypercorn_run
from quart import Quart

EXTENSION: Final = "shutdown.stopping"
_REPLACED: Final = "_kit_sets_stopping"
WORKER_POLL_S: Final = 0.01
_POLL: Final = "check_multiprocess_shutdown_event"
SIGNALS: Final = (signal.SIGTERM, signal.SIGINT)


# The events of the apps serving in this process, for the workers' poll.
_SERVING: Final[set[asyncio.Event]] = set()


def init_app(app: Quart) -> None:
    """Set ``stopping(app)`` when the server is told to stop."""
    app.extensions[EXTENSION] = asyncio.Event()
    _follow_worker_shutdown()

    @app.while_serving
    async def _listening() -> AsyncGenerator[None, None]:
        event = stopping(app)
        event.clear()
        loop = asyncio.get_running_loop()
        previous: dict[int, Any] = {}

        def handler(signum: int, frame: FrameType | None) -> None:
            loop.call_soon_threadsafe(event.set)
            chained = previous.get(signum)
            if callable(chained):
                chained(signum, frame)

        # asyncio's own handlers (Hypercorn's) run through the loop's wakeup
        # fd, whatever Python-level handler is installed, so both run.
        with contextlib.suppress(ValueError):  # not the main thread: no signals
            for signum in SIGNALS:
                previous[signum] = signal.signal(signum, handler)
        _SERVING.add(event)
        try:
            yield
        finally:
            _SERVING.discard(event)
            event.set()
            for number, chained in previous.items():
                signal.signal(number, chained)


def stopping(app: Quart) -> asyncio.Event:
    """The app's event, set once the server has been told to stop."""
    event: asyncio.Event = app.extensions[EXTENSION]
    return event


def _follow_worker_shutdown() -> None:
    """Replace Hypercorn's per-worker shutdown poll with one that sets ``_SERVING``.

    A worker loads the app, then looks the poll up in its module to build
    its shutdown trigger, so replacing it here, while the app is created, is
    in time. Hypercorn's polls every 0.1 s, and a request that arrives on a
    kept-alive connection in that time is served as if nothing happened;
    reading a multiprocessing event costs microseconds, so this one polls
    every ``WORKER_POLL_S``.
    """
    if getattr(getattr(hypercorn_run, _POLL), _REPLACED, False):
        return

    async def check(
        shutdown_event: Any, sleep: Callable[[float], Awaitable[Any]]
    ) -> None:
        while not shutdown_event.is_set():
            await sleep(WORKER_POLL_S)
        for event in _SERVING:
            event.set()

    setattr(check, _REPLACED, True)
    setattr(hypercorn_run, _POLL, check)
