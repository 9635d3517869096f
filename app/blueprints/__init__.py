"""The app's blueprints, registered by ``create_app`` in this order.

Each module teaches one thing and names its URLs in its docstring. The book's
samples keep the book's URLs, so their ``url_prefix`` follows the URL rather
than the module name; resources of the kit's own (``teams``) use a prefix.
To remove a sample, delete its module and its line here.
"""

from __future__ import annotations

from typing import Final

from quart import Blueprint

from app.blueprints import (
    a,
    addresses,
    auth,
    b,
    basics,
    boom,
    formats,
    health,
    people,
    proxy,
    routing,
    teams,
    webhooks,
    ws,
)

BLUEPRINTS: Final[tuple[Blueprint, ...]] = (
    health.blueprint,
    basics.blueprint,
    routing.blueprint,
    people.blueprint,
    teams.blueprint,
    auth.blueprint,
    formats.blueprint,
    addresses.blueprint,
    webhooks.blueprint,
    ws.blueprint,
    a.blueprint,
    b.blueprint,
    proxy.blueprint,
    boom.blueprint,
)
