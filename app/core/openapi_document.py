"""How the kit completes quart-schema's OpenAPI document: ``Document``.

For each operation, every answer it can give: each success body in the media
types the view answers with (JSON, or YAML when asked, unless the view says
otherwise), the response headers of its headers model, links to what it
made, and each error status with the one ``ErrorBody`` schema and the headers
the core sets (``WWW-Authenticate`` on 401, ``Retry-After`` on 503). The
statuses the core adds, and how a view names its own, are in
``app.core.documentation``. ``X-Request-ID`` is on every answer.

It also fills what quart-schema 0.25 leaves out: required query parameters
and request bodies, the bounds of ``int`` and ``float`` URL variables, and
operation ids unique across blueprints.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Final

from pydantic import BaseModel, TypeAdapter
from quart_schema import DataSource, OpenAPIProvider
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.routing import BaseConverter, Rule, UUIDConverter
from werkzeug.routing.converters import NumberConverter

from app.core.documentation import (
    ErrorBody,
    NoContent,
    documented_body,
    documented_errors,
    documented_links,
    documented_media,
)
from app.core.responses import JSON, OFFERED

REF: Final = "#/components/schemas/{model}"
REQUEST_ID: Final = "X-Request-ID"
# Headers that the core sets on an error of that status.
ERROR_HEADERS: Final[dict[int, dict[str, Any]]] = {
    401: {
        "WWW-Authenticate": {
            "description": "The Basic challenge, with the realm.",
            "required": True,
            "schema": {"type": "string", "pattern": "^Basic "},
        }
    },
    503: {
        "Retry-After": {
            "description": "Seconds to wait before the same request may succeed.",
            "schema": {"type": "integer", "minimum": 0},
        }
    },
}
# What the core answers when it reads a request body: malformed (400), too
# slow to arrive (408), too large (413).
BODY_ERRORS: Final = frozenset({400, 408, 413})


class Document(OpenAPIProvider):
    """quart-schema's document, with each operation's every answer (see the module)."""

    _document: dict[str, Any] | None = None

    def schema(self) -> dict[str, Any]:
        """The whole document, built on first use; callers share it, unchanged.

        Building it walks every route and model: tens of milliseconds on the
        event loop, which ``GET /openapi.json`` would spend on every request
        (anyone may ask for it, as often as they like). The routes cannot
        change once the app serves, so it is built once.
        """
        if self._document is None:
            self._document = self._build()
        return self._document

    def _build(self) -> dict[str, Any]:
        """The whole document, with the shared error body and request-id header."""
        document = super().schema()
        components = document["components"]
        schema, definitions = _json_schema(ErrorBody)
        components["schemas"].update(definitions, ErrorBody=schema)
        components["headers"] = {
            REQUEST_ID: {
                "description": "The request's id: the caller's when well formed.",
                "required": True,
                "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$"},
            }
        }
        return document

    def build_paths(self, rule: Rule) -> tuple[dict[str, Any], dict[str, Any]]:
        """quart-schema's operations for ``rule``, with the answers the core adds."""
        paths, components = super().build_paths(rule)
        view = self._app.view_functions[rule.endpoint]
        for path_item in paths.values():
            for method, operation in path_item.items():
                # Unique across blueprints, unlike the function's name alone.
                operation["operationId"] = f"{method}_{rule.endpoint}"
                if body := documented_body(view):
                    content = {
                        kind: {"schema": schema} for kind, schema in body.items()
                    }
                    operation["requestBody"] = {"required": True, "content": content}
                operation["responses"] = _responses(rule, view, operation)
                self._add_links(view, operation["responses"])
        return paths, components

    def _add_links(self, view: Callable[..., Any], responses: dict[str, Any]) -> None:
        """Links from the first success to each operation of the linked endpoints."""
        links = {
            operation_id: {"operationId": operation_id, "parameters": parameters}
            for endpoint, parameters in documented_links(view).items()
            for rule in self._app.url_map.iter_rules(endpoint)
            for operation_id in _operation_ids(rule)
        }
        success = next((s for s in responses if s.startswith("2")), None)
        if links and success:
            responses[success]["links"] = links

    def build_querystring_parameters(
        self, model: Any
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """quart-schema's query parameters, as ``_parameters`` completes them."""
        parameters, definitions = super().build_querystring_parameters(model)
        return _parameters(model, parameters), definitions

    def build_headers_parameters(
        self, model: Any
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """quart-schema's header parameters, as ``_parameters`` completes them."""
        parameters, definitions = super().build_headers_parameters(model)
        return _parameters(model, parameters), definitions

    def build_request_body(
        self, model: Any, source: DataSource
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """quart-schema's request body, marked required: the view reads it."""
        request_body, definitions = super().build_request_body(model, source)
        return {**request_body, "required": True}, definitions

    def build_path_parameter(
        self, name: str, converter: BaseConverter
    ) -> dict[str, Any]:
        """quart-schema's parameter, with the bounds and format the converter has."""
        parameter = super().build_path_parameter(name, converter)
        schema = parameter["schema"]
        if isinstance(converter, NumberConverter):
            low = None if converter.signed else 0
            if converter.min is not None:
                low = converter.min if low is None else max(low, converter.min)
            if low is not None:
                schema["minimum"] = low
            if converter.max is not None:
                schema["maximum"] = converter.max
        elif isinstance(converter, UUIDConverter):
            schema["format"] = "uuid"
        return parameter

    def build_response_object(
        self, model: Any, headers_model: Any | None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """A Response Object for ``document_response(model, status, headers_model)``.

        Built here rather than by quart-schema 0.25, which puts the headers
        model inside ``content`` (where OpenAPI expects media types) and drops
        which headers are required (quart_schema/openapi.py,
        ``build_response_object``).
        """
        response: dict[str, Any] = {"description": _description(model)}
        definitions: dict[str, Any] = {}
        if model is not NoContent:
            schema, definitions = _json_schema(model)
            response["content"] = {JSON: {"schema": schema}}
        if headers_model is not None:
            schema, header_definitions = _json_schema(headers_model)
            definitions.update(header_definitions)
            required = set(schema.get("required", ()))
            response["headers"] = {
                name.replace("_", "-"): _header(header, name in required)
                for name, header in schema["properties"].items()
            }
        return response, definitions


def _operation_ids(rule: Rule) -> list[str]:
    # As build_paths names them: HEAD and the automatic OPTIONS are not operations.
    methods = set(rule.methods or ()) - {"HEAD"}
    if getattr(rule, "provide_automatic_options", False):  # Quart's rules have it
        methods.discard("OPTIONS")
    return [f"{method.lower()}_{rule.endpoint}" for method in sorted(methods)]


def _responses(
    rule: Rule, view: Callable[..., Any], operation: dict[str, Any]
) -> dict[str, Any]:
    """The operation's success responses in their media types, then its errors."""
    media = documented_media(view)
    negotiated = media is None
    responses: dict[str, Any] = {}
    errors = {500} | documented_errors(view)
    for status, response in sorted(operation["responses"].items()):
        if int(status) >= 400:
            errors.add(int(status))  # documented below, as every error is
            continue
        response = dict(response)
        response["description"] = response["description"] or HTTP_STATUS_CODES.get(
            int(status), ""
        )
        if "content" in response:
            schema = response["content"][JSON]["schema"]
            types = OFFERED if media is None else media
            response["content"] = {kind: {"schema": schema} for kind in types}
        response["headers"] = {**_request_id(), **response.get("headers", {})}
        responses[str(status)] = response
    if rule.arguments:
        errors.add(404)  # a converter refused the value: no rule matched
    if "requestBody" in operation:
        errors |= BODY_ERRORS
    if negotiated and any("content" in r for r in responses.values()):
        errors.add(406)
    if _requires_credentials(operation.get("security")):
        errors.add(401)
    for status in sorted(errors):
        responses[str(status)] = {
            "description": HTTP_STATUS_CODES.get(status, "Error"),
            "headers": {**_request_id(), **ERROR_HEADERS.get(status, {})},
            "content": {JSON: {"schema": {"$ref": REF.format(model="ErrorBody")}}},
        }
    return responses


def _header(schema: dict[str, Any], required: bool) -> dict[str, Any]:
    """A Header Object for one field of a headers model."""
    schema = dict(schema)
    schema.pop("title", None)
    header = {"required": required, "schema": schema}
    if description := schema.pop("description", None):
        header["description"] = description
    return header


def _parameters(model: Any, parameters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each required one marked so, an optional one without ``null``.

    quart-schema 0.25 marks none required, and keeps the ``null`` of
    ``X | None``, which a query string or a header cannot send.
    """
    required = {_key(name) for name in _json_schema(model)[0].get("required", ())}
    return [
        {**_without_null(p), "required": _key(p["name"]) in required}
        for p in parameters
    ]


def _key(name: str) -> str:
    # quart-schema names a header field kebab-case; headers ignore case.
    return name.lower().replace("_", "-")


def _without_null(parameter: dict[str, Any]) -> dict[str, Any]:
    """The parameter without the ``null`` of ``X | None``: absent has no value."""
    schema = parameter["schema"]
    variants = [v for v in schema.get("anyOf", ()) if v != {"type": "null"}]
    if len(variants) == len(schema.get("anyOf", ())):
        return parameter
    schema = {k: v for k, v in schema.items() if k != "anyOf"}
    if schema.get("default", ...) is None:
        del schema["default"]
    if len(variants) == 1:
        schema.update(variants[0])
    else:
        schema["anyOf"] = variants
    return {**parameter, "schema": schema}


def _requires_credentials(security: list[dict[str, Any]] | None) -> bool:
    # An empty requirement ({}) lets anonymous callers in.
    return bool(security) and all(security or ())


def _request_id() -> dict[str, Any]:
    return {REQUEST_ID: {"$ref": f"#/components/headers/{REQUEST_ID}"}}


def _json_schema(model: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The serialization schema of ``model`` and the definitions it refers to."""
    schema = TypeAdapter(model).json_schema(ref_template=REF, mode="serialization")
    definitions = schema.pop("$defs", {})
    return schema, definitions


def _description(model: Any) -> str:
    # A model's own docstring; builtins' (str, dict[...]) would say nothing useful.
    if isinstance(model, type) and issubclass(model, BaseModel):
        return inspect.getdoc(model) or ""
    return ""
