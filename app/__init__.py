"""The application factory: the core, then the features in ``FEATURES``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from quart import Quart

from app import core
from app.core.features import Feature
from app.samples import addressbook, chat, images, services, tour, webhooks

# Installed in this order after the core: the kit's samples (app/samples/,
# which `make strip-samples` removes) and your own features (app/features/).
FEATURES: Final[tuple[Feature, ...]] = (
    tour.feature,
    addressbook.feature,
    webhooks.feature,
    chat.feature,
    services.feature,
    images.feature,
)


def create_app(config: Mapping[str, Any] | None = None) -> Quart:
    """Build the app: settings, the core, each feature, then the outer middleware."""
    app = core.App(__name__)
    app.config.update(core.load_settings(FEATURES, config))
    core.install(app)
    for feature in FEATURES:
        feature.install(app)
    core.wrap(app)
    return app
