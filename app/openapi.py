"""The OpenAPI document at ``/openapi.json`` and interactive docs at ``/docs``.

quart-schema builds the document from the routes: each route's docstring is
its description, and the models given to ``validate_request``,
``validate_querystring`` and ``document_response`` are its schemas. The docs
page loads Swagger UI from a CDN in the browser; the server serves no files.
"""

from __future__ import annotations

from importlib.metadata import version

from quart import Quart
from quart_schema import Info, QuartSchema

DISTRIBUTION = "quart-microservice-kit"


def init_app(app: Quart) -> None:
    """Serve the document and Swagger UI; the other UIs stay off."""
    QuartSchema(
        app,
        info=Info(title="Quart microservice kit", version=version(DISTRIBUTION)),
        openapi_path="/openapi.json",
        swagger_ui_path="/docs",
        redoc_ui_path=None,
        scalar_ui_path=None,
    )
