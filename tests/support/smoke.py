"""Run every curl example in the docs against a real server; fail on any difference.

``python -m tests.support.smoke`` (``make smoke``) starts the kit as
``make run`` does, on a fresh migrated SQLite file and a free loopback port
(``tests.support.live``), and stops it afterwards; ``--url
http://127.0.0.1:5000`` checks a server that is already running instead.

The examples are the table rows of ``docs/*.md`` and of each feature's
``README.md`` under ``app/``: the command in the second column, what it
prints in the third. In the printed text ``\\n`` marks a line break and ``…``
stands for anything (a request id, say); trailing line breaks are ignored. A
pipe is written ``\\|`` inside a table, as Markdown asks, and runs as ``|``.
``127.0.0.1:5000``, in commands and in what they print, stands for the server
under test. The address book's examples assume an empty address book.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from tests.support.live import ROOT, Server

DOCS_ADDRESS: Final = "127.0.0.1:5000"
ROW: Final = re.compile(
    r"^\|[^|]*\|\s*`(?P<command>curl [^`]+)`\s*\|\s*`(?P<output>[^`]*)`\s*\|\s*$"
)


@dataclass(frozen=True)
class Example:
    """One table row: a curl command and what it prints."""

    path: Path
    line: int
    command: str
    output: str

    def pattern(self, address: str) -> re.Pattern[str]:
        """The expected output as a regex: ``…`` matches anything, ``\\n`` a newline."""
        output = self.output.replace(DOCS_ADDRESS, address)
        parts = output.replace("\\n", "\n").rstrip("\n").split("…")
        return re.compile(".*?".join(re.escape(part) for part in parts), re.DOTALL)


def documents(root: Path = ROOT) -> list[Path]:
    """The pages whose examples run: ``docs/*.md``, then each feature's README."""
    pages = sorted((root / "docs").glob("*.md"))
    return pages + sorted((root / "app").glob("**/README.md"))


def examples(paths: Iterable[Path]) -> list[Example]:
    """Every example row of ``paths``, in order."""
    found = []
    for path in paths:
        for number, text in enumerate(path.read_text().splitlines(), start=1):
            if match := ROW.match(text):
                command = match["command"].replace("\\|", "|")
                found.append(Example(path, number, command, match["output"]))
    return found


def check(example: Example, address: str) -> str | None:
    """Run one example; return a description of the difference, or None."""
    command = example.command.replace(DOCS_ADDRESS, address)
    result = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, timeout=30, check=False
    )
    printed = result.stdout.rstrip("\n")
    if result.returncode == 0 and example.pattern(address).fullmatch(printed):
        return None
    where = (
        example.path.relative_to(ROOT)
        if example.path.is_relative_to(ROOT)
        else example.path
    )
    return (
        f"{where}:{example.line}: {example.command}\n"
        f"  expected: {example.output}\n"
        f"  printed:  {printed!r} (exit {result.returncode}) {result.stderr.strip()}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Check every example; print the differences; exit 1 when there are any."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url", help="check this running server instead of starting one"
    )
    parser.add_argument(
        "pages", nargs="*", type=Path, help="pages to check (default: all)"
    )
    arguments = parser.parse_args(argv)
    found = examples(arguments.pages or documents())
    if not found:
        print("no examples found")
        return 1
    if arguments.url:
        address = arguments.url.split("://")[-1]
        failures = [f for e in found if (f := check(e, address))]
    else:
        server = Server().start()
        try:
            failures = [f for e in found if (f := check(e, server.bind))]
        finally:
            server.stop()
    for failure in failures:
        print(failure)
    passed, pages = len(found) - len(failures), len({e.path for e in found})
    print(f"{passed}/{len(found)} examples in {pages} pages print what they say")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
