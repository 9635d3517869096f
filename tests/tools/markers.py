"""Blocks of a text file that belong to one sample, between marker lines.

A line holding ``>>> sample: NAME`` opens a block and ``<<< sample: NAME``
closes it, in whatever comment syntax the file uses (``# >>> sample:
addressbook`` in a Makefile, ``<!-- >>> sample: addressbook -->`` in
Markdown). ``make strip-samples`` removes the blocks with their markers.
"""

from __future__ import annotations

import re
from typing import Final

_OPEN: Final = re.compile(r">>> sample: (?P<name>[a-z_]+)")
_CLOSE: Final = re.compile(r"<<< sample: (?P<name>[a-z_]+)")


def strip_blocks(text: str) -> str:
    """``text`` without its sample blocks; an unclosed block is an error."""
    kept: list[str] = []
    inside: str | None = None
    just_closed = False
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        if inside is None:
            if opened := _OPEN.search(line):
                inside = opened["name"]
            elif (
                just_closed and not line.strip() and (not kept or not kept[-1].strip())
            ):
                pass  # a block between two paragraphs leaves one blank line, not two
            else:
                kept.append(line)
            just_closed = False
        elif (closed := _CLOSE.search(line)) and closed["name"] == inside:
            inside, just_closed = None, True
        elif _OPEN.search(line):
            raise ValueError(f"line {number}: a sample block opens inside {inside}'s")
    if inside is not None:
        raise ValueError(f"the sample block {inside!r} is never closed")
    return "".join(kept)
