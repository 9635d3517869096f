"""The OpenAPI document at ``/openapi.json`` and interactive docs at ``/docs``.

quart-schema builds the document from the routes: each route's docstring is
its description, and the models given to ``validate_request``,
``validate_querystring`` and ``document_response`` are its schemas.
``app.core.openapi_document`` completes each operation with every answer it
can give, each error with the one ``ErrorBody`` schema; ``app.core.documentation``
is how a route names its own. Basic credentials are the ``basic`` security
scheme. Swagger UI's files are served from ``static/swagger-ui`` (Swagger
UI 5, Apache-2.0, vendored from npm's ``swagger-ui-dist``), so ``/docs`` works
offline and loads no script from another origin.

quart-schema also wraps ``app.make_response`` to turn returned models
(pydantic, dataclasses, TypedDicts) into JSON-ready data. It runs every return
value through that conversion, and for a dict or a list (the headers of
``(body, status, headers)`` too) it builds a pydantic ``TypeAdapter`` on each
call, which cost more than all else the kit adds to a small response
(docs/benchmark.md). So a result that the conversion would
return unchanged skips it: a ``Response``, ``str`` or ``bytes`` body, alone,
with a status, or with headers that are a dict of strings without ``_`` in a
name (the conversion turns ``X_Kind`` into ``X-Kind``). Models, dicts and
lists as bodies still get the conversion.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from quart import Blueprint, Quart, Response, send_from_directory
from quart.typing import ResponseTypes
from quart_schema import HttpSecurityScheme, Info, QuartSchema, hide

from app.core.openapi_document import Document
from app.core.service import service
from app.core.settings import Settings

# Bodies that quart-schema's conversion passes through untouched.
PLAIN_BODIES: Final = (Response, str, bytes)
# Relative to /docs, so they still resolve under a path prefix.
SWAGGER_UI_FILES: Final = "docs/static"


class OpenAPISettings(Settings):
    """Whether ``/openapi.json`` and ``/docs`` are served."""

    # None: served in development, not with ENV = "production" (where they
    # would show every route, and its errors, to anyone); true or false: so.
    API_DOCS: bool | None = None


def docs_served(config: Mapping[str, Any]) -> bool:
    """Whether ``API_DOCS``, or else ``ENV``, says to serve the document and UI."""
    served = config["API_DOCS"]
    return config["ENV"] != "production" if served is None else bool(served)


def init_app(app: Quart) -> None:
    """Serve the document and Swagger UI, from this app; the other UIs stay off.

    Validation and the conversion of returned models need quart-schema
    whether the document is served or not.
    """
    served = docs_served(app.config)
    app.config.setdefault(
        "QUART_SCHEMA_SWAGGER_JS_URL", f"{SWAGGER_UI_FILES}/swagger-ui-bundle.js"
    )
    app.config.setdefault(
        "QUART_SCHEMA_SWAGGER_CSS_URL", f"{SWAGGER_UI_FILES}/swagger-ui.css"
    )
    if served:
        app.register_blueprint(swagger_ui)
    this = service()
    QuartSchema(
        app,
        info=Info(title=this.name, version=this.version, description=this.summary),
        openapi_path="/openapi.json" if served else None,
        swagger_ui_path="/docs" if served else None,
        redoc_ui_path=None,
        scalar_ui_path=None,
        security_schemes={"basic": HttpSecurityScheme(scheme="basic")},
        openapi_provider_class=Document,
    )
    plain = type(app).make_response  # Quart's own, unwrapped
    converting = app.make_response  # quart-schema's wrapper around it

    async def make_response(result: Any) -> ResponseTypes:
        if _unchanged_by_conversion(result):
            return await plain(app, result)
        response: ResponseTypes = await converting(result)
        return response

    app.make_response = make_response  # type: ignore[method-assign]


swagger_ui = Blueprint("swagger_ui", __name__)
SWAGGER_UI_FOLDER: Final = Path(__file__).parent / "static" / "swagger-ui"


@swagger_ui.get(f"/{SWAGGER_UI_FILES}/<name>")
@hide
async def swagger_ui_file(name: str) -> Response:
    """One of Swagger UI's files (not part of the API, so not in the document)."""
    return await send_from_directory(SWAGGER_UI_FOLDER, name)


def _unchanged_by_conversion(result: Any) -> bool:
    """Whether quart-schema's conversion would return ``result`` as it is."""
    if type(result) is not tuple:
        return isinstance(result, PLAIN_BODIES)
    if not 1 < len(result) < 4 or not isinstance(result[0], PLAIN_BODIES):
        return False
    headers = result[-1]
    if isinstance(headers, int) and len(result) == 2:
        return True  # (body, status)
    return type(headers) is dict and all(
        type(name) is str and "_" not in name and type(value) is str
        for name, value in headers.items()
    )
