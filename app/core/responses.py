"""Response helpers: ``yamlify`` and content negotiation between JSON and YAML.

A view returns ``respond(data)`` instead of ``data``: JSON by default and for
``Accept: application/json`` or ``*/*``; YAML for ``application/x-yaml``,
``application/yaml`` or ``text/yaml``; 406 when the client accepts neither.
Another status or extra headers go in Quart's tuple form:
``return respond(data), 201, {"Location": url}``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Mapping
from itertools import chain
from typing import Any, Final, cast

import yaml
from quart import Quart, Response, current_app, request
from werkzeug.datastructures import ContentRange
from werkzeug.exceptions import NotAcceptable, RequestedRangeNotSatisfiable
from werkzeug.sansio.http import is_resource_modified

from app.core import offload

JSON: Final = "application/json"
YAML: Final = "application/x-yaml"
YAML_TYPES: Final = (YAML, "application/yaml", "text/yaml")
OFFERED: Final = (JSON, *YAML_TYPES)

# libyaml's C dumper is several times faster; PyYAML falls back when it is absent.
_Dumper: Final = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

# Bigger answers are dumped as YAML in a worker thread: PyYAML represents each
# node in Python, about as slowly as it builds them (see app.core.parsing).
YAML_INLINE_NODES: Final = 1000

# What flask's JSON provider passes to dumps for a response out of debug mode.
_COMPACT: Final[dict[str, Any]] = {"separators": (",", ":")}

# No Accept header, or curl's default, takes JSON without parsing anything.
_TAKE_JSON: Final = frozenset({None, b"", b"*/*", JSON.encode()})


def yamlify(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> tuple[bytes, int, dict[str, str]]:
    """Return ``(body, status, headers)`` with ``data`` dumped as YAML.

    Only plain data (dicts, lists, text, numbers, booleans, None) can be
    dumped: the safe dumper refuses arbitrary objects.
    """
    body = yaml.dump(
        data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, encoding="utf-8"
    )
    return body, status, {"Content-Type": YAML, **(headers or {})}


def respond(data: Any) -> Response:
    """Return ``data`` as JSON or YAML, as the request's ``Accept`` header asks."""
    if _accept_header() in _TAKE_JSON:
        match: str | None = JSON
    else:
        match = request.accept_mimetypes.best_match(OFFERED)
    if match is None:
        raise NotAcceptable(f"This resource is available as {', '.join(OFFERED)}.")
    if match == JSON:
        response = cast(Response, current_app.json.response(data))
    else:
        text = match.startswith("text/")
        response = current_app.response_class(
            _dumped_in_thread(data)
            if _nodes_over(data, YAML_INLINE_NODES)
            else yamlify(data)[0],
            content_type=f"{match}; charset=utf-8" if text else match,
        )
    response.headers.add("Vary", "Accept")
    return response


def _nodes_over(data: Any, limit: int) -> bool:
    """Whether ``data`` has more than ``limit`` values, counted level by level."""
    level, seen = [data], 1
    while True:
        containers = [v for v in level if isinstance(v, dict | list)]
        seen += sum(map(len, containers))
        if seen > limit:
            return True
        if not containers:
            return False
        level = [
            *chain.from_iterable(
                v.values() if isinstance(v, dict) else v for v in containers
            )
        ]


async def _dumped_in_thread(data: Any) -> AsyncIterator[bytes]:
    """``yamlify(data)``'s body, dumped in a thread, in pieces when it is a collection.

    A block sequence or mapping is the concatenation of its parts' dumps, so a
    top-level list or dict goes out ``YAML_INLINE_NODES`` items at a time: the
    loop runs between pieces, and PyYAML's node tree, which takes several
    times the memory of the data, is only ever built for one piece.
    """
    if isinstance(data, dict) and data:
        items = list(data.items())
        parts: Iterable[Any] = (
            dict(items[i : i + YAML_INLINE_NODES])
            for i in range(0, len(items), YAML_INLINE_NODES)
        )
    elif isinstance(data, list) and data:
        parts = (
            data[i : i + YAML_INLINE_NODES]
            for i in range(0, len(data), YAML_INLINE_NODES)
        )
    else:
        parts = [data]
    for part in parts:
        body, _, _ = await offload.in_thread(yamlify, part)
        yield body


def _accept_header() -> bytes | None:
    # Read from the raw ASGI headers: when the header is absent, werkzeug's
    # Headers.get raises and catches a KeyError, which was the costliest step
    # of a small response (measured with callgrind: docs/benchmark.md).
    for name, value in request.scope["headers"]:
        if name == b"accept":
            return value
    return None


def init_app(app: Quart) -> None:
    """Write JSON as views build it: keys in their order, and only valid JSON.

    Python's ``json`` writes ``NaN`` and ``Infinity``, which no JSON parser
    reads; the app's provider refuses them instead (a 500 that is logged,
    never a body that a client cannot parse).
    """
    provider = type(app.json)

    class StrictJSONProvider(provider):  # type: ignore[valid-type,misc]
        sort_keys = False
        _compact: tuple[tuple[bool, bool], json.JSONEncoder] | None = None

        def dumps(self, obj: Any, **kwargs: Any) -> str:
            if kwargs == _COMPACT:  # response()'s own call, out of debug mode
                return self._compact_encoder().encode(obj)
            kwargs.setdefault("allow_nan", False)
            text: str = super().dumps(obj, **kwargs)
            return text

        def _compact_encoder(self) -> json.JSONEncoder:
            # json.dumps given any argument builds an encoder on each call,
            # a large part of a small answer's cost (docs/benchmark.md); the
            # one every JSON answer uses is built once, anew if the
            # provider's ensure_ascii or sort_keys change.
            options = (self.ensure_ascii, self.sort_keys)
            if self._compact is None or self._compact[0] != options:
                encoder = json.JSONEncoder(
                    default=self.default,
                    ensure_ascii=options[0],
                    sort_keys=options[1],
                    allow_nan=False,
                    **_COMPACT,
                )
                self._compact = (options, encoder)
            return self._compact[1]

    app.json = StrictJSONProvider(app)


async def conditional(response: Response) -> Response:
    """Answer the request's validators and ``Range`` from the whole ``response``.

    304 for a fresh ``If-None-Match`` or ``If-Modified-Since``. For one byte
    range of a ``GET``, 206 with that part (416 past the end, or for several
    ranges), unless ``If-Range`` names another version. Quart's own
    ``make_conditional`` answers a suffix range (``bytes=-500``, the last 500
    bytes, as media players ask) with a 500 (docs/upstream.md), so the range
    is resolved here with werkzeug's ``Range.range_for_length``.
    """
    response.accept_ranges = "bytes"
    length = response.content_length or 0
    if not (
        request.method in ("GET", "HEAD")
        and response.status_code == 200
        and "Range" in request.headers
        and _if_range_holds(response)
    ):
        return await response.make_conditional(request)
    wanted = request.range
    span = None
    if wanted is not None and wanted.units == "bytes" and len(wanted.ranges) == 1:
        span = wanted.range_for_length(length)
    if span is None:
        raise RequestedRangeNotSatisfiable(length=length)
    begin, end = span
    body: Any = response.response
    if not hasattr(body, "make_conditional"):  # an iterable: held whole first
        await response.make_sequence()
        body = response.response
    await body.make_conditional(begin, end)
    response.status_code = 206
    response.content_length = end - begin
    response.content_range = ContentRange("bytes", begin, end, length)
    return response


def _if_range_holds(response: Response) -> bool:
    """No ``If-Range``, or it names the version ``response`` is."""
    if_range = request.headers.get("If-Range")
    return not if_range or not is_resource_modified(
        http_range=request.headers.get("Range"),
        http_if_range=if_range,
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
        ignore_if_range=False,
    )
