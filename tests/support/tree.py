"""A throwaway copy of this source tree, as ``.ci/run`` makes one.

The make-it-yours commands edit the tree they run in, so their tests (and
the bench's stripped skeleton) run them on a copy: the files git tracks plus
the new ones it does not ignore, or, outside a git checkout (CI's own
copies), everything but virtualenvs, caches and the development database.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Final

from tests.support.live import ROOT

NOT_COPIED: Final = (
    ".git",
    ".venv*",
    "*_cache",
    "__pycache__",
    "instance",
    ".coverage*",
)


def copy_tree(target: Path, root: Path = ROOT) -> Path:
    """Copy ``root``'s source files into ``target``; return ``target``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=False,
    )
    if listed.returncode:
        ignore = shutil.ignore_patterns(*NOT_COPIED)
        shutil.copytree(root, target, ignore=ignore, dirs_exist_ok=True)
        return target
    for name in filter(None, listed.stdout.decode().split("\0")):
        if (root / name).is_file():  # not deleted from the work tree
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(root / name, target / name)
    return target
