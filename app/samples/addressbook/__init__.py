"""The address book: CRUD on a database, in three layers, at ``/addresses``.

``addresses`` is the blueprint (HTTP only), ``service`` what can be done with
entries (no HTTP), ``storage`` the table and its queries, ``schemas`` what an
entry is; ``migrations/`` creates the table and ``seed`` loads ``data/``.
``README.md`` here shows each URL with curl.
"""

from __future__ import annotations

from pathlib import Path

from quart import Quart

from app.core import database
from app.core.features import Feature
from app.samples.addressbook import addresses


def install(app: Quart) -> None:
    """Open the database while serving; register the blueprint."""
    database.init_app(app)
    app.register_blueprint(addresses.blueprint)


feature = Feature(
    "addressbook", install, migrations=Path(__file__).parent / "migrations"
)
