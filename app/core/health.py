"""Liveness and readiness probes for load balancers and orchestrators.

``GET /healthz`` answers while the process serves; ``GET /readyz`` also asks
every registered dependency (see ``app.core.readiness``). The paths follow the
Kubernetes convention, so this blueprint has no ``url_prefix``.
"""

from __future__ import annotations

from typing import cast

from quart import Blueprint, Response, current_app
from quart_rate_limiter import rate_exempt
from quart_schema import document_response

from app.core.documentation import Status, documents_errors, documents_media
from app.core.errors import APIError
from app.core.readiness import failing_checks

blueprint = Blueprint("health", __name__)


# Probes are never rate-limited (app.core.rate_limits): a load balancer that
# is refused takes the instance out.
@blueprint.get("/healthz")
@rate_exempt
@document_response(Status)
@documents_media("application/json")
async def healthz() -> Response:
    """Liveness: 200 while the process can answer at all."""
    return _status(status="ok")


@blueprint.get("/readyz")
@rate_exempt
@document_response(Status)
@documents_media("application/json")
@documents_errors(503)
async def readyz() -> Response:
    """Readiness: 200 when every required dependency answers, else 503 naming the rest.

    An optional one that does not answer (a cache) is named in ``degraded``.
    """
    failing, degraded = await failing_checks()
    if failing:
        raise APIError(
            503,
            f"Not ready: {', '.join(failing)} did not answer.",
            extra={"failing": failing, "degraded": degraded},
        )
    if degraded:
        return _status(status="degraded", degraded=degraded)
    return _status(status="ok")


def _status(**body: object) -> Response:
    # A ready Response: probes are frequent, and a dict would go through
    # quart-schema's conversion of return values (see app.core.openapi).
    return cast(Response, current_app.json.response(body))
