"""Refuse an oversized HTTP/2 frame on its header, not after buffering its body.

h2's frame buffer reads a frame's 9-byte header, then waits until the whole
body the header announces (up to 16 MiB) has arrived before it compares that
length with the maximum frame size it advertised (16 KiB). So a client that
opens with the HTTP/2 preface (Hypercorn speaks HTTP/2 with prior knowledge on
its plain-text port) and announces a huge frame makes the server buffer every
byte it sends, up to 16 MiB per connection, with no answer. This checks the
length as soon as the header is there: h2 then answers GOAWAY
(FRAME_SIZE_ERROR) and Hypercorn closes the connection, as RFC 9113 §4.2
asks. Upstream: see docs/upstream.md ("h2: a frame's length is checked only
after its body has arrived").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from h2.frame_buffer import FrameBuffer
from hyperframe.frame import Frame

_PATCHED: Final = "_kit_checks_length_first"
_HEADER: Final = 9


def apply() -> None:
    """Patch h2's ``FrameBuffer.__next__``, once per process."""
    if getattr(FrameBuffer, _PATCHED, False):
        return
    original: Callable[[FrameBuffer], Frame] = FrameBuffer.__next__

    def checked(self: FrameBuffer) -> Frame:
        if len(self._data) >= _HEADER:
            # The first three bytes of a frame's header are its length.
            self._validate_frame_length(int.from_bytes(self._data[:3], "big"))
        return original(self)

    FrameBuffer.__next__ = checked  # type: ignore[method-assign]
    setattr(FrameBuffer, _PATCHED, True)
