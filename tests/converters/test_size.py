"""The size converter on a bare werkzeug Map: no app involved."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.exceptions import NotFound
from werkzeug.routing import Map, MapAdapter, Rule

from converters import CONVERTERS, Size, SizeConverter
from converters.size import MAX_SIDE


def adapter() -> MapAdapter:
    url_map = Map(
        [Rule("/thumbnails/<size:size>.jpeg", endpoint="thumbnail")],
        converters={"size": CONVERTERS["size"]},
    )
    return url_map.bind("example.test")


def test_match_gives_a_typed_size() -> None:
    endpoint, values = adapter().match("/thumbnails/80x60.jpeg")
    assert (endpoint, values) == ("thumbnail", {"size": Size(80, 60)})
    assert (values["size"].width, values["size"].height) == (80, 60)
    assert CONVERTERS["size"] is SizeConverter


def test_build_writes_it_back() -> None:
    assert (
        adapter().build("thumbnail", {"size": Size(80, 60)}) == "/thumbnails/80x60.jpeg"
    )


@pytest.mark.parametrize(
    "path",
    [
        "0x60",  # a side of 0
        "80x0",
        "080x60",  # leading zeros: one size, one URL
        "80X60",
        "80x",
        "x60",
        "80x60x2",
        "-80x60",
        "80.5x60",
        "\uff180x60",  # a full-width digit 8
        f"{MAX_SIDE + 1}x60",
        "1234567x1",  # more digits than any side
    ],
)
def test_anything_else_does_not_match(path: str) -> None:
    with pytest.raises(NotFound):
        adapter().match(f"/thumbnails/{path}.jpeg")


@pytest.mark.parametrize("size", [Size(0, 1), Size(1, MAX_SIDE + 1)])
def test_building_a_size_that_is_none_fails(size: Size) -> None:
    with pytest.raises(ValueError, match="is not a size"):
        adapter().build("thumbnail", {"size": size})


@given(st.integers(1, MAX_SIDE), st.integers(1, MAX_SIDE))
def test_every_size_makes_a_round_trip(width: int, height: int) -> None:
    url = adapter().build("thumbnail", {"size": Size(width, height)})
    assert adapter().match(url) == ("thumbnail", {"size": Size(width, height)})
