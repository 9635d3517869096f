"""Read a request body as JSON or YAML, safely.

``load_body()`` picks the parser by ``Content-Type`` and turns every way a body
can be bad into a 4xx: malformed or empty → 400, nested deeper than
``MAX_DEPTH`` → 400, not UTF-8 → 400, NaN or infinities → 400, YAML tags,
anchors or aliases (the "billion laughs" bomb) → 400, another media type → 415,
more than ``MAX_CONTENT_LENGTH`` bytes or more than ``MAX_YAML_NODES``
YAML nodes → 413 (see ``read_body``).

``Request`` is the app's request class: its ``get_json`` (which quart-schema's
``validate_request`` calls) reads within the same limit and answers 400
``Invalid JSON body`` for anything that is not a JSON body.
"""

from __future__ import annotations

import asyncio
import functools
import json
import math
import re
from collections.abc import Callable
from itertools import chain, count
from typing import Any, ClassVar, Final

import quart
import yaml
from quart import request
from werkzeug.exceptions import (
    BadRequest,
    RequestEntityTooLarge,
    RequestTimeout,
    UnsupportedMediaType,
)

from app.core import offload
from app.core.responses import JSON, YAML_TYPES

MAX_DEPTH: Final = 32
# Keys, values and items: PyYAML builds each in Python, in a thread that
# still takes turns with the event loop for the GIL. JSON, parsed in C, has
# only the size limit.
MAX_YAML_NODES: Final = 10_000
# Python's default limit on the digits of an int it parses or prints.
MAX_NUMBER_DIGITS: Final = 4300
_MAX_INT_BITS: Final = math.ceil(MAX_NUMBER_DIGITS * math.log2(10))
# Bigger bodies are parsed in a worker thread (see ``load_body``).
THREAD_THRESHOLD: Final = 16 * 1024
INVALID_JSON: Final = "Invalid JSON body"
UNSTORABLE_TEXT: Final = (
    "The body holds a NUL character or a lone surrogate in its text."
)
_UNSTORABLE: Final = re.compile("[\x00\ud800-\udfff]")
# What a YAML 1.1 int or float can be made of, starting as one does.
_NUMBER_LIKE: Final = re.compile(r"[-+]?[0-9.][0-9a-fA-FxXoObB_:.+-]*")

_BaseLoader: Final[type[yaml.SafeLoader]] = getattr(
    yaml, "CSafeLoader", yaml.SafeLoader
)


class _PlainLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Safe loading that yields only JSON types: dates stay text.

    Numbers are bounded before they are built: PyYAML adds sexagesimal parts
    (``1:59:59``) up with ever larger integers, in time quadratic in their
    count, so a long one held the event loop for many seconds. Like JSON's
    parser, a number has at most ``MAX_NUMBER_DIGITS`` characters, and an
    integer (``0x...`` too) at most that many decimal digits, so it can be
    printed back.
    """

    yaml_implicit_resolvers: ClassVar = {
        first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
    }

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: Any) -> str:
        """A plain scalar's tag; a long one is decided without the resolvers.

        PyYAML's number patterns run over the whole scalar in C, holding the
        GIL: a 1 MiB one kept every other thread, and so the event loop,
        waiting a tenth of a second. Past ``MAX_NUMBER_DIGITS`` characters a
        number is refused anyway, so a scalar that starts like one and holds
        only what numbers hold is refused here, and any other is text.
        """
        if kind is yaml.ScalarNode and implicit[0] and len(value) > MAX_NUMBER_DIGITS:
            if _NUMBER_LIKE.fullmatch(value):
                raise ValueError(
                    f"a number has more than {MAX_NUMBER_DIGITS} characters "
                    "(quote it if it is text)"
                )
            return "tag:yaml.org,2002:str"
        tag: str = super().resolve(kind, value, implicit)
        return tag

    def construct_bounded_int(self, node: yaml.ScalarNode) -> int:
        """An int, refused if its text or value has too many digits."""
        _check_number_length(node)
        value: int = self.construct_yaml_int(node)
        if value.bit_length() > _MAX_INT_BITS:
            raise ValueError(f"an integer has more than {MAX_NUMBER_DIGITS} digits")
        return value

    def construct_bounded_float(self, node: yaml.ScalarNode) -> float:
        """A float, refused if its text is too long; infinities pass (see below)."""
        _check_number_length(node)
        try:
            value: float = self.construct_yaml_float(node)
        except OverflowError:  # a sexagesimal float past the float range
            raise ValueError("a number is too large") from None
        return value


_PlainLoader.add_constructor(
    "tag:yaml.org,2002:int", _PlainLoader.construct_bounded_int
)
_PlainLoader.add_constructor(
    "tag:yaml.org,2002:float", _PlainLoader.construct_bounded_float
)


def _check_number_length(node: yaml.ScalarNode) -> None:
    if len(node.value) > MAX_NUMBER_DIGITS:
        raise ValueError(f"a number has more than {MAX_NUMBER_DIGITS} characters")


@functools.cache
def _blueprints_of(endpoint: str) -> list[str]:
    """``Request.blueprints`` of ``endpoint``: ``a.b.view`` gives ``["a.b", "a"]``."""
    names = []
    name = endpoint.rpartition(".")[0]
    while name:
        names.append(name)
        name = name.rpartition(".")[0]
    return names


class Request(quart.Request):
    """Quart's request, with ``get_json`` bounded and strict about what is JSON."""

    @property
    def blueprints(self) -> list[str]:
        """The matched endpoint's blueprint and its parents, innermost first.

        Quart's own property imports a helper each time it is read, three
        times a request at least: a tenth of the kit's instructions for a
        small answer (docs/upstream.md). The same list, looked up once per
        endpoint.
        """
        rule = self.url_rule
        return [] if rule is None else _blueprints_of(rule.endpoint)

    async def get_json(
        self, force: bool = False, silent: bool = False, cache: bool = True
    ) -> Any:
        """The body as JSON; a 400 unless ``silent``.

        Quart returns None for a body whose ``Content-Type`` is not JSON, which
        a schema would report as a 422 about the body's shape; the caller sent
        something that is not JSON at all, which is a 400 ``Invalid JSON
        body``. JSON that the kit does not take (too deep, unstorable text) is
        a 400 that says why. Bodies are read within ``MAX_CONTENT_LENGTH`` on
        every Quart version (see ``read_body``).
        """
        if cache and self._cached_json[silent] is not Ellipsis:
            return self._cached_json[silent]
        try:
            if not (force or self.is_json):
                raise ValueError("not a JSON media type")
            text = (await read_body()).decode("utf-8")
            result = await _sized(len(text), _checked, _strict_json, text)
        except (ValueError, RecursionError):  # not JSON at all
            if not silent:
                raise BadRequest(INVALID_JSON) from None
            result = None
        except BadRequest:  # JSON the kit does not take: _check_plain says why
            if not silent:
                raise
            result = None
        if cache:
            self._cached_json[silent] = result
        return result


async def load_body() -> Any:
    """Parse the request body by its ``Content-Type``; raise a 4xx when it is bad."""
    mimetype = request.mimetype
    if mimetype == JSON or mimetype.endswith("+json"):
        parse: Callable[[str], Any] = _parse_json
    elif mimetype in YAML_TYPES:
        parse = _parse_yaml
    else:
        accepted = ", ".join((JSON, *YAML_TYPES))
        raise UnsupportedMediaType(f"Send {accepted}, not {mimetype or 'no type'}.")
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType("Only UTF-8 bodies are accepted.")
    raw = await read_body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The body is not valid UTF-8.") from None
    if not text.strip():
        raise BadRequest("The body is empty.")
    return await _sized(len(text), _checked, parse, text)


async def _sized(size: int, work: Callable[..., Any], *args: Any) -> Any:
    """``work(*args)``, in a worker thread when the body is over ``THREAD_THRESHOLD``.

    Off the event loop, other requests are answered meanwhile: PyYAML builds
    the data in Python, slowly, and the checks of a big JSON body take longer
    than its parse (json.loads holds the GIL; what follows it lets the loop in).
    """
    if size > THREAD_THRESHOLD:
        return await offload.in_thread(work, *args)
    return work(*args)


def _strict_json(text: str) -> Any:
    return json.loads(text, parse_constant=_reject_constant)


def _checked(parse: Callable[[str], Any], text: str) -> Any:
    data = parse(text)
    _check_plain(data)
    return data


LARGER_BODIES: Final = "parsing.larger_bodies"


def allow_larger_bodies(app: quart.Quart, method: str, path: str, limit: int) -> None:
    """Let ``method`` requests to exactly ``path`` carry ``limit`` bytes (an upload).

    Every other request keeps ``MAX_CONTENT_LENGTH``. The limit is set when
    the request is made, before any of its body arrives (``App`` in
    ``app.core``): Quart buffers the body as it comes, up to the limit its
    request was made with, whether or not the view reads it.
    """
    app.extensions.setdefault(LARGER_BODIES, {})[method, path] = limit


def larger_body_limit(app: quart.Quart, method: str, path: str) -> int | None:
    """The limit ``allow_larger_bodies`` set for this request, if it set one."""
    limits: dict[tuple[str, str], int] = app.extensions.get(LARGER_BODIES, {})
    return limits.get((method, path))


async def read_body() -> bytes:
    """The request body, refused with 413 as soon as it passes the size limit.

    ``await request.get_data()`` would do on Quart 0.22, but Quart 0.23 buffers
    a chunked body completely before checking ``MAX_CONTENT_LENGTH``; reading
    chunk by chunk bounds memory on both. ``BODY_TIMEOUT`` bounds the wait (408).
    """
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()
    data = bytearray()
    try:
        async with asyncio.timeout(request.body_timeout):
            async for chunk in request.body:
                data += chunk
                if limit is not None and len(data) > limit:
                    raise RequestEntityTooLarge()
    except TimeoutError:
        raise RequestTimeout() from None
    return bytes(data)


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise BadRequest(
            f"The body is nested deeper than {MAX_DEPTH} levels."
        ) from None
    except ValueError as error:  # JSONDecodeError, or an int over 4300 digits
        raise BadRequest(f"The body is not valid JSON: {error}") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _parse_yaml(text: str) -> Any:
    try:
        _check_events(text)
        return yaml.load(text, Loader=_PlainLoader)  # noqa: S506 - a SafeLoader subclass
    except (yaml.YAMLError, ValueError) as error:
        reason = str(error).replace("\n", " ")
        raise BadRequest(f"The body is not valid YAML: {reason}") from None


def _check_events(text: str) -> None:
    """Refuse tags, anchors, aliases, deep nesting and too many nodes, unbuilt."""
    depth = nodes = 0
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, yaml.NodeEvent):
            nodes += 1
            if nodes > MAX_YAML_NODES:
                raise RequestEntityTooLarge(
                    f"The body holds more than {MAX_YAML_NODES:,} YAML nodes."
                )
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise ValueError("anchors and aliases are not accepted")
        if getattr(event, "tag", None) is not None:
            raise ValueError("explicit tags are not accepted")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _check_plain(data: Any) -> None:
    """Refuse deep nesting, non-finite numbers and unstorable text, without recursion.

    Text may hold neither NUL, which PostgreSQL cannot store (in text or
    JSONB) while SQLite can, nor a lone surrogate (``"\\ud800"`` is valid
    JSON), which no UTF-8 encoder writes back: refusing both here gives every
    database and every answer format the same input.

    A JSON body may hold half a million values, and a small one is checked
    on the event loop: this goes level by level and leaves each level's work
    to C (``map``, ``join``, the regex), rather than a Python step per value.
    """
    members: list[Any] = [data]
    for depth in count():
        kinds = set(map(type, members))
        if _UNSTORABLE.search("".join(_of_type(str, members, kinds))):
            raise BadRequest(UNSTORABLE_TEXT)
        numbers = _of_type(float, members, kinds)
        if not all(map(math.isfinite, numbers)):
            raise BadRequest("The body holds a number that is not finite.")
        if dict not in kinds and list not in kinds:
            return
        if depth >= MAX_DEPTH:
            raise BadRequest(f"The body is nested deeper than {MAX_DEPTH} levels.")
        # Empty ones add nothing to the next level: dropped here, in C, they
        # cost no iterator each (a list of "{}" was the slowest body to check).
        dicts = [*filter(None, _of_type(dict, members, kinds))]
        lists = [*filter(None, _of_type(list, members, kinds))]
        # The next level: every key and value of the dicts, every item of the lists.
        members = [
            *chain.from_iterable(dicts),
            *chain.from_iterable(map(dict.values, dicts)),
            *chain.from_iterable(lists),
        ]


def _of_type(kind: type, members: list[Any], kinds: set[type]) -> list[Any]:
    """The ``members`` of type ``kind``: all of them when it is their only type."""
    if kind not in kinds:
        return []
    if len(kinds) == 1:
        return members
    return [m for m in members if type(m) is kind]
