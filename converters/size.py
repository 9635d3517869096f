"""``size``: a URL carries ``WxH``, the view receives a typed ``Size``.

Rule ``/thumbnails/<uuid:image_id>/<size:size>.jpeg``: ``/thumbnails/…/80x60.jpeg``
calls the view with ``size=Size(80, 60)``; ``url_for(..., size=Size(80, 60))``
builds it back. Anything else (``0x60``, ``80X60``, ``080x60``, ``80x``, a
side over ``MAX_SIDE``) does not match, so it is a 404 like any unknown URL,
never a 500 from the view.
"""

from __future__ import annotations

from typing import Final, NamedTuple

from werkzeug.routing import BaseConverter, ValidationError

# Wider than any image the kit accepts; keeps the integers small.
MAX_SIDE: Final = 100_000


class Size(NamedTuple):
    """A width and a height in pixels, both at least 1."""

    width: int
    height: int

    def __str__(self) -> str:
        return f"{self.width}x{self.height}"


class SizeConverter(BaseConverter):
    """Turn ``WxH`` into a ``Size``, and a ``Size`` back into ``WxH``."""

    # No leading zeros, so each size has exactly one URL (and one cache key).
    regex = r"[1-9][0-9]{0,5}x[1-9][0-9]{0,5}"
    part_isolating = True

    def to_python(self, value: str) -> Size:
        width, height = (int(side) for side in value.split("x"))
        if width > MAX_SIDE or height > MAX_SIDE:
            raise ValidationError()
        return Size(width, height)

    def to_url(self, value: Size) -> str:
        width, height = value
        if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
            raise ValueError(f"{width}x{height} is not a size")
        return f"{width}x{height}"
