"""Who this service is: its name, version and summary, read from ``pyproject.toml``.

``[project] name`` there is the one place that names the service: the OpenAPI
title, the ``User-Agent`` of outgoing calls, the Basic-auth realm and the
database's ``application_name`` all read it from here (``make rename`` changes
it). Where the source tree is not beside the package (a wheel installed in an
image), the installed distribution's metadata says the same.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Final

PYPROJECT: Final = Path(__file__).resolve().parents[2] / "pyproject.toml"


@dataclass(frozen=True)
class Service:
    """The service's name, version and one-line summary."""

    name: str
    version: str
    summary: str


@functools.cache
def service(pyproject: Path = PYPROJECT) -> Service:
    """This service, from ``pyproject`` or else from the installed metadata."""
    if pyproject.is_file():
        project = tomllib.loads(pyproject.read_text())["project"]
        return Service(project["name"], project["version"], project["description"])
    # Slow (it reads every installed distribution's file list), but only
    # where no pyproject.toml sits beside the code.
    name = metadata.packages_distributions()[__package__.split(".")[0]][0]
    found = metadata.metadata(name)
    return Service(found["Name"], found["Version"], found["Summary"] or "")
