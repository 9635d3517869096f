"""Delayed, durable webhook callbacks: an outbox in the database and a worker.

``POST /api/endpoint`` stores a delivery (``service.Outbox``) before it
answers; the ``worker.Worker`` started with the app calls ``CALLBACK_URL``
when the delivery falls due, signs each call (``signing``), and retries with
backoff. Nothing lives only in memory, so a restart or a crash loses nothing:
the next start delivers what is pending, late ones at once.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Final

from quart import Quart, current_app

from app import outgoing
from app.database import EXTENSION as DATABASE
from app.database import Database
from app.webhooks.service import Outbox
from app.webhooks.worker import Settings, Worker

EXTENSION: Final = "webhooks"


def init_app(app: Quart) -> None:
    """Run the worker, with one HTTP client, while the app serves.

    Registered after the database, so it starts after it and stops before it.
    """

    @app.while_serving
    async def _delivering() -> AsyncGenerator[None, None]:
        settings = Settings.from_config(app.config)
        database: Database = app.extensions[DATABASE]
        async with outgoing.client(settings.timeout) as client:
            worker = Worker(Outbox(database.sessions), client, settings)
            app.extensions[EXTENSION] = worker
            worker.start()
            try:
                yield
            finally:
                await worker.stop()
                del app.extensions[EXTENSION]


def worker() -> Worker:
    """The current app's worker."""
    running: Worker = current_app.extensions[EXTENSION]
    return running
