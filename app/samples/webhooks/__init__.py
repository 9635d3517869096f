"""Delayed, durable webhook callbacks: an outbox in the database and a worker.

``POST /api/endpoint`` (``endpoint``) stores a delivery (``service.Outbox``)
before it answers; the ``worker.Worker`` started with the app calls
``CALLBACK_URL`` when the delivery falls due, signs each call (``signing``),
and retries with backoff. Nothing lives only in memory, so a restart or a
crash loses nothing: the next start delivers what is pending, late ones at
once. ``README.md`` here shows it with curl.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from pathlib import Path

from quart import Quart

from app.core import database, metrics, outgoing
from app.core.database import EXTENSION as DATABASE
from app.core.database import Database
from app.core.features import Feature
from app.samples.webhooks import endpoint
from app.samples.webhooks.service import Outbox
from app.samples.webhooks.settings import WebhookSettings
from app.samples.webhooks.worker import EXTENSION, Worker, WorkerSettings


def install(app: Quart) -> None:
    """Register the endpoint; run the worker, with one HTTP client, while serving.

    With metrics on, ``/metrics`` reports the outbox's depth, counted at
    each scrape.

    The database is installed first, so the worker starts after it opens and
    stops before it closes.
    """
    database.init_app(app)
    app.register_blueprint(endpoint.blueprint)
    if metrics.enabled(app):
        depth = metrics.gauge(
            "webhooks_outbox_pending",
            "Webhook deliveries waiting to be sent.",
            mode="mostrecent",  # one table, the same seen from every worker
        )

        async def _count_pending() -> None:
            depth.set(await Outbox(database.opened().sessions).pending())

        metrics.on_scrape(app, _count_pending)

    @app.while_serving
    async def _delivering() -> AsyncGenerator[None, None]:
        settings = WorkerSettings.from_config(app.config)
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


feature = Feature(
    "webhooks",
    install,
    settings=(WebhookSettings,),
    migrations=Path(__file__).parent / "migrations",
)
