"""Request bodies through /probe/echo (``load_body``): a JSON 4xx, never a 500."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from quart import Blueprint, Quart, request
from quart.typing import TestClientProtocol as _Client
from werkzeug.exceptions import ImATeapot

from app.core import parsing
from app.core.parsing import MAX_DEPTH, MAX_YAML_NODES
from tests.support.live import migrated_copy
from tests.support.probe import create_core_app, create_probe_app
from tests.support.turns import turns_during

JSON_TYPE = {"Content-Type": "application/json"}
YAML_TYPE = {"Content-Type": "application/x-yaml"}
# Ten levels of three references each: 3**9 copies of a nine-item list.
BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{new}: &{new} [*{old}, *{old}, *{old}]\n"
    for old, new in zip("abcdefghi", "bcdefghij", strict=True)
)


@pytest.mark.parametrize(
    ("body", "headers", "reason"),
    [
        (b'{"a": 1', JSON_TYPE, "not valid JSON"),
        (b"", JSON_TYPE, "empty"),
        (b"  \n", YAML_TYPE, "empty"),
        (b"NaN", JSON_TYPE, "not valid JSON"),
        (b'{"a": Infinity}', JSON_TYPE, "not valid JSON"),
        (b"1" * 5000, JSON_TYPE, "not valid JSON"),  # over Python's int digit limit
        (b"[" * 100_000 + b"]" * 100_000, JSON_TYPE, "nested deeper"),
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), JSON_TYPE, "nested deeper"),
        (b'{"a": "\xff"}', JSON_TYPE, "not valid UTF-8"),
        (b"a: \xff", YAML_TYPE, "not valid UTF-8"),
        (b"a: [1, 2", YAML_TYPE, "not valid YAML"),
        (b"a: 1\n---\nb: 2\n", YAML_TYPE, "not valid YAML"),
        (b"!!python/object/apply:os.system ['true']", YAML_TYPE, "tags"),
        (b"a: !!binary aGVsbG8=", YAML_TYPE, "tags"),
        (b"a: !custom 1", YAML_TYPE, "tags"),
        (b"a: &x 1\nb: *x", YAML_TYPE, "aliases"),
        (BILLION_LAUGHS.encode(), YAML_TYPE, "aliases"),
        (b"a: .nan", YAML_TYPE, "not finite"),
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), YAML_TYPE, "nested deeper"),
        (b"- " * (MAX_DEPTH + 1) + b"x", YAML_TYPE, "nested deeper"),
        (b"? [a, b]\n: c\n", YAML_TYPE, "not valid YAML"),  # unhashable key
        (b"1" * 5000, YAML_TYPE, "not valid YAML"),
        # Sexagesimal numbers: PyYAML adds their parts up in quadratic time.
        (b"a: 1" + b":59" * 349_000, YAML_TYPE, "more than 4300 characters"),
        (b"a: 1" + b":59" * 1_000 + b".5", YAML_TYPE, "too large"),
        (b"a: 0x" + b"f" * 4_000, YAML_TYPE, "more than 4300 digits"),
        (b"a: 0b" + b"1" * 1_000_000, YAML_TYPE, "more than 4300 characters"),
        (b"a: 1.5e+" + b"0" * 5_000 + b"1", YAML_TYPE, "more than 4300 characters"),
        (b"a: 1" + b"0" * 400 + b".0", YAML_TYPE, "not finite"),
        # Text that PostgreSQL cannot store, or UTF-8 cannot encode.
        (b'{"name": "a\\u0000b"}', JSON_TYPE, "NUL character"),
        (b'["\\ud800"]', JSON_TYPE, "lone surrogate"),
        (b'{"\\udfff": 1}', JSON_TYPE, "lone surrogate"),
        (b'a: "nul \\0 here"', YAML_TYPE, "NUL character"),
    ],
)
async def test_bad_bodies_are_400(
    client: _Client, body: bytes, headers: dict[str, str], reason: str
) -> None:
    response = await client.post("/probe/echo", data=body, headers=headers)
    assert response.status_code == 400
    error = await response.get_json()
    assert error["code"] == 400
    assert reason in error["message"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Content-Type": "text/plain"},
        {"Content-Type": "application/x-www-form-urlencoded"},
        {"Content-Type": "application/json; charset=latin-1"},
        {"Content-Type": "multipart/form-data; boundary=x"},
    ],
)
async def test_other_media_types_are_415(
    client: _Client, headers: dict[str, str]
) -> None:
    response = await client.post("/probe/echo", data=b'{"a": 1}', headers=headers)
    assert response.status_code == 415
    assert (await response.get_json())["code"] == 415


@pytest.mark.parametrize(
    ("body", "value"),
    [
        (b"a: 1:30", 90),  # YAML 1.1 sexagesimal, still read as before
        (b"a: 1:30.5", 90.5),
        (b"a: 0x1f", 31),
        (b"a: -0b101", -5),
        (b"a: 1" + b"0" * 4299, 10**4299),
    ],
)
async def test_yaml_numbers_within_bounds(
    client: _Client, body: bytes, value: float
) -> None:
    response = await client.post("/probe/echo", data=body, headers=YAML_TYPE)
    assert response.status_code == 200
    assert await response.get_json() == {"a": value}


async def test_a_big_yaml_body_leaves_the_event_loop_free(client: _Client) -> None:
    """Other work runs while a large YAML body is parsed (it takes a while)."""
    # The list and its items: as many nodes as a YAML body may hold, each a
    # sexagesimal float, which PyYAML resolves and builds in Python.
    body = ("[" + ", ".join(["1:30:30.5"] * (MAX_YAML_NODES - 1)) + "]").encode()
    response, turns = await turns_during(
        client.post("/probe/echo", data=body, headers=YAML_TYPE)
    )
    assert response.status_code == 200
    # Parsed on the loop, the request takes a dozen turns, all outside the
    # parse; parsed in a thread, the loop turns thousands of times meanwhile.
    assert turns > 100


@pytest.mark.parametrize(
    "text",
    [
        "x" * 5000,  # long text
        "1 apple, " * 600,  # starts like a number, is text
        "deadbeef" * 700,  # only hex digits, but does not start like a number
    ],
)
async def test_long_plain_yaml_text_stays_text(client: _Client, text: str) -> None:
    body = f"a: {text}".encode()
    response = await client.post("/probe/echo", data=body, headers=YAML_TYPE)
    assert response.status_code == 200
    assert await response.get_json() == {"a": text.strip()}


async def test_a_big_json_body_leaves_the_event_loop_free(client: _Client) -> None:
    """The checks of a big JSON body run in a thread; the loop turns meanwhile."""
    # Objects with something in them: the checks skip empty ones in C.
    body = b"[" + b'{"a":[1]},' * 99_999 + b'{"a":[1]}]'
    assert len(body) < 1024 * 1024
    response, turns = await turns_during(
        client.post("/probe/echo", data=body, headers=JSON_TYPE)
    )
    assert response.status_code == 200
    # On the loop: a dozen turns. json.loads holds the GIL in a thread too,
    # so only the checks after it let the loop turn, some dozens of times.
    assert turns > 30, turns


async def test_a_yaml_body_of_too_many_nodes_is_413(client: _Client) -> None:
    body = b"- 1\n" * MAX_YAML_NODES  # and the list itself
    response = await client.post("/probe/echo", data=body, headers=YAML_TYPE)
    assert response.status_code == 413
    error = await response.get_json()
    assert f"more than {MAX_YAML_NODES:,} YAML nodes" in error["message"]


class TestSizeLimit:
    @pytest.fixture
    def config(self) -> dict[str, Any]:
        return {"TESTING": True, "MAX_CONTENT_LENGTH": 64}

    async def test_over_the_limit_is_413(self, client: _Client) -> None:
        body = json.dumps({"a": "x" * 100})
        response = await client.post("/probe/echo", data=body, headers=JSON_TYPE)
        assert response.status_code == 413
        assert (await response.get_json())["code"] == 413

    async def test_at_the_limit_is_fine(self, client: _Client) -> None:
        body = json.dumps({"a": "x" * 55})
        assert len(body) == 64
        response = await client.post("/probe/echo", data=body, headers=JSON_TYPE)
        assert response.status_code == 200


async def test_a_path_may_take_larger_bodies_than_the_rest(tmp_path: Path) -> None:
    app = create_probe_app(
        {
            "TESTING": True,
            "MAX_CONTENT_LENGTH": 64,
            "DATABASE_URL": migrated_copy(tmp_path / "app.db"),
        }
    )
    parsing.allow_larger_bodies(app, "POST", "/probe/drain", 200)
    async with app.test_app():
        client = app.test_client()
        larger = await client.post("/probe/drain", data=b"x" * 200)
        too_large = await client.post("/probe/drain", data=b"x" * 201)
        elsewhere = await client.post("/probe/echo", data=b"1" * 100, headers=JSON_TYPE)
    assert larger.status_code == 200
    assert await larger.get_json() == {"bytes": 200}
    assert too_large.status_code == 413
    assert elsewhere.status_code == 413


# A fresh client per example would rebuild the app each time; the app is
# read-only for /probe/echo, so sharing it across examples is safe.
_settings = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# Text the kit stores: no NUL, no lone surrogate (those are a 400, above).
STORABLE = st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00")
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(STORABLE),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(STORABLE, max_size=8), children, max_size=4),
    max_leaves=20,
)  # fmt: skip


@_settings
@given(value=json_values)
async def test_any_json_value_round_trips(app: Quart, value: Any) -> None:
    client = app.test_client()
    response = await client.post("/probe/echo", json=value)
    assert response.status_code == 200
    assert await response.get_json() == value


@_settings
@given(
    body=st.binary(max_size=200),
    content_type=st.sampled_from(
        ["application/json", "application/x-yaml", "text/yaml"]
    ),
    accept=st.sampled_from(["application/json", "application/x-yaml", "*/*"]),
)
async def test_arbitrary_bytes_never_500(
    app: Quart, body: bytes, content_type: str, accept: str
) -> None:
    client = app.test_client()
    response = await client.post(
        "/probe/echo",
        data=body,
        headers={"Content-Type": content_type, "Accept": accept},
    )
    assert response.status_code in (200, 400)


async def test_nested_blueprints_hooks_and_handlers_run_in_quarts_order() -> None:
    # The app's Request reads a route's blueprints its own way (``blueprints``).
    app = create_core_app({"TESTING": True})
    outer, inner = Blueprint("outer", __name__), Blueprint("inner", __name__)
    ran: list[str] = []
    for name, owner in (("app", app), ("outer", outer), ("inner", inner)):
        owner.before_request(functools.partial(_note, ran, f"before {name}"))
        owner.after_request(functools.partial(_note, ran, f"after {name}"))

    @inner.get("/hello")
    async def hello() -> dict[str, str]:
        return {"blueprints": ".".join(request.blueprints)}

    @inner.get("/teapot")
    async def teapot() -> dict[str, str]:
        raise ImATeapot()

    @outer.errorhandler(ImATeapot)
    async def outer_teapot(error: ImATeapot) -> tuple[dict[str, str], int]:
        return {"handled by": "outer"}, 418

    outer.register_blueprint(inner, url_prefix="/inner")
    app.register_blueprint(outer, url_prefix="/outer")
    client = app.test_client()

    response = await client.get("/outer/inner/hello")
    assert await response.get_json() == {"blueprints": "outer.inner.outer"}
    assert ran == [
        "before app",
        "before outer",
        "before inner",
        "after inner",
        "after outer",
        "after app",
    ]
    response = await client.get("/outer/inner/teapot")
    assert (response.status_code, await response.get_json()) == (
        418,
        {"handled by": "outer"},
    )


async def _note(ran: list[str], what: str, response: Any = None) -> Any:
    ran.append(what)
    return response
