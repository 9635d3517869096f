"""The registered converter on a bare werkzeug Map: no app involved."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.exceptions import NotFound
from werkzeug.routing import Map, MapAdapter, Rule

from converters import CONVERTERS, RegisteredConverter, Registry


def adapter(users: dict[str, str]) -> MapAdapter:
    assert CONVERTERS["registered"] is RegisteredConverter
    converter = RegisteredConverter.using(Registry(users))
    url_map = Map(
        [Rule("/person/<registered:name>", endpoint="person")],
        converters={"registered": converter},
    )
    return url_map.bind("example.test")


def test_match_gives_the_name() -> None:
    assert adapter({"1": "Alice"}).match("/person/1") == ("person", {"name": "Alice"})


@pytest.mark.parametrize("path", ["/person/2", "/person/Alice", "/person/1/"])
def test_unknown_id_does_not_match(path: str) -> None:
    with pytest.raises(NotFound):
        adapter({"1": "Alice"}).match(path)


def test_build_gives_the_id() -> None:
    assert adapter({"1": "Alice"}).build("person", {"name": "Alice"}) == "/person/1"


def test_build_with_an_unknown_name_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="'Mallory' is not a registered name"):
        adapter({"1": "Alice"}).build("person", {"name": "Mallory"})


def test_unbound_class_is_refused_when_the_rule_is_added() -> None:
    url_map = Map(converters={"registered": RegisteredConverter})
    with pytest.raises(TypeError, match="using"):
        url_map.add(Rule("/person/<registered:name>", endpoint="person"))


def test_each_binding_has_its_own_table() -> None:
    first, second = adapter({"1": "Alice"}), adapter({"1": "Zoe"})
    assert first.match("/person/1")[1] == {"name": "Alice"}
    assert second.match("/person/1")[1] == {"name": "Zoe"}


def test_replace_swaps_the_table() -> None:
    registry = Registry({"1": "Alice"})
    registry.replace({"2": "Bob"})
    assert (registry.name("1"), registry.name("2"), registry.user_id("Bob")) == (
        None,
        "Bob",
        "2",
    )


@pytest.mark.parametrize(
    ("users", "reason"),
    [
        ({"1": "Alice", "2": "Alice"}, "unique"),
        ({"a/b": "Alice"}, "'/'"),
        ({"": "A"}, "empty"),
    ],
)
def test_unroutable_tables_are_refused(users: dict[str, str], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        Registry(users)


ids = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="/"), min_size=1
)


@given(users=st.dictionaries(ids, ids, min_size=1, max_size=8).filter(
    lambda users: len(set(users.values())) == len(users)
))  # fmt: skip
def test_round_trip(users: dict[str, str]) -> None:
    urls = adapter(users)
    for user_id, name in users.items():
        url = urls.build("person", {"name": name})
        # A server hands the router the percent-decoded path.
        assert urls.match(unquote(url)) == ("person", {"name": name}), user_id
