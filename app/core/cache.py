"""A response cache for the GET routes that opt in: Redis, or memory when there is none.

A feature calls ``cache.init_app(app)`` from its ``install`` and decorates a
view with ``@cache.cached(tag=...)``; after a write it calls ``await
cache.invalidate(tag)``, which drops every answer cached under that tag (an
image's thumbnails, say). Answers carry ``X-Cache: Hit`` or ``Miss``, counted
in ``cache_requests_total`` when metrics are on (``app.core.metrics``).

- **Where.** Redis (redis-py's asyncio client, its pool opened while the app
  serves) when ``REDIS_URL`` is set, so that every worker shares one cache;
  otherwise a store in the process, bounded by ``CACHE_MAX_BYTES`` (least
  recently used out first), so that ``make run`` needs nothing installed.
- **What.** 200 answers only, for ``CACHE_TTL`` seconds, keyed by the path,
  the query string and the request headers the route names in ``vary``.
  An answer that sets a cookie or says ``Cache-Control: no-store`` or
  ``private`` is not kept.
- **Conditionals.** The view answers the whole representation, with its
  ``ETag`` and ``Last-Modified``; the cache answers ``If-None-Match``,
  ``If-Modified-Since`` (304) and ``Range`` (206, or 416) from it, hit or
  miss.
- **One fill per key.** Requests that miss the same key while its answer is
  being made wait for that one answer (one thumbnail made, not a hundred).
  It is made in a task of its own, so a client that hangs up does not cancel
  it for the others.
- **Failures.** Redis down or slower than ``CACHE_TIMEOUT`` never fails a
  request: the cache is skipped, the failure logged at most once a minute
  (``app.core.optional``), and ``/readyz`` names it as degraded (still a 200:
  the service answers without it). An invalidation that fails leaves
  entries that ``CACHE_TTL`` ends.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, ParamSpec, Protocol

from quart import Quart, Response, current_app, request
from quart.typing import ResponseReturnValue
from werkzeug.datastructures import Headers

from app.core import metrics, readiness, responses
from app.core.optional import Guard, connect_redis

if TYPE_CHECKING:
    from prometheus_client import Counter

P = ParamSpec("P")

EXTENSION: Final = "cache"
INSTALLED: Final = "cache.installed"
HEADER: Final = "X-Cache"
# What HEADER says of an answer: kept, or made by the view (and kept).
HIT: Final = "Hit"
MISS: Final = "Miss"
STATES: Final = (HIT, MISS)
KEY_PREFIX: Final = "cache:"
# Never stored: they belong to one answer, one connection, or one client.
_UNSTORED: Final = frozenset(
    {
        "connection",
        "date",
        "set-cookie",
        "transfer-encoding",
        "x-request-id",
        HEADER.lower(),
    }
)

logger = logging.getLogger(__name__)


class Store(Protocol):
    """Where answers are kept: entries under a tag, each under its key."""

    async def get(self, tag: str, key: str) -> bytes | None: ...

    async def put(self, tag: str, key: str, value: bytes, ttl: float) -> None: ...

    async def drop(self, tag: str) -> None: ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...


class MemoryStore:
    """Entries in this process, the least recently used dropped past ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._entries: OrderedDict[tuple[str, str], tuple[float, bytes]] = OrderedDict()
        self._tags: dict[str, set[str]] = {}

    async def get(self, tag: str, key: str) -> bytes | None:
        found = self._entries.get((tag, key))
        if found is None:
            return None
        expires, value = found
        if expires <= time.monotonic():
            self._remove(tag, key)
            return None
        self._entries.move_to_end((tag, key))
        return value

    async def put(self, tag: str, key: str, value: bytes, ttl: float) -> None:
        if len(value) > self.max_bytes:
            return
        self._remove(tag, key)
        self._entries[tag, key] = (time.monotonic() + ttl, value)
        self._tags.setdefault(tag, set()).add(key)
        self.size += len(value)
        while self.size > self.max_bytes:
            old_tag, old_key = next(iter(self._entries))
            self._remove(old_tag, old_key)

    async def drop(self, tag: str) -> None:
        for key in list(self._tags.get(tag, ())):
            self._remove(tag, key)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self._entries.clear()
        self._tags.clear()
        self.size = 0

    def _remove(self, tag: str, key: str) -> None:
        found = self._entries.pop((tag, key), None)
        if found is None:
            return
        self.size -= len(found[1])
        keys = self._tags[tag]
        keys.discard(key)
        if not keys:
            del self._tags[tag]


class RedisStore:
    """Entries in Redis: a hash per tag, so that one ``DEL`` drops a tag's entries.

    The hash expires ``ttl`` after its last entry was put (Redis 7.0 has no
    expiry per field). No retries: a failed call is a skipped cache, at once.
    """

    def __init__(self, url: str, timeout: float) -> None:
        self.redis = connect_redis(url, timeout)

    async def get(self, tag: str, key: str) -> bytes | None:
        value = await self.redis.hget(KEY_PREFIX + tag, key)
        return value if isinstance(value, bytes) else None

    async def put(self, tag: str, key: str, value: bytes, ttl: float) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hset(KEY_PREFIX + tag, key, value)
            pipe.expire(KEY_PREFIX + tag, max(1, round(ttl)))
            await pipe.execute()

    async def drop(self, tag: str) -> None:
        await self.redis.delete(KEY_PREFIX + tag)

    async def ping(self) -> None:
        await self.redis.ping()

    async def close(self) -> None:
        await self.redis.aclose()


@dataclass
class Cache:
    """A store, guarded so that its failures only skip it, and the fills under way."""

    store: Store
    ttl: float
    guard: Guard
    _fills: dict[tuple[str, str], asyncio.Future[bytes | Response]] = field(
        default_factory=dict
    )
    # Bumped by each invalidation: a fill that began before one is not kept.
    _generations: dict[str, int] = field(default_factory=dict)
    # Requests that waited for a fill another one began (a metric).
    joined: int = 0
    # A counter per state (STATES), when the app records metrics.
    lookups: dict[str, Counter] | None = None

    async def get(self, tag: str, key: str) -> bytes | None:
        return await self.guard.run(self.store.get(tag, key), None)

    async def put(self, tag: str, key: str, value: bytes) -> None:
        await self.guard.run(self.store.put(tag, key, value, self.ttl), None)

    async def invalidate(self, tag: str) -> None:
        self._generations[tag] = self._generations.get(tag, 0) + 1
        await self.guard.run(self.store.drop(tag), None)

    async def answer(
        self, tag: str, key: str, view: Callable[[], Awaitable[ResponseReturnValue]]
    ) -> Response:
        """The cached answer to this request, or the view's, which is then kept."""
        entry, state = await self.get(tag, key), HIT
        if entry is None:
            fill = self._fills.get((tag, key))
            made_here = fill is None
            if fill is None:
                fill = asyncio.ensure_future(self._fill(tag, key, view))
                self._fills[tag, key] = fill
                fill.add_done_callback(lambda _: self._fills.pop((tag, key), None))
            else:
                self.joined += 1
            made = await asyncio.shield(fill)
            if isinstance(made, Response):  # not for keeping, nor for sharing
                return made if made_here else await _respond(view)
            entry, state = made, MISS
        if self.lookups is not None:
            self.lookups[state].inc()
        response = _decode(entry)
        response.headers[HEADER] = state
        return await responses.conditional(response)

    async def _fill(
        self, tag: str, key: str, view: Callable[[], Awaitable[ResponseReturnValue]]
    ) -> bytes | Response:
        generation = self._generations.get(tag, 0)
        response = await _respond(view)
        if not _storable(response):
            return response
        body = await response.get_data(as_text=False)
        entry = _encode(response.status_code, response.headers, body)
        if self._generations.get(tag, 0) == generation:
            await self.put(tag, key, entry)
        return entry


def init_app(app: Quart) -> None:
    """Open the cache while serving and report it in ``/readyz``; once per app."""
    if app.extensions.get(INSTALLED):
        return
    app.extensions[INSTALLED] = True

    @app.while_serving
    async def _opened() -> AsyncGenerator[None, None]:
        config = app.config
        store: Store
        if config["REDIS_URL"]:
            store = RedisStore(config["REDIS_URL"], config["CACHE_TIMEOUT"])
        else:
            store = MemoryStore(config["CACHE_MAX_BYTES"])
        guard = Guard("cache", config["CACHE_TIMEOUT"], logger)
        cache = Cache(store, config["CACHE_TTL"], guard)
        if metrics.enabled(app):
            lookups = metrics.counter(
                "cache_requests_total", "Response cache lookups.", ("result",)
            )
            cache.lookups = {state: lookups.labels(state.lower()) for state in STATES}
        await guard.run(store.ping(), None)  # logs a Redis that does not answer
        app.extensions[EXTENSION] = cache
        try:
            yield
        finally:
            del app.extensions[EXTENSION]
            await store.close()

    readiness.add_check(app, "cache", _ping, required=False)


def cached(
    tag: Callable[..., str], vary: tuple[str, ...] = ()
) -> Callable[
    [Callable[P, Awaitable[ResponseReturnValue]]], Callable[P, Awaitable[Response]]
]:
    """Cache a GET view's 200 answers under ``tag(**view_args)``, by URL, ``vary``."""

    def decorate(
        view: Callable[P, Awaitable[ResponseReturnValue]],
    ) -> Callable[P, Awaitable[Response]]:
        @functools.wraps(view)
        async def run(*args: P.args, **kwargs: P.kwargs) -> Response:
            cache: Cache = current_app.extensions[EXTENSION]
            key = _key(vary)
            return await cache.answer(tag(**kwargs), key, lambda: view(*args, **kwargs))

        return run

    return decorate


async def invalidate(tag: str) -> None:
    """Drop every answer cached under ``tag``, in this process and in Redis."""
    cache: Cache | None = current_app.extensions.get(EXTENSION)
    if cache is not None:
        await cache.invalidate(tag)


async def _ping() -> None:
    cache: Cache = current_app.extensions[EXTENSION]
    await cache.store.ping()


async def _respond(view: Callable[[], Awaitable[ResponseReturnValue]]) -> Response:
    response = await current_app.make_response(await view())
    if not isinstance(response, Response):
        raise TypeError("a cached view answers with a Quart response")
    return response


def _key(vary: tuple[str, ...]) -> str:
    key = request.path
    if request.query_string:
        key += "?" + request.query_string.decode("latin-1")
    for name in vary:
        key += f"\n{name.lower()}: {request.headers.get(name, '')}"
    return key


def _storable(response: Response) -> bool:
    if response.status_code != 200 or "Set-Cookie" in response.headers:
        return False
    control = response.cache_control
    return not (control.no_store or control.private)


def _encode(status: int, headers: Headers, body: bytes) -> bytes:
    kept = [(k, v) for k, v in headers.items() if k.lower() not in _UNSTORED]
    return json.dumps([status, kept]).encode() + b"\n" + body


def _decode(entry: bytes) -> Response:
    head, _, body = entry.partition(b"\n")
    status, headers = json.loads(head)
    return current_app.response_class(body, status=status, headers=headers)
