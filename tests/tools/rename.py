"""``make rename name=orders-service``: give the service its own name.

The name lives in one line, ``[project] name`` in ``pyproject.toml``; the
OpenAPI title, the ``User-Agent`` of outgoing calls, the Basic-auth realm and
the database's ``application_name`` read it from there
(``app.core.service``). This changes that line, and the old name wherever the
docs show it (the README's title, example outputs) and in the lock files'
comments, then reinstalls the package under its new name so the
virtualenv's metadata agrees.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[2]
# PEP 508 names, kept to lower case so that the name is also a fine realm.
VALID: Final = re.compile(r"[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?")
# The docs, and the lock files, whose comments say which package asked for what.
DOCS: Final = ("README.md", "docs/*.md", "app/**/README.md", "requirements/*.txt")


def rename(new: str, root: Path = ROOT) -> list[str]:
    """Rename the service under ``root`` to ``new``; return the files changed."""
    if not VALID.fullmatch(new):
        raise ValueError(
            f"{new!r} is not a valid name: lower-case letters, digits, '.', '_' "
            "and '-', starting and ending with a letter or digit"
        )
    pyproject = root / "pyproject.toml"
    old = tomllib.loads(pyproject.read_text())["project"]["name"]
    if old == new:
        return []
    text = pyproject.read_text()
    line = re.compile(rf'^name = "{re.escape(old)}"$', re.M)
    if not line.search(text):
        raise ValueError(f'pyproject.toml has no line name = "{old}" to change')
    pyproject.write_text(line.sub(f'name = "{new}"', text, count=1))
    changed = ["pyproject.toml"]
    for pattern in DOCS:
        for path in sorted(root.glob(pattern)):
            text = path.read_text()
            new_text = (
                _retitle(text, new)
                if path.name == "README.md" and path.parent == root
                else text
            )
            new_text = new_text.replace(old, new)
            if new_text != text:
                path.write_text(new_text)
                changed.append(str(path.relative_to(root)))
    return changed


def _retitle(text: str, name: str) -> str:
    """The README's first heading becomes the service's name."""
    return re.sub(r"\A# .*$", f"# {name}", text, count=1, flags=re.M)


def main(argv: Sequence[str] | None = None) -> int:
    """Rename, reinstall under the new name, and list what changed."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if len(arguments) != 1:
        print("usage: python -m tests.tools.rename <new-name>", file=sys.stderr)
        return 2
    old = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"]
    try:
        changed = rename(arguments[0])
    except ValueError as error:
        print(f"rename: {error}", file=sys.stderr)
        return 2
    if not changed:
        print(f"rename: the service is already called {arguments[0]}")
        return 0
    # The old distribution's metadata would linger beside the new one.
    subprocess.run(
        [sys.executable, "-m", "pip", "uninstall", "--quiet", "--yes", old],
        check=False,
    )
    for path in changed:
        print(f"rename: {old} -> {arguments[0]} in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
