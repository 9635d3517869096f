"""A test-only blueprint that exercises the core, so its tests need no feature.

The core's tests (``tests/core``) call these ``/probe/...`` routes instead of a
sample's URLs, so they pass unchanged when every sample is stripped.
``create_probe_app`` is the app with this blueprint added; Hypercorn serves it
as ``tests.support.probe:create_probe_app()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from quart import (
    Blueprint,
    Quart,
    Response,
    current_app,
    request,
    url_for,
    websocket,
)
from quart_schema import (
    document_request,
    document_response,
    security_scheme,
    validate_request,
)
from sqlalchemy import text

from app import core, create_app
from app.core import cache, database, outgoing
from app.core import websockets as ws
from app.core.auth import require_user
from app.core.database import sessions, unit_of_work
from app.core.documentation import BASIC_AUTH, NoContent, documents_errors
from app.core.domain import NotFoundError
from app.core.errors import APIError
from app.core.parsing import load_body, read_body
from app.core.responses import respond

# What Hypercorn serves to run the probe app: a factory call.
PROBE_APP = "tests.support.probe:create_probe_app()"

blueprint = Blueprint("probe", __name__, url_prefix="/probe")


class ProbeError(RuntimeError):
    """Raised by ``/probe/boom``; its message must never reach a client."""


class Thing(BaseModel):
    """A body to validate: a name and a count."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    count: int = Field(ge=0)


@blueprint.get("/hello")
@document_response(dict[str, str])
async def hello() -> Response:
    """A negotiated answer: JSON or YAML."""
    return respond({"Hello": "World!"})


@blueprint.get("/headers")
@document_response(dict[str, str])
async def headers() -> Response:
    """The request's headers, lower-cased: what a client sent."""
    return respond({name.lower(): value for name, value in request.headers.items()})


@blueprint.get("/folder/")
@document_response(dict[str, bool])
async def folder() -> Response:
    """A URL with a trailing slash: without it, werkzeug answers a 308 redirect."""
    return respond({"folder": True})


@blueprint.get("/where")
@document_response(dict[str, str])
async def where() -> Response:
    """Where the request came from and went to, as the app sees it."""
    return respond(
        {
            "url": url_for("probe.where", _external=True),
            "path": url_for("probe.where"),
            "client": request.remote_addr or "",
        }
    )


@blueprint.get("/call")
@document_response(dict[str, int])
async def call() -> Response:
    """GET the ``url`` of the query with an outgoing client: its status."""
    async with outgoing.client(5.0) as client:
        answer = await client.get(request.args["url"])
    return respond({"status": answer.status_code})


@blueprint.post("/echo")
@document_request(dict[str, Any])
@document_response(Any)
@documents_errors(415)
async def echo() -> Response:
    """The body (JSON or YAML) back, in the format the client accepts."""
    return respond(await load_body())


@blueprint.post("/drain")
@document_response(dict[str, int])
@documents_errors(408, 413)
async def drain() -> Response:
    """Read the body within the size limit and say how long it was."""
    return respond({"bytes": len(await read_body())})


@blueprint.get("/boom")
@documents_errors(500)
async def boom() -> str:
    """An unexpected error."""
    raise ProbeError("internal detail: /etc/secret-path, password=hunter2")


@blueprint.get("/teapot")
@documents_errors(418)
async def teapot() -> str:
    """An ``APIError`` with headers and extra fields."""
    raise APIError(
        418, "Short and stout.", headers={"X-Tea": "earl grey"}, extra={"cups": 2}
    )


@blueprint.get("/missing")
@documents_errors(404)
async def missing() -> str:
    """A service's domain error."""
    raise NotFoundError("There is no such thing.")


@blueprint.post("/things")
@validate_request(Thing)
@document_response(Thing, 201)
@documents_errors(422)
async def things(data: Thing) -> tuple[Response, int]:
    """A body checked against a model: 422 per bad field."""
    return respond(data.model_dump()), 201


@blueprint.get("/user")
@security_scheme(BASIC_AUTH)
@document_response(dict[str, str])
async def user() -> Response:
    """Who the Basic credentials say; 401 with a challenge without them."""
    return respond({"user": await require_user(request.headers)})


@blueprint.post("/writes")
@document_response(dict[str, int], 201)
@documents_errors(503)
async def write() -> tuple[Response, int]:
    """Write one row in a unit of work."""
    return respond({"rows": await _write()}), 201


@unit_of_work
async def _write() -> int:
    async with sessions().begin() as session:
        await session.execute(text("CREATE TABLE IF NOT EXISTS probe (note TEXT)"))
        await session.execute(text("INSERT INTO probe (note) VALUES ('written')"))
        rows = await session.scalar(text("SELECT count(*) FROM probe"))
        return int(rows or 0)


@blueprint.websocket("/ws/echo")
async def ws_echo() -> None:
    """Echo each message within the core's limits."""
    await ws.accept()
    while True:
        await websocket.send(await ws.receive())


@blueprint.websocket("/ws/close")
async def ws_close() -> None:
    """Accept, then close with 1008 and a reason."""
    await ws.accept()
    raise ws.WebSocketError(ws.POLICY_VIOLATION, "Closing the connection...")


@blueprint.websocket("/ws/boom")
async def ws_boom() -> None:
    """Accept, then fail unexpectedly: 1011."""
    await ws.accept()
    await ws.receive()
    raise ProbeError("internal detail: password=hunter2")


@blueprint.websocket("/ws/gone")
async def ws_gone() -> None:
    """Accept, then raise an HTTP error: the socket closes with 1008."""
    await ws.accept()
    raise NotFoundError("Gone.")


@blueprint.websocket("/ws/refuse")
async def ws_refuse() -> None:
    """Fail before accepting: the handshake gets a JSON error."""
    raise APIError(403, "Not for you.")


@blueprint.websocket("/ws/guarded")
async def ws_guarded() -> None:
    """Accept only valid Basic credentials (401 to the handshake otherwise)."""
    name = await require_user(websocket.headers)
    await ws.accept()
    await websocket.send(f"Welcome, {name}")
    await ws.receive()


@blueprint.get("/cached/<name>")
@document_response(dict[str, Any])
@documents_errors(404, 416)
@cache.cached(tag=lambda name: name, vary=("Accept",))
async def cached(name: str) -> Response:
    """A cached answer that counts how often it was made.

    ``?status=404`` answers 404 and ``?cookie=1`` sets a cookie (neither is
    kept). While ``app.extensions["probe.gate"]`` holds an event, the answer
    waits for it.
    """
    calls = current_app.extensions["probe.calls"]
    calls[name] = calls.get(name, 0) + 1
    if gate := current_app.extensions.get("probe.gate"):
        await gate.wait()
    response = respond({"name": name, "made": calls[name]})
    response.status_code = int(request.args.get("status", 200))
    response.set_etag(f"{name}-{calls[name]}")
    if request.args.get("cookie"):
        response.set_cookie("probe", "1")
    return response


@blueprint.post("/cached/<name>/invalidate")
@document_response(NoContent, 204)
async def invalidate(name: str) -> tuple[str, int]:
    """Drop what is cached under ``name``."""
    await cache.invalidate(name)
    return "", 204


def create_core_app(config: Mapping[str, Any] | None = None) -> Quart:
    """The core alone, as ``create_app`` installs it, with no feature (nor probe).

    With ``ENV = "production"`` it asks only for the core's secrets.
    """
    app = core.App("app")
    app.config.update(core.load_settings((), config))
    core.install(app)
    core.wrap(app)
    return app


def create_probe_app(config: Mapping[str, Any] | None = None) -> Quart:
    """The kit's app with the probe blueprint, and the database it writes to."""
    app = create_app(config)
    database.init_app(app)
    cache.init_app(app)
    app.extensions["probe.calls"] = {}
    app.register_blueprint(blueprint)
    return app
