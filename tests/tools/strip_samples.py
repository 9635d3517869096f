"""``make strip-samples``: remove every sample and leave the core's skeleton.

Removes ``app/samples/`` (each sample's code, tests, settings, migrations and
README), the samples' lines in ``app/__init__.py``, and every block marked
``>>> sample: NAME`` in the Makefile, ``pyproject.toml``, ``README.md``,
``docs/``, ``.ci/run`` and ``compose.yaml``; then formats what it edited. The
development database, which only the samples' migrations wrote to, is
removed too (it would otherwise hold revisions that nothing provides).
Running it again finds nothing to do.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from tests.tools.markers import strip_blocks

ROOT: Final = Path(__file__).resolve().parents[2]
MARKED: Final = (
    "Makefile",
    "pyproject.toml",
    "README.md",
    "docs/*.md",
    ".ci/run",
    "compose.yaml",
)
DEV_DATABASE: Final = ("instance/app.db", "instance/app.db-wal", "instance/app.db-shm")


def strip(root: Path = ROOT) -> list[str]:
    """Remove the samples under ``root``; return what was done, one line each."""
    done: list[str] = []
    samples = root / "app" / "samples"
    names = (
        sorted(p.name for p in samples.iterdir() if (p / "__init__.py").exists())
        if samples.exists()
        else []
    )
    if samples.exists():
        shutil.rmtree(samples)
        done.append(f"removed app/samples/ ({', '.join(names) or 'empty'})")
    factory = root / "app" / "__init__.py"
    text = factory.read_text()
    stripped = _unregister(text)
    if stripped != text:
        factory.write_text(stripped)
        done.append("removed the samples from app.FEATURES")
    for pattern in MARKED:
        for path in sorted(root.glob(pattern)):
            text = path.read_text()
            if (new := strip_blocks(text)) != text:
                path.write_text(new)
                done.append(f"removed the sample blocks of {path.relative_to(root)}")
    for name in DEV_DATABASE:
        if (path := root / name).exists():
            path.unlink()
            done.append(f"removed {name} (it held the samples' tables)")
    if done:
        _format(root, factory)
    return done


def _unregister(text: str) -> str:
    """``app/__init__.py`` without the samples' import and ``FEATURES`` entries."""
    imported = re.search(
        r"^from app\.samples import \(?([^)\n]*(?:\n[^)\n]*)*?)\)?$", text, re.M
    )
    if imported is None:
        return text
    names = {
        name.strip()
        for name in imported[1].replace("\n", ",").split(",")
        if name.strip()
    }
    text = text[: imported.start()] + text[imported.end() + 1 :]
    entries = "|".join(re.escape(name) for name in names)
    return re.sub(rf"^\s*(?:{entries})\.feature,\n", "", text, flags=re.M)


def _format(root: Path, *paths: Path) -> None:
    ruff = Path(sys.executable).parent / "ruff"
    for command in ("format", "check --fix --quiet"):
        subprocess.run(
            [str(ruff), *command.split(), *map(str, paths)], cwd=root, check=True
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Strip the samples of this checkout and say what was done."""
    done = strip()
    for line in done or ["no samples left to strip"]:
        print(f"strip-samples: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
