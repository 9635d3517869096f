"""Rate limits with quart-rate-limiter: a budget per client, a smaller one for sign-ins.

Off by default. ``RATE_LIMIT = "600/minute"`` gives each client that many
requests per route in any such window (quart-rate-limiter's GCRA: a steady
rate with bursts up to the count); ``RATE_LIMIT_SIGN_IN = "10/minute"``
gives each client that many requests that carry Basic credentials, over all
routes together, to slow password guessing. Past either, the answer is a
429 JSON error with ``Retry-After``; answers within a limit carry
``RateLimit-Limit``, ``RateLimit-Remaining`` and ``RateLimit-Reset``. The
health probes are exempt (``rate_exempt``), so a load balancer is never
refused.

- **Who is a client.** The peer's address, or, with ``PROXY_TRUSTED_HOPS``,
  the one the trusted proxy names: never ``X-Forwarded-For`` on its own,
  which any client writes (quart-rate-limiter's default key reads it).
- **Where the count is kept.** In Redis when ``REDIS_URL`` is set, so every
  worker and every instance spends one budget; otherwise in this process.
  quart-rate-limiter's own stores fall short on both: its Redis store keeps
  every key forever and turns a Redis error into a 500, and its memory store
  keeps a key per client and route forever. These stores let a key expire
  when its window has passed, hold at most ``MEMORY_KEYS`` keys in memory,
  and skip a Redis that fails or takes longer than ``RATE_LIMIT_TIMEOUT``:
  the request is served unlimited, the failure logged (``app.core.optional``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Final

from pydantic import Field
from quart import Quart, request
from quart_rate_limiter import RateLimit, RateLimiter
from quart_rate_limiter.store import RateLimiterStoreABC

from app.core import readiness
from app.core.auth import parse_authorization
from app.core.optional import Guard, connect_redis
from app.core.service import service
from app.core.settings import Seconds, Settings

if TYPE_CHECKING:
    from redis.asyncio import Redis

PERIODS: Final = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
# A limit as people write it: "600/minute".
Limit = Annotated[str, Field(pattern=r"^[1-9][0-9]{0,8}/(second|minute|hour|day)$")]
# Keys the in-process store holds before it forgets the ones past their window.
MEMORY_KEYS: Final = 100_000
SIGN_IN: Final = "sign-in"

logger = logging.getLogger(__name__)


class RateLimitSettings(Settings):
    """How many requests a client may make (see the module); none set: no limits."""

    # Requests per client and route, as "<count>/<second|minute|hour|day>".
    RATE_LIMIT: Limit | None = None
    # Requests with Basic credentials per client, over every route together.
    RATE_LIMIT_SIGN_IN: Limit | None = None
    # Redis only: a call that takes longer lets the request through unlimited.
    RATE_LIMIT_TIMEOUT: Seconds = 0.25


def parse(limit: str) -> tuple[int, timedelta]:
    """``"600/minute"`` as a count and a period."""
    count, _, unit = limit.partition("/")
    return int(count), timedelta(seconds=PERIODS[unit])


async def client() -> str:
    """The client's address, as the proxy settings see it (see the module)."""
    return request.remote_addr or "unknown"


async def _without_credentials() -> bool:
    return parse_authorization(request.headers.get("Authorization")).username is None


class _Limiter(RateLimiter):
    """quart-rate-limiter, with the sign-in budget shared by every route.

    Its keys name the route; the sign-in limit's key names the limit
    instead, so a guesser cannot spread guesses over routes.
    """

    def __init__(self, sign_in: RateLimit | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sign_in = sign_in

    async def _create_key(self, endpoint: str, rate_limit: RateLimit) -> str:
        if rate_limit is self.sign_in:
            endpoint = SIGN_IN
        return await super()._create_key(endpoint, rate_limit)


class MemoryStore(RateLimiterStoreABC):
    """Arrival times in this process; past ``max_keys``, those in the past go."""

    def __init__(self, max_keys: int = MEMORY_KEYS) -> None:
        self.max_keys = max_keys
        self._tats: dict[str, datetime] = {}

    async def before_serving(self) -> None:
        return None

    async def after_serving(self) -> None:
        self._tats.clear()

    async def get(self, key: str, default: datetime) -> datetime:
        return self._tats.get(key, default)

    async def set(self, key: str, tat: datetime) -> None:
        self._tats.pop(key, None)  # to the end: the oldest writes come first
        self._tats[key] = tat
        if len(self._tats) > self.max_keys:
            now = datetime.now(UTC)
            self._tats = {k: v for k, v in self._tats.items() if v > now}
            while len(self._tats) > self.max_keys:  # all within their window
                del self._tats[next(iter(self._tats))]

    def __len__(self) -> int:
        return len(self._tats)


class RedisStore(RateLimiterStoreABC):
    """Arrival times in Redis, each expiring when it has passed (see the module)."""

    def __init__(self, url: str, timeout: float) -> None:
        self.url = url
        self.prefix = f"rate-limit:{service().name}:"
        self.guard = Guard("rate limits", timeout, logger)
        self.redis: Redis | None = None

    async def before_serving(self) -> None:
        self.redis = connect_redis(self.url, self.guard.timeout)

    async def after_serving(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
            self.redis = None

    async def get(self, key: str, default: datetime) -> datetime:
        assert self.redis is not None  # noqa: S101 - only while serving
        found = await self.guard.run(self.redis.get(self.prefix + key), None)
        if found is None:
            return default
        return datetime.fromtimestamp(float(found), UTC)

    async def set(self, key: str, tat: datetime) -> None:
        assert self.redis is not None  # noqa: S101 - only while serving
        # The arrival time matters until it has passed; a millisecond at least.
        lifetime = max(1, int((tat - datetime.now(UTC)).total_seconds() * 1000) + 1)
        call = self.redis.set(self.prefix + key, repr(tat.timestamp()), px=lifetime)
        await self.guard.run(call, None)

    async def ping(self) -> None:
        assert self.redis is not None  # noqa: S101 - only while serving
        await self.redis.ping()


def init_app(app: Quart) -> None:
    """Limit requests as the settings say; nothing if they set no limit."""
    config = app.config
    limits: list[RateLimit] = []
    if config["RATE_LIMIT"]:
        limits.append(RateLimit(*parse(config["RATE_LIMIT"])))
    sign_in = None
    if config["RATE_LIMIT_SIGN_IN"]:
        count, period = parse(config["RATE_LIMIT_SIGN_IN"])
        sign_in = RateLimit(count, period, skip_function=_without_credentials)
        limits.append(sign_in)
    if not limits:
        return
    store: RateLimiterStoreABC
    if config["REDIS_URL"]:
        store = shared = RedisStore(config["REDIS_URL"], config["RATE_LIMIT_TIMEOUT"])
        readiness.add_check(app, "rate-limits", shared.ping, required=False)
    else:
        store = MemoryStore()
    limiter = _Limiter(sign_in, key_function=client, store=store, default_limits=limits)
    limiter.init_app(app)
