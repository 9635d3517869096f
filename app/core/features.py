"""A feature: one folder that the factory installs after the core.

The kit's samples (``app/samples/*``) and your own features (``app/features/*``)
have the same shape: a package whose ``__init__.py`` defines ``feature =
Feature(...)``, listed once in ``app.FEATURES``. Removing one is deleting its
folder and its line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from quart import Quart

from app.core.settings import Settings


@dataclass(frozen=True)
class Feature:
    """What the factory needs to install one feature.

    ``install`` registers the feature's blueprints, start-up hooks and
    extensions on the app; ``settings`` are its settings classes, loaded and
    checked with the core's; ``migrations`` is the folder of its Alembic
    revisions, a branch of its own labelled ``name``.
    """

    name: str
    install: Callable[[Quart], None]
    settings: tuple[type[Settings], ...] = ()
    migrations: Path | None = None
