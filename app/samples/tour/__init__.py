"""The chapter-2 tour: routing, converters, ``url_for``, Basic auth, formats.

Each module is one blueprint that teaches one thing; its docstring names its
URLs, and ``README.md`` here shows each one with curl. The book's URLs are
the contract, so most blueprints have no ``url_prefix``; ``teams`` shows one.
"""

from __future__ import annotations

from typing import Final

from quart import Quart

from app.core.features import Feature
from app.samples.tour import (
    basic_auth,
    basics,
    builtin_converters,
    client_address,
    formats,
    lookup_converter,
    teams,
    unexpected_error,
)
from app.samples.tour.settings import TourSettings
from converters import Registry

BLUEPRINTS: Final = (
    basics.blueprint,
    builtin_converters.blueprint,
    lookup_converter.blueprint,
    teams.blueprint,
    basic_auth.blueprint,
    formats.blueprint,
    client_address.blueprint,
    unexpected_error.blueprint,
)


def install(app: Quart) -> None:
    """Fill the ``registered`` converter's table; register the blueprints."""
    users: Registry = app.extensions["converters.registered"]
    users.replace(app.config["USERS"])
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)


feature = Feature("tour", install, settings=(TourSettings,))
