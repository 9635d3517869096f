"""The kit's application factory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from hypercorn.middleware import ProxyFixMiddleware
from quart import Quart, Response

from app import (
    auth,
    chat,
    database,
    errors,
    openapi,
    readiness,
    request_log,
    service_b,
    sessions,
    webhooks,
    ws,
)
from app.blueprints import BLUEPRINTS
from app.config import load as load_config
from app.errors import sorted_methods
from app.parsing import Request
from converters import CONVERTERS, Registry


class App(Quart):
    """Quart with the kit's request class, and ``Allow`` in a fixed order."""

    request_class = Request

    # Quart 0.23 passes the app context; 0.22 passes nothing.
    async def make_default_options_response(self, *args: Any) -> Response:
        response = await super().make_default_options_response(*args)
        response.headers["Allow"] = sorted_methods(response.headers["Allow"])
        return response


def create_app(config: Mapping[str, Any] | None = None) -> Quart:
    """Build the Quart app: config, converters, extensions, then blueprints."""
    app = App(__name__)
    app.config.update(load_config(config, os.environ))
    openapi.init_app(app)  # first: it installs its own JSON provider
    # Keep keys in the order views build them; the default sorts them.
    app.json.sort_keys = False  # type: ignore[attr-defined]

    users = Registry(app.config["USERS"])
    app.extensions["users"] = users
    for name, converter in CONVERTERS.items():
        app.url_map.converters[name] = converter.using(users)

    errors.init_app(app)
    sessions.init_app(app)
    readiness.init_app(app)
    database.init_app(app)
    webhooks.init_app(app)  # after the database: it stops before it
    service_b.init_app(app)
    ws.init_app(app)
    chat.init_app(app)
    auth.init_app(app)
    if hops := app.config["PROXY_TRUSTED_HOPS"]:
        app.asgi_app = ProxyFixMiddleware(  # type: ignore[method-assign]
            app.asgi_app, mode="legacy", trusted_hops=hops
        )
    request_log.init_app(app)  # outermost, so it times and ids everything

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    return app
