"""OpenTelemetry tracing, when ``TRACING_ENDPOINT`` names a collector; else nothing.

Off by default, and then nothing of OpenTelemetry is imported (it is the
``tracing`` extra, which the runtime lock and make's installs include).
With ``TRACING_ENDPOINT = "http://collector:4318"``:

- every HTTP request and WebSocket gets a server span, from OpenTelemetry's
  ASGI middleware, inside the request ids, so the span carries the request's
  id (``app.request_id``, the ``X-Request-Id`` of its answer) and is named
  by the route's rule (``GET /addresses/<uuid:id>``), never by the raw path;
- each client of ``app.core.outgoing`` is instrumented, so an outgoing call
  is a child span and carries ``traceparent`` to the service it calls;
- spans go to the collector in batches over OTLP/HTTP, ``TRACING_SAMPLE_RATIO``
  of the traces that start here (a trace a caller started follows the
  caller's choice), named by the service's name; the last batch is sent
  when the app stops serving.

The tracer provider is the app's own (``app.extensions["tracing"]``), not
OpenTelemetry's global one, so that two apps in one process (tests) do not
share spans.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Final

from pydantic import Field
from quart import Quart, current_app, has_app_context, request

from app.core.request_log import current_request_id
from app.core.service import service
from app.core.settings import Settings

if TYPE_CHECKING:
    import httpx
    from opentelemetry.sdk.trace import TracerProvider

EXTENSION: Final = "tracing"
REQUEST_ID: Final = "app.request_id"


class TracingSettings(Settings):
    """Where spans go, and how many traces are kept (see the module)."""

    # The collector's OTLP/HTTP address (spans go to <it>/v1/traces); None: off.
    TRACING_ENDPOINT: Annotated[str | None, Field(pattern=r"^https?://")] = None
    # The share of the traces started here that are recorded, 0 to 1.
    TRACING_SAMPLE_RATIO: Annotated[float, Field(ge=0, le=1)] = 1.0


def init_app(app: Quart) -> None:
    """Make the app's tracer provider, if ``TRACING_ENDPOINT`` is set."""
    endpoint = app.config["TRACING_ENDPOINT"]
    if not endpoint:
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
        OTLPSpanExporter,
    )
    from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_VERSION, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    this = service()
    provider = TracerProvider(
        resource=Resource.create(
            {SERVICE_NAME: this.name, SERVICE_VERSION: this.version}
        ),
        sampler=ParentBased(TraceIdRatioBased(app.config["TRACING_SAMPLE_RATIO"])),
    )
    exporter = OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter))
    app.extensions[EXTENSION] = provider
    app.before_request(_name_by_rule)

    @app.after_serving
    async def _flush() -> None:
        provider.shutdown()  # sends what is left


def wrap(app: Quart) -> None:
    """Put the ASGI middleware around the app, if tracing is on."""
    provider = app.extensions.get(EXTENSION)
    if provider is None:
        return
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    app.asgi_app = OpenTelemetryMiddleware(  # type: ignore[method-assign,assignment]
        app.asgi_app,
        tracer_provider=provider,
        server_request_hook=_with_request_id,
        exclude_spans=["receive", "send"],
    )


def instrument(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """``client``, traced if the current app traces (``app.core.outgoing`` calls it)."""
    provider: TracerProvider | None = (
        current_app.extensions.get(EXTENSION) if has_app_context() else None
    )
    if provider is not None:
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        HTTPXClientInstrumentor.instrument_client(client, tracer_provider=provider)
    return client


def _with_request_id(span: Any, scope: dict[str, Any]) -> None:
    if span.is_recording() and (request_id := current_request_id()):
        span.set_attribute(REQUEST_ID, request_id)


async def _name_by_rule() -> None:
    from opentelemetry import trace

    span = trace.get_current_span()
    rule = request.url_rule
    if span.is_recording() and rule is not None:
        span.update_name(f"{request.method} {rule.rule}")
        span.set_attribute("http.route", rule.rule)
