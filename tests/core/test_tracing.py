"""Tracing: off and not imported by default; on, spans reach a real OTLP/HTTP receiver.

The receiver (``tests.support.receiver``) stands in for a collector: the
exporter posts protobuf to it, which the test decodes with OpenTelemetry's
own proto classes. The probe's ``/probe/call`` makes an outgoing call, to
the same receiver, so the test sees the child span and the ``traceparent``
it carried.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)

from tests.support.live import ROOT, migrated_copy
from tests.support.probe import create_probe_app
from tests.support.receiver import Call, Receiver


@pytest.fixture
def collector() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.stop()


def _spans(calls: list[Call]) -> list[Any]:
    spans = []
    for call in calls:
        if call.path == "/v1/traces":
            export = ExportTraceServiceRequest.FromString(call.body)
            for resource in export.resource_spans:
                for scope in resource.scope_spans:
                    spans += scope.spans
    return spans


def _attributes(span: Any) -> dict[str, Any]:
    return {
        item.key: getattr(item.value, item.value.WhichOneof("value"))
        for item in span.attributes
    }


async def test_a_request_and_its_outgoing_call_are_one_trace(
    collector: Receiver, tmp_path: Path
) -> None:
    app = create_probe_app(
        {
            "TESTING": True,
            "DATABASE_URL": migrated_copy(tmp_path / "a.db"),
            "TRACING_ENDPOINT": collector.url.removesuffix("/hook"),
        }
    )
    async with app.test_app():
        answer = await app.test_client().get(
            "/probe/call", query_string={"url": f"{collector.url}?identifier=x"}
        )
        assert answer.status_code == 200
    # The app stopped serving: the last batch has been sent.
    calls = collector.wait_until(lambda calls: any(c.body for c in calls))
    (hook,) = [c for c in calls if c.path == "/hook"]
    by_kind = {span.kind: span for span in _spans(calls)}
    server = by_kind[2]  # SPAN_KIND_SERVER
    client = by_kind[3]  # SPAN_KIND_CLIENT
    assert server.name == "GET /probe/call"  # the rule, not the raw path
    assert _attributes(server)["app.request_id"] == answer.headers["X-Request-Id"]
    assert client.trace_id == server.trace_id
    assert client.parent_span_id == server.span_id
    # The called service was told the trace and the parent: W3C traceparent.
    _, trace_id, parent, _ = hook.headers["traceparent"].split("-")
    assert (trace_id, parent) == (client.trace_id.hex(), client.span_id.hex())


def test_off_by_default_nothing_of_it_is_imported() -> None:
    script = (
        "import sys; from tests.support.probe import create_probe_app; "
        "create_probe_app({'TESTING': True}); "
        "print(sorted({m.split('.')[0] for m in sys.modules if 'opentelemetry' in m}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "[]"
