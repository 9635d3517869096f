"""requirements/*.txt, written by ``make lock``: every dependency pinned, hashed.

A dependency added to ``pyproject.toml`` without ``make lock`` fails here,
before an image is built without it.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Final

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.support.live import ROOT

PIN: Final = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)"
)


def pins(path: Path) -> dict[str, list[Version]]:
    """Each package's pinned versions (one per Python range, when they differ)."""
    found: dict[str, list[Version]] = {}
    for line in path.read_text().splitlines():
        if match := PIN.match(line):
            name = canonicalize_name(match["name"])
            found.setdefault(name, []).append(Version(match["version"]))
    return found


def declared(*extras: str) -> list[Requirement]:
    """``pyproject.toml``'s dependencies, and its extras'."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    more = [
        text for extra in extras for text in project["optional-dependencies"][extra]
    ]
    return [Requirement(text) for text in [*project["dependencies"], *more]]


@pytest.mark.parametrize(
    ("lock", "extras"),
    [("runtime.txt", ("tracing",)), ("dev.txt", ("dev", "tracing"))],
)
def test_every_dependency_is_pinned_within_its_range(
    lock: str, extras: tuple[str, ...]
) -> None:
    pinned = pins(ROOT / "requirements" / lock)
    for requirement in declared(*extras):
        versions = pinned.get(canonicalize_name(requirement.name))
        assert versions, f"{requirement.name} is not in {lock}: run make lock"
        for version in versions:
            assert requirement.specifier.contains(version, prereleases=True), (
                f"{lock} pins {requirement.name}=={version}, outside "
                f"{requirement.specifier}: run make lock"
            )


def test_the_runtime_lock_has_no_dev_tools() -> None:
    runtime = pins(ROOT / "requirements" / "runtime.txt")
    dev_only = {canonicalize_name(r.name) for r in declared("dev")} - {
        canonicalize_name(r.name) for r in declared("tracing")
    }
    assert dev_only & runtime.keys() == set()


@pytest.mark.parametrize("lock", ["runtime.txt", "dev.txt"])
def test_every_pin_has_hashes(lock: str) -> None:
    # pip --require-hashes installs nothing from a file with one pin unhashed.
    text = (ROOT / "requirements" / lock).read_text()
    for block in re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2]):
        assert "--hash=sha256:" in block, block.splitlines()[0]
