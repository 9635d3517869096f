"""Prometheus metrics at /metrics: by route template, summed over workers."""

from __future__ import annotations

import concurrent.futures
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from quart import Quart
from quart.typing import TestClientProtocol as _Client

from app.core import metrics
from app.core.metrics import BUCKETS, UNMATCHED, WRITE_EVERY_S
from app.core.service import service
from tests.support.live import ROOT, Server, migrated_copy
from tests.support.probe import PROBE_APP, create_probe_app
from tests.support.scrape import label_values, samples, value

TOKEN = "a-token-of-sixteen-or-more"
REQUESTS = "http_requests_total"
DURATIONS = "http_request_duration_seconds"


async def _scrape(client: _Client, **headers: str) -> str:
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=")
    return await response.get_data(as_text=True)


async def test_requests_count_by_route_template(client: _Client) -> None:
    labels = {"route": "/probe/cached/<name>", "method": "GET", "status": "200"}
    before = value(await _scrape(client), REQUESTS, **labels)
    for name in ("ada", "grace", "ada"):
        assert (await client.get(f"/probe/cached/{name}")).status_code == 200
    text = await _scrape(client)
    assert value(text, REQUESTS, **labels) == before + 3
    assert "/probe/cached/ada" not in text  # the template, never the path


async def test_durations_are_a_histogram(client: _Client) -> None:
    await client.get("/probe/hello")
    text = await _scrape(client)
    labels = {"route": "/probe/hello", "method": "GET", "status": "200"}
    buckets = {
        dict(found)["le"]
        for (name, found) in samples(text)
        if name == f"{DURATIONS}_bucket" and set(labels.items()) <= found
    }
    assert {"0.001", "0.1", "1.0", "+Inf"} <= buckets
    assert value(text, f"{DURATIONS}_count", **labels) >= 1
    assert value(text, f"{DURATIONS}_sum", **labels) > 0
    assert value(text, "http_requests_in_flight") == 1  # this scrape


async def test_requests_in_flight_are_counted_while_they_last(client: _Client) -> None:
    async with client.request("/probe/drain", method="POST") as upload:
        await upload.send(b"half of a body")  # served until the body ends
        assert value(await _scrape(client), "http_requests_in_flight") == 2
        await upload.send_complete()
        assert await upload.receive() is not None
    assert value(await _scrape(client), "http_requests_in_flight") == 1


async def test_a_stopping_app_writes_what_it_counted(tmp_path: Path) -> None:
    config = {"TESTING": True, "DATABASE_URL": migrated_copy(tmp_path / "app.db")}
    app = create_probe_app(config)
    labels = {"route": "/probe/teapot", "method": "GET", "status": "418"}
    before = value(_files(app), REQUESTS, **labels)
    async with app.test_app() as serving:
        client = serving.test_client()
        for _ in range(3):
            assert (await client.get("/probe/teapot")).status_code == 418
    # No scrape, and less than WRITE_EVERY_S: written when the app stopped.
    assert value(_files(app), REQUESTS, **labels) == before + 3


@pytest.mark.usefixtures("app")  # prometheus-client in multiprocess mode
def test_a_tally_writes_what_observe_would() -> None:
    from prometheus_client import Histogram

    durations = [0.0, 0.0004, 0.001, 0.0011, 0.25, 0.3, 9.9, 10.0, 10.5, 600.0]
    observed = Histogram("test_observed", ".", buckets=BUCKETS, registry=None)
    tallied = Histogram("test_tallied", ".", buckets=BUCKETS, registry=None)
    tally = metrics._Tally()
    for seconds in durations:
        observed.observe(seconds)
        tally.add(seconds)
    metrics._observed(tallied, tally)
    assert _histogram_samples(observed) == _histogram_samples(tallied)
    assert tally.count == len(durations)


def _histogram_samples(histogram: Any) -> list[tuple[str, dict[str, str], float]]:
    return [
        (sample.name.rpartition("_")[2], sample.labels, sample.value)
        for metric in histogram.collect()
        for sample in metric.samples
        if not sample.name.endswith("_created")
    ]


def _files(app: Quart) -> str:
    """What a scrape would read from the metrics files now, without a request."""
    scrape: metrics._Scrape = app.extensions[metrics.EXTENSION]
    return scrape.render().decode()


async def test_paths_no_rule_matches_share_one_label(client: _Client) -> None:
    await client.get("/nowhere")
    before = label_values(await _scrape(client), REQUESTS, "route")
    for path in ("/nowhere/1", "/nowhere/2", "/probe/hello/extra", "/%00"):
        assert (await client.get(path)).status_code in (400, 404)
    text = await _scrape(client)
    assert label_values(text, REQUESTS, "route") == before
    assert value(text, REQUESTS, route=UNMATCHED, method="GET", status="404") >= 4


async def test_unknown_methods_share_one_label(client: _Client) -> None:
    await client.open("/probe/hello", method="BREW")  # type: ignore[call-arg]
    text = await _scrape(client)
    assert "BREW" not in label_values(text, REQUESTS, "method")
    assert "other" in label_values(text, REQUESTS, "method")


async def test_database_pools_and_cache_are_reported(client: _Client) -> None:
    assert (await client.post("/probe/writes")).status_code == 201
    await client.get("/probe/cached/pools")
    await client.get("/probe/cached/pools")
    text = await _scrape(client)
    assert value(text, "database_pool_size", pool="writes") >= 1
    assert ("database_pool_in_use", frozenset({("pool", "writes")})) in samples(text)
    assert value(text, "cache_requests_total", result="hit") >= 1
    assert value(text, "cache_requests_total", result="miss") >= 1


@pytest.mark.parametrize("config", [{"TESTING": True, "RATE_LIMIT": "1/minute"}])
async def test_a_request_refused_by_a_hook_keeps_its_route(client: _Client) -> None:
    # The rate limits refuse in a before_request hook; the route is known by then.
    statuses = [(await client.get("/probe/teapot")).status_code for _ in range(2)]
    assert statuses == [418, 429]
    labels = {"route": "/probe/teapot", "method": "GET", "status": "429"}
    assert value(await _scrape(client), REQUESTS, **labels) == 1


@pytest.mark.parametrize("config", [{"TESTING": True, "METRICS_TOKEN": TOKEN}])
async def test_a_token_guards_metrics(client: _Client) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        response = await client.get("/metrics", headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].lower().startswith("bearer")
    await _scrape(client, Authorization=f"Bearer {TOKEN}")


@pytest.mark.parametrize("config", [{"TESTING": True, "METRICS": False}])
async def test_metrics_can_be_off(app: Quart, client: _Client) -> None:
    assert (await client.get("/metrics")).status_code == 404
    assert "metrics.recorder" not in app.extensions


@pytest.mark.parametrize(
    ("overrides", "served"),
    [({}, False), ({"METRICS": True, "METRICS_TOKEN": TOKEN}, True)],
)
def test_production_imports_prometheus_only_when_asked(
    overrides: dict[str, object], served: bool
) -> None:
    # A process of its own: this one has imported prometheus-client already.
    # The core alone, as create_app installs it: the samples need secrets too.
    code = (
        "import sys; from tests.support.probe import create_core_app; "
        "from tests.core.test_settings import PRODUCTION; "
        f"app = create_core_app({{**PRODUCTION, **{overrides!r}}}); "
        "print('prometheus_client' in sys.modules, "
        "'/metrics' in {r.rule for r in app.url_map.iter_rules()})"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == [str(served), str(served)]


def test_workers_are_summed_in_one_scrape(
    start_server: Callable[..., Server],
) -> None:
    server = start_server(target=PROBE_APP, workers=2).start()
    count = 200

    def get(path: str) -> int:
        # A new connection each time, so that both workers take some.
        return httpx.get(f"{server.url}{path}", timeout=10).status_code

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        assert set(pool.map(get, ["/probe/hello"] * count)) == {200}
    labels = {"route": "/probe/hello", "method": "GET", "status": "200"}
    # The worker answering writes its own at once; the other within a second.
    deadline = time.monotonic() + 3 * WRITE_EVERY_S
    while True:
        text = httpx.get(f"{server.url}/metrics", timeout=10).text
        counted = value(text, REQUESTS, **labels)
        assert counted <= count
        if counted == count or time.monotonic() > deadline:
            break
    assert counted == count
    assert value(text, f"{DURATIONS}_count", **labels) == count
    # Both workers counted some: each writes a file of its own.
    root = Path(tempfile.gettempdir()) / f"{service().name}-metrics"
    (folder,) = root.glob(f"{server.process.pid}-*")
    assert len(list(folder.glob("counter_*.db"))) == 2
