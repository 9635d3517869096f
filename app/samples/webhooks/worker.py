"""The delivery worker: one asyncio task per app, started with it.

It claims due deliveries, calls each with the app's ``httpx.AsyncClient``,
and settles it: delivered on a 2xx; retried with backoff on a connection
error, a timeout, 408, 429 or 5xx, until ``WEBHOOK_MAX_ATTEMPTS``; failed at
once on any other status (410 Gone included). Between batches it sleeps until
the next delivery falls due, or until ``notify`` says one was scheduled
sooner, never longer than ``IDLE_CHECK_S`` (other instances may add work).
A delivery due later than the planned wake-up wakes nothing: scheduling one
costs its insert only, not a claim and a look at the schedule as well.

``stop`` stops claiming, gives calls in flight ``WEBHOOK_SHUTDOWN_TIMEOUT``
seconds, then cuts the rest short and makes them due at once, so the next
start (of this instance or another) sends them first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import httpx
from quart import current_app

from app.samples.webhooks import signing
from app.samples.webhooks.service import Delivery, Outbox, backoff, is_retryable

EXTENSION: Final = "webhooks.worker"
IDLE_CHECK_S: Final = 30.0
ERROR_PAUSE_S: Final = 1.0

logger = logging.getLogger(__name__)

# None when the call was delivered; else what went wrong and whether to retry.
Outcome = tuple[str, bool] | None


@dataclass(frozen=True)
class WorkerSettings:
    """The worker's part of the config."""

    secret: str
    max_attempts: int
    timeout: float
    retry_base: float
    retry_cap: float
    concurrency: int
    shutdown_timeout: float

    @classmethod
    def from_config(cls, config: Any) -> WorkerSettings:
        """Read the ``WEBHOOK_*`` settings."""
        return cls(
            secret=config["WEBHOOK_SECRET"],
            max_attempts=config["WEBHOOK_MAX_ATTEMPTS"],
            timeout=config["WEBHOOK_TIMEOUT"],
            retry_base=config["WEBHOOK_RETRY_BASE"],
            retry_cap=config["WEBHOOK_RETRY_CAP"],
            concurrency=config["WEBHOOK_CONCURRENCY"],
            shutdown_timeout=config["WEBHOOK_SHUTDOWN_TIMEOUT"],
        )

    @property
    def lease(self) -> float:
        """How long a claim lasts: a call's timeout, with room to settle it."""
        return 3 * self.timeout


class Worker:
    """Delivers the outbox's due callbacks until stopped."""

    def __init__(
        self, outbox: Outbox, client: httpx.AsyncClient, settings: WorkerSettings
    ):
        self.outbox = outbox
        self.client = client
        self.settings = settings
        self._wake = asyncio.Event()
        # When the worker means to look at the schedule next (outbox clock);
        # infinity while it is looking, so that any notify counts.
        self._wake_at = math.inf
        self._stopping = asyncio.Event()
        self._in_flight: dict[asyncio.Task[None], str] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the loop in the background."""
        self._task = asyncio.create_task(self._run(), name="webhook-worker")

    def notify(self, due_at: float) -> None:
        """A delivery due at ``due_at`` was scheduled: wake if it is due sooner."""
        if due_at < self._wake_at:
            self._wake.set()

    async def stop(self) -> None:
        """Stop claiming; give calls in flight the bound; release the rest."""
        self._stopping.set()
        self._wake.set()
        if self._task is not None:
            await self._task
        if not self._in_flight:
            return
        _, late = await asyncio.wait(
            self._in_flight, timeout=self.settings.shutdown_timeout
        )
        identifiers = [self._in_flight[task] for task in late]
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        if identifiers:
            logger.warning("shutdown cut %d webhook calls short", len(identifiers))
            await self.outbox.release(identifiers)

    async def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()  # a notify from here on wakes the next wait
            self._wake_at = math.inf
            try:
                timeout = await self._claim_and_send()
            except Exception:
                logger.exception("webhook worker: the outbox is not reachable")
                timeout = ERROR_PAUSE_S
            if timeout and not self._stopping.is_set():
                self._wake_at = self.outbox.clock() + timeout
                await self._sleep(timeout)

    async def _claim_and_send(self) -> float:
        """Start calls for due deliveries; return how long to sleep (0: go on)."""
        free = self.settings.concurrency - len(self._in_flight)
        if free <= 0:
            await asyncio.wait(self._in_flight, return_when=asyncio.FIRST_COMPLETED)
            return 0
        claimed = await self.outbox.claim(self.settings.lease, free)
        for delivery in claimed:
            task = asyncio.create_task(self._deliver(delivery))
            self._in_flight[task] = delivery.identifier
            task.add_done_callback(self._in_flight.pop)
        if len(claimed) == free:
            return 0
        due = await self.outbox.next_due()
        if due is None:
            return IDLE_CHECK_S
        return min(IDLE_CHECK_S, max(due - self.outbox.clock(), 0.001))

    async def _sleep(self, seconds: float) -> None:
        """Wait ``seconds``, or less if ``notify`` or ``stop`` is called."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()

    async def _deliver(self, delivery: Delivery) -> None:
        outcome: Outcome
        try:
            outcome = await self._call(delivery)
        except Exception:  # a bug here must not kill the worker
            logger.exception("webhook %s: unexpected error", delivery.identifier)
            outcome = ("internal error", True)
        try:
            retry_at = await self._settle(delivery, outcome)
        except Exception:
            # The claim's lease runs out and the delivery is tried again.
            logger.exception(
                "webhook %s: cannot record the outcome", delivery.identifier
            )
        else:
            if retry_at is not None:
                self.notify(retry_at)  # it may now be the next thing due

    async def _call(self, delivery: Delivery) -> Outcome:
        """Make one call and say how it went."""
        payload = urlsplit(delivery.url).query
        timestamp = int(self.outbox.clock())
        headers = signing.headers(
            self.settings.secret, delivery.delivery_id, timestamp, payload
        )
        try:
            response = await self.client.get(delivery.url, headers=headers)
        except httpx.TimeoutException:
            return ("timed out", True)
        except httpx.TransportError as error:
            return (f"connection failed: {type(error).__name__}", True)
        if response.is_success:
            return None
        return (f"HTTP {response.status_code}", is_retryable(response.status_code))

    async def _settle(self, delivery: Delivery, outcome: Outcome) -> float | None:
        """Record the outcome; return when a retry falls due, if there is one."""
        name, attempt = delivery.identifier, delivery.attempts
        if outcome is None:
            await self.outbox.delivered(name)
            logger.info("webhook %s delivered on attempt %d", name, attempt)
            return None
        error, retry = outcome
        if retry and attempt < self.settings.max_attempts:
            s = self.settings
            delay = backoff(attempt, s.retry_base, s.retry_cap)
            retry_at = await self.outbox.retry(name, delay, error)
            logger.info(
                "webhook %s attempt %d: %s; retry in %.2fs", name, attempt, error, delay
            )
            return retry_at
        await self.outbox.failed(name, error)
        logger.warning("webhook %s failed after %d attempts: %s", name, attempt, error)
        return None


def running_worker() -> Worker:
    """The current app's worker (started by the feature's ``install``)."""
    worker: Worker = current_app.extensions[EXTENSION]
    return worker
