"""Calls to a dependency that the service answers without: Redis, for now.

The response cache (``app.core.cache``) and the rate limits
(``app.core.rate_limits``) keep their state in Redis when ``REDIS_URL`` is
set. Neither may fail a request: a call that fails or takes longer than its
timeout is skipped (``Guard.run`` gives its default instead), and logged at
most once per ``LOG_INTERVAL_S``, so that a Redis that is down does not
write a line per request.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Final, TypeVar

if TYPE_CHECKING:
    from redis.asyncio import Redis

T = TypeVar("T")

LOG_INTERVAL_S: Final = 60.0


def connect_redis(url: str, timeout: float) -> Redis:
    """A Redis client whose calls give up after ``timeout``, never retried."""
    # Imported here: a service that keeps nothing in Redis never loads redis-py.
    from redis.asyncio import Redis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    return Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
    )


class Guard:
    """Runs calls within ``timeout``; a failure is logged as ``what`` skipped."""

    def __init__(self, what: str, timeout: float, logger: logging.Logger) -> None:
        self.what = what
        self.timeout = timeout
        self.logger = logger
        self._last_warning = float("-inf")

    async def run(self, call: Awaitable[T], default: T) -> T:
        """What ``call`` gives, or ``default`` if it fails or times out."""
        try:
            async with asyncio.timeout(self.timeout):
                return await call
        except Exception as error:  # Redis down, slow, or its pool full
            now = time.monotonic()
            if now - self._last_warning >= LOG_INTERVAL_S:
                self._last_warning = now
                self.logger.warning(
                    "%s skipped: %s: %s", self.what, type(error).__name__, error
                )
            return default
