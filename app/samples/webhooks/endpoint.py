"""A mock of a slow third-party service: answer at once, call back much later.

``POST /api/endpoint?some_parameter=<v>`` stores a delivery and answers
``{"identifier": "<uuid>", "success": true}``; ``WEBHOOK_DELAY`` seconds later
the worker calls ``CALLBACK_URL`` with ``GET ?success=true&identifier=<uuid>
&some_parameter=<v>``, signed (see ``signing``). ``GET
/api/endpoint/<identifier>`` tells how that delivery is going.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from quart import Blueprint, Response, current_app, request
from quart_schema import document_querystring, document_response

from app.core import database
from app.core.documentation import documents_errors, documents_links
from app.core.errors import APIError
from app.core.parsing import read_body
from app.core.responses import respond
from app.samples.webhooks.schemas import DeliveryStatus, Scheduled, ScheduleQuery
from app.samples.webhooks.service import Outbox
from app.samples.webhooks.storage import PENDING
from app.samples.webhooks.worker import running_worker

blueprint = Blueprint("endpoint", __name__)


@blueprint.post("/api/endpoint")
@document_querystring(ScheduleQuery)
@document_response(Scheduled)
@documents_errors(408, 413, 503)
@documents_links("endpoint.status", identifier="identifier")
async def schedule() -> Response:
    """Schedule a callback; 503 while ``CALLBACK_URL`` is not configured."""
    callback_url = current_app.config["CALLBACK_URL"]
    if not callback_url:
        raise APIError(
            503, "CALLBACK_URL is not set: set APP_CALLBACK_URL to receive callbacks."
        )
    await read_body()  # ignored, but read within the size limit like any other
    params = {}
    if (value := request.args.get("some_parameter")) is not None:
        params["some_parameter"] = value
    delay = current_app.config["WEBHOOK_DELAY"]
    delivery = await Outbox(database.sessions()).schedule(callback_url, delay, params)
    running_worker().notify(delivery.due_at)
    return respond({"identifier": delivery.identifier, "success": True})


@blueprint.get("/api/endpoint/<uuid:identifier>")
@document_response(DeliveryStatus)
@documents_errors(404, 503)
async def status(identifier: UUID) -> Response:
    """A delivery's status (pending, delivered, failed), attempts and last error."""
    delivery = await Outbox(database.sessions()).get(str(identifier))
    pending = delivery.status == PENDING
    return respond(
        {
            "identifier": delivery.identifier,
            "delivery_id": delivery.delivery_id,
            "status": delivery.status,
            "attempts": delivery.attempts,
            "next_attempt_at": _iso(delivery.due_at) if pending else None,
            "delivered_at": _iso(delivery.delivered_at),
            "last_error": delivery.last_error,
        }
    )


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")
