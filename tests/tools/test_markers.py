"""Sample blocks between marker lines, as ``make strip-samples`` removes them."""

from __future__ import annotations

import pytest

from tests.tools.markers import strip_blocks

MAKEFILE = """\
run: migrate
\thypercorn app.asgi:app

# >>> sample: addressbook
seed: migrate
\tpython -m seed
# <<< sample: addressbook

clean:
\trm -rf .venv
"""


def test_a_block_goes_with_its_markers_and_one_blank_line() -> None:
    assert (
        strip_blocks(MAKEFILE)
        == "run: migrate\n\thypercorn app.asgi:app\n\nclean:\n\trm -rf .venv\n"
    )


def test_markdown_markers_and_text_without_blocks() -> None:
    page = (
        "# Title\n\n<!-- >>> sample: tour -->\n| a | b |\n"
        "<!-- <<< sample: tour -->\nEnd\n"
    )
    assert strip_blocks(page) == "# Title\n\nEnd\n"
    assert strip_blocks("no blocks\n\n\nhere\n") == "no blocks\n\n\nhere\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# >>> sample: a\nx\n", "never closed"),
        ("# >>> sample: a\n# >>> sample: b\n# <<< sample: b\n", "opens inside"),
    ],
)
def test_broken_blocks_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        strip_blocks(text)
