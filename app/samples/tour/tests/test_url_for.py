"""Every sample route round-trips: url_for builds a URL that matches back.

Values come from hypothesis, one strategy per converter, limited to what the
converter can express (werkzeug's float converter has no exponent form, and a
server collapses empty path segments before routing).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from quart import Quart, url_for
from werkzeug.routing import AnyConverter, Rule

from app import create_app
from converters.size import MAX_SIDE, Size

segment = st.text(
    st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters="/"),
    min_size=1,
).filter(lambda s: s not in {".", ".."})

STRATEGIES: dict[str, st.SearchStrategy[Any]] = {
    "UnicodeConverter": segment,
    "IntegerConverter": st.integers(min_value=0),
    "FloatConverter": st.integers(0, 10**9).map(lambda n: n / 100),
    "PathConverter": st.lists(segment, min_size=1, max_size=4).map("/".join),
    "UUIDConverter": st.uuids(),
    "RegisteredConverter": st.sampled_from(["Alice", "Bob"]),
    "SizeConverter": st.builds(
        Size, st.integers(1, MAX_SIDE), st.integers(1, MAX_SIDE)
    ),
}


def _strategy(rule: Rule, argument: str) -> st.SearchStrategy[Any]:
    converter = rule._converters[argument]
    if isinstance(converter, AnyConverter):
        return st.sampled_from(sorted(converter.items))
    return STRATEGIES[type(converter).__name__]


def _sample_rules() -> list[Rule]:
    app = create_app({"TESTING": True})
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


@pytest.fixture(scope="module")
def built_app() -> Quart:
    return create_app({"TESTING": True})


def test_every_rule_is_covered() -> None:
    for rule in _sample_rules():
        for argument in rule.arguments:
            assert _strategy(rule, argument) is not None


@pytest.mark.parametrize("rule", _sample_rules(), ids=lambda rule: rule.rule)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
async def test_round_trip(built_app: Quart, rule: Rule, data: st.DataObject) -> None:
    values = {
        name: data.draw(_strategy(rule, name), label=name) for name in rule.arguments
    }
    # OPTIONS would match the first rule on the path, whatever its methods.
    method = min((rule.methods or {"GET"}) - {"OPTIONS", "HEAD"})
    async with built_app.test_request_context("/"):
        # A WebSocket rule builds an absolute ws:// URL; match on its path.
        url = url_for(rule.endpoint, **values)
    endpoint, matched = built_app.url_map.bind("localhost").match(
        unquote(urlsplit(url).path), method=method, websocket=rule.websocket
    )
    if rule.endpoint == "builtin_converters.person_by_name" and re.fullmatch(
        r"\d+", values["person_id"]
    ):
        # Digits (any script's) go to the int rule first: that is the lesson.
        assert endpoint == "builtin_converters.person_by_number"
        assert matched == {"person_id": int(values["person_id"])}
    else:
        assert (endpoint, matched) == (rule.endpoint, values)
