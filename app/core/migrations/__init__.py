"""Database migrations: every installed feature's Alembic revisions, together.

Each feature keeps its revisions in its own ``migrations/`` folder, on an
Alembic branch labelled with the feature's name and rooted at the empty
database, so removing a feature removes its branch and nothing else.
``make migrate`` applies every branch (``python -m app.core.migrations``);
``make revision m="..." feature=<name>`` writes the next revision of one
feature from its models' changes. ``env.py`` connects with the app's own
settings, so ``APP_DATABASE_URL`` picks the database as it does for the
server.

A database that holds a revision no installed feature provides (its feature
was removed, or it was migrated by an older layout of the kit) gets a message
that says so and what to do, not Alembic's ``Can't locate revision``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from alembic.config import Config

from app.core.features import Feature

HERE: Final = Path(__file__).resolve().parent


class UnknownRevisionError(RuntimeError):
    """The database was migrated by revisions that no installed feature has."""


def alembic_config(features: Iterable[Feature]) -> Config:
    """Alembic's config: ``env.py`` here, the core's and each feature's revisions."""
    locations = [HERE / "versions"]
    locations += [f.migrations for f in features if f.migrations is not None]
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.set_main_option("path_separator", "os")
    config.set_main_option(
        "version_locations", os.pathsep.join(str(path) for path in locations)
    )
    return config


def next_revision_id(feature: Feature) -> str:
    """``<feature>_<n>``: the feature's name and the next number in its folder."""
    pattern = f"{feature.name}_[0-9][0-9][0-9][0-9]_*.py"
    existing = list(feature.migrations.glob(pattern)) if feature.migrations else []
    return f"{feature.name}_{len(existing) + 1:04d}"


def unknown_revision_message(unknown: Iterable[str]) -> str:
    """What to tell the person whose database is ahead of the installed features."""
    names = ", ".join(sorted(unknown))
    return (
        f"The database holds migrations that no installed feature provides: "
        f"{names}. Their feature was removed (make strip-samples, or a folder "
        "deleted from app/), or the database was migrated by an older layout "
        "of the kit. A development database can go: delete it (rm "
        "instance/app.db, or drop its PostgreSQL schema) and run make migrate "
        "again. To keep it, restore the feature's folder and its line in "
        "app.FEATURES, then downgrade its branch first: python -m "
        "app.core.migrations downgrade <feature>@base."
    )
