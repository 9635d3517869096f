"""Service to service: A calls B over HTTP, with a written-down contract.

``service_a`` and ``service_b`` are the two blueprints (``/a/``, ``/b/``);
``client`` is A's client for B and the contract between them. Both live in
this one app so that ``make run`` shows the call end to end; ``SERVICE_B_URL``
points A at a real B elsewhere. ``README.md`` here shows it with curl.
"""

from __future__ import annotations

from quart import Quart

from app.core.features import Feature
from app.samples.services import client, service_a, service_b
from app.samples.services.settings import ServicesSettings


def install(app: Quart) -> None:
    """Open A's client for B while serving; register both blueprints."""
    client.init_app(app)
    app.register_blueprint(service_a.blueprint)
    app.register_blueprint(service_b.blueprint)


feature = Feature("services", install, settings=(ServicesSettings,))
