"""The core: what every service keeps, installed by ``create_app`` before any feature.

Settings, JSON errors, request ids, the access log, log lines (text or
JSON), metrics, body parsing and response negotiation, Basic auth, health and
readiness, OpenAPI and the WebSocket close-code policy are installed here.
Two parts are installed by the features that use them, so that a service
pays only for what it uses: the database (``database.init_app``) and
outgoing HTTP clients (``outgoing.client``). Nothing here knows about a
sample; features reach the core through its modules' public helpers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from hypercorn.typing import ASGISendCallable
from quart import Quart, Response
from quart import Request as QuartRequest
from quart.asgi import ASGIHTTPConnection

from app.core import (
    auth,
    cross_origin,
    edge,
    errors,
    h2_frames,
    health,
    logs,
    metrics,
    openapi,
    parsing,
    proxy,
    rate_limits,
    readiness,
    request_log,
    responses,
    sessions,
    settings,
    shutdown,
    tracing,
    websockets,
    wsproto_failures,
)
from app.core.features import Feature
from app.core.parsing import Request
from converters import CONVERTERS, RegisteredConverter, Registry

# The core's own settings, each declared next to the code that reads it.
SETTINGS: Final[tuple[type[settings.Settings], ...]] = (
    settings.AppSettings,
    openapi.OpenAPISettings,
    request_log.AccessLogSettings,
    logs.LogSettings,
    metrics.MetricsSettings,
    readiness.ReadinessSettings,
    settings.DatabaseSettings,
    settings.CacheSettings,
    auth.AuthSettings,
    websockets.WebSocketSettings,
    edge.EdgeSettings,
    cross_origin.CorsSettings,
    rate_limits.RateLimitSettings,
    tracing.TracingSettings,
)


class _HTTPConnection(ASGIHTTPConnection):
    def _create_request_from_scope(self, send: ASGISendCallable) -> QuartRequest:
        request = super()._create_request_from_scope(send)
        metrics.serving.set(request)  # the middleware's context: read after the answer
        limit = parsing.larger_body_limit(self.app, request.method, request.path)
        if limit is not None:  # nothing of the body has arrived yet
            request.max_content_length = limit
            request.body = request.body_class(request.content_length, limit)
        return request


class App(Quart):
    """Quart with the kit's request class, per-route body limits, a fixed ``Allow``."""

    request_class = Request
    asgi_http_class = _HTTPConnection

    # Quart 0.23 passes the app context; 0.22 passes nothing.
    async def make_default_options_response(self, *args: Any) -> Response:
        response = await super().make_default_options_response(*args)
        response.headers["Allow"] = errors.sorted_methods(response.headers["Allow"])
        return response


def load_settings(
    features: Iterable[Feature], overrides: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The core's and the features' settings, checked together."""
    classes = [*SETTINGS, *(cls for feature in features for cls in feature.settings)]
    return settings.load(classes, overrides)


def install(app: Quart) -> None:
    """Install the core: converters, extensions, error handlers, health routes."""
    openapi.init_app(app)  # first: it installs its own JSON provider
    responses.init_app(app)  # which this one extends
    # A converter that looks values up gets an empty table of the app's own,
    # which the feature that owns the data fills at start-up.
    for name, converter in CONVERTERS.items():
        if issubclass(converter, RegisteredConverter):
            table = app.extensions[f"converters.{name}"] = Registry()
            app.url_map.converters[name] = converter.using(table)
        else:
            app.url_map.converters[name] = converter
    tracing.init_app(app)
    errors.init_app(app)
    cross_origin.init_app(app)
    sessions.init_app(app)
    readiness.init_app(app)
    shutdown.init_app(app)
    # Process-wide fixes of the server's protocol libraries (docs/upstream.md).
    wsproto_failures.apply()
    h2_frames.apply()
    auth.init_app(app)
    # Before the features, which add metrics of their own.
    metrics.init_app(app)
    rate_limits.init_app(app)
    app.register_blueprint(health.blueprint)
    logs.init_app(app)


def wrap(app: Quart) -> None:
    """Add the ASGI middleware that sees each request first; after the features."""
    edge.init_app(app)  # hosts, shutdown, security headers: on what the proxy says
    tracing.wrap(app)  # a span per request, as the proxy describes it
    proxy.init_app(app)
    request_log.init_app(app)  # outermost, so it times and ids everything
