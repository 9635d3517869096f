"""app.core.openapi: every operation documents its success and its errors.

A route added without ``document_response`` (or, for one that never succeeds,
``documents_errors``) fails here, so a schema-driven client or fuzzer can tell
a documented 404 from a bug. Each error is the shared ``ErrorBody``.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, Field
from quart import Blueprint, Quart, Response
from quart_schema import document_request, document_response, security_scheme

from app import create_app
from app.core.documentation import (
    BASIC_AUTH,
    ErrorBody,
    NoContent,
    documented_errors,
    documents_errors,
    documents_links,
    documents_media,
)
from app.core.responses import JSON, OFFERED, respond
from tests.support.probe import create_probe_app

ERROR_BODY = {"$ref": "#/components/schemas/ErrorBody"}
REQUEST_ID = {"$ref": "#/components/headers/X-Request-ID"}


async def _document(app: Quart) -> dict[str, Any]:
    response = await app.test_client().get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = await response.get_json()
    return document


def _problems(app: Quart, document: dict[str, Any]) -> list[str]:
    """What each operation lacks: a success (or errors by design), the error body."""
    views = {
        f"{method.lower()}_{rule.endpoint}": app.view_functions[rule.endpoint]
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
    }
    problems: list[str] = []
    ids = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            name = f"{method.upper()} {path}"
            ids.append(operation["operationId"])
            responses = operation["responses"]
            statuses = {int(status) for status in responses}
            view = views[operation["operationId"]]
            if not any(200 <= s < 300 for s in statuses) and not documented_errors(
                view
            ):
                problems.append(f"{name}: no success documented")
            if 500 not in statuses:
                problems.append(f"{name}: no 500")
            for status, response in responses.items():
                if not response.get("description"):
                    problems.append(f"{name} {status}: no description")
                if response["headers"].get("X-Request-ID") != REQUEST_ID:
                    problems.append(f"{name} {status}: no X-Request-ID")
                content = response.get("content", {})
                if int(status) >= 400:
                    if content != {JSON: {"schema": ERROR_BODY}}:
                        problems.append(f"{name} {status}: not the shared ErrorBody")
                elif not all("schema" in media for media in content.values()):
                    problems.append(f"{name} {status}: a media type without schema")
    if len(set(ids)) != len(ids):
        problems.append("operationIds are not unique")
    return problems


async def test_every_operation_documents_its_success_and_errors() -> None:
    app = create_probe_app({"TESTING": True})
    document = await _document(app)
    assert len(document["paths"]) > 1
    assert _problems(app, document) == []


async def test_an_undocumented_route_is_caught() -> None:
    app = create_app({"TESTING": True})

    @app.get("/undocumented")
    async def undocumented() -> str:
        return "no docs"

    assert _problems(app, await _document(app)) == [
        "GET /undocumented: no success documented"
    ]


async def test_the_error_body_schema_is_what_errors_send() -> None:
    app = create_probe_app({"TESTING": True})
    document = await _document(app)
    schema = document["components"]["schemas"]["ErrorBody"]
    assert schema["required"] == ["code", "name", "message", "request_id"]
    assert {"errors", "method", "uri", "failing"} <= set(schema["properties"])
    client = app.test_client()
    for response in (
        await client.get("/probe/missing"),
        await client.post("/probe/things", json={"name": "", "count": -1}),
        await client.get("/probe/teapot"),
    ):
        body = ErrorBody.model_validate(await response.get_json())
        assert body.code == response.status_code


class Thing(BaseModel):
    """A thing."""

    name: str


class Made(BaseModel):
    """Where the thing is."""

    location: str = Field(alias="Location")
    note: str | None = Field(default=None, alias="X-Note")


def _documented_app() -> Quart:
    """The kit with one blueprint that uses each way of documenting."""
    app = create_app({"TESTING": True})
    blueprint = Blueprint("things", __name__, url_prefix="/things")

    @blueprint.post("")
    @document_request(Thing)
    @document_response(Thing, 201, Made)
    @documents_errors(409)
    @documents_links("things.read", number="name")
    async def create() -> tuple[Response, int]:
        return respond({}), 201

    @blueprint.get("/<int:number>")
    @security_scheme(BASIC_AUTH)
    @document_response(Thing)
    async def read(number: int) -> Response:
        return respond({})

    @blueprint.delete("/<int:number>")
    @document_response(NoContent, 204)
    async def remove(number: int) -> tuple[str, int]:
        return "", 204

    @blueprint.get("/text")
    @document_response(str)
    @documents_media("text/plain")
    async def text() -> str:
        return ""

    app.register_blueprint(blueprint)
    return app


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        # A body read: 400, 408, 413; negotiated: 406; its own: 409.
        ("post", "/things", ["201", "400", "406", "408", "409", "413", "500"]),
        # A URL variable: 404; Basic credentials required: 401.
        ("get", "/things/{number}", ["200", "401", "404", "406", "500"]),
        # No body to negotiate: no 406.
        ("delete", "/things/{number}", ["204", "404", "500"]),
        ("get", "/things/text", ["200", "500"]),
    ],
)
async def test_the_core_adds_the_statuses_it_answers(
    method: str, path: str, statuses: list[str]
) -> None:
    document = await _document(_documented_app())
    assert list(document["paths"][path][method]["responses"]) == statuses


async def test_bodies_headers_and_links_are_documented() -> None:
    paths = (await _document(_documented_app()))["paths"]
    created = paths["/things"]["post"]["responses"]["201"]
    assert list(created["content"]) == list(OFFERED)  # JSON, or YAML when asked
    assert created["headers"]["Location"]["required"] is True
    assert created["headers"]["X-Note"]["required"] is False
    assert created["links"]["get_things.read"]["parameters"] == {
        "number": "$response.body#/name"
    }
    assert paths["/things"]["post"]["requestBody"]["required"] is True
    read = paths["/things/{number}"]["get"]
    assert read["parameters"][0]["schema"] == {"type": "integer", "minimum": 0}
    challenge = read["responses"]["401"]["headers"]["WWW-Authenticate"]
    assert challenge["required"] is True
    assert "content" not in paths["/things/{number}"]["delete"]["responses"]["204"]
    assert list(paths["/things/text"]["get"]["responses"]["200"]["content"]) == [
        "text/plain"
    ]


async def test_the_document_is_built_once_per_app() -> None:
    # Building it walks every route: not a cost to pay on each GET /openapi.json.
    app = create_probe_app({"TESTING": True})
    provider = app.extensions["QUART_SCHEMA"].openapi_provider
    first = provider.schema()
    assert provider.schema() is first
    assert await _document(app) == first
    other = create_probe_app({"TESTING": True})  # the provider holds it weakly
    assert other.extensions["QUART_SCHEMA"].openapi_provider.schema() is not first
