"""Prometheus metrics at ``/metrics``, summed over every Hypercorn worker process.

``METRICS`` turns them on; unset, they are on in development and off in
production. With ``METRICS_TOKEN`` set, ``/metrics`` answers only requests
that carry ``Authorization: Bearer <token>``. Off, prometheus-client is
never imported and nothing is recorded.

What the core records (the request-id middleware times each request, so it
records them too, in ``app.core.request_log``):

- ``http_requests_total`` and ``http_request_duration_seconds`` (a
  histogram), by ``route`` (the URL rule, such as ``/addresses/<uuid:id>``,
  never the path itself, whose values have no bound; ``<unmatched>`` when no
  rule matched), ``method`` (``other`` for methods HTTP does not define) and
  ``status``; WebSockets are left out, their length is not a latency;
- ``http_requests_in_flight``;
- what the core's parts register with ``counter`` and ``gauge``: the
  database's pool (``app.core.database``) and the response cache's hits and
  misses (``app.core.cache``). A feature registers its own the same way, and
  may refresh a gauge just before each scrape (``on_scrape``).

**Several workers.** Each process writes its values to files in one folder
(prometheus-client's multiprocess mode), and ``/metrics``, in whichever
worker answers, reads them all. The request metrics are written at most
``WRITE_EVERY_S`` after a request, at once by the worker answering the
scrape, and when a worker stops (``Recorder``). The folder must be named in
``PROMETHEUS_MULTIPROC_DIR`` before prometheus-client is imported, and must
not hold an earlier run's files, so ``init_app`` sets it itself: a folder per
server run (the Hypercorn master's process id and start time) under
``<tmp>/<service>-metrics/``, where each worker finds its siblings' files;
the folders of runs that have ended are removed at the next start. A worker
that has stopped takes its gauges with it at the next scrape; its counts
stay in the sums.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import multiprocessing
import os
import secrets
import shutil
import sys
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal, TypeVar, cast

from pydantic import Field
from quart import Blueprint, Quart, Response, current_app, request
from quart import Request as QuartRequest
from quart_rate_limiter import rate_exempt
from quart_schema import hide
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

from app.core.service import service
from app.core.settings import Secret, Settings

if TYPE_CHECKING:
    from prometheus_client import Counter, Gauge, Histogram

EXTENSION: Final = "metrics"
VARIABLE: Final = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED: Final = "<unmatched>"
METHODS: Final = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)
# Seconds: from a cached answer (about a millisecond) to a slow upload.
BUCKETS: Final = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1,
    2.5,
    5,
    10,
)
LABELS: Final = ("route", "method", "status")
# Seconds a worker's requests may wait to be written to its files.
WRITE_EVERY_S: Final = 1.0

M = TypeVar("M")
# How a gauge's values from each worker add up (prometheus-client's names).
Mode = Literal[
    "livesum",
    "liveall",
    "livemax",
    "livemin",
    "livemostrecent",
    "sum",
    "all",
    "max",
    "min",
    "mostrecent",
]

# The request Quart made of the scope being served (set by the core's
# connection class, ``app.core``): its URL rule, once matched, is the route
# label. Read after the answer, so a
# request refused after routing (a 429) keeps its route; no hook is needed,
# which cost more than a metric's write (docs/benchmark.md).
serving: ContextVar[QuartRequest | None] = ContextVar("metrics_serving", default=None)
# Metrics are the process's, not an app's: made once, whichever app asks.
_made: dict[str, Any] = {}

blueprint = Blueprint("metrics", __name__)
logger = logging.getLogger(__name__)


class MetricsSettings(Settings):
    """Whether ``/metrics`` answers, and who may read it."""

    # None: on in development, off in production.
    METRICS: bool | None = None
    # Set: /metrics asks for "Authorization: Bearer <this>".
    METRICS_TOKEN: Annotated[str | None, Secret(), Field(min_length=16)] = None


class Recorder:
    """The request metrics, recorded by the request-id middleware.

    A worker counts its requests in memory and writes them to its files
    ``WRITE_EVERY_S`` after the first one since the last write, and just
    before it answers a scrape, and when it stops. Written for each request,
    the count, the histogram's sum and bucket and the requests in flight up
    and down took five locked writes to prometheus-client's files, more than
    the rest of the metrics' cost by far (docs/benchmark.md). So a scrape
    answered by one worker sees the others' requests up to that long late,
    and a worker that is killed (not stopped) loses that much.
    """

    EXTENSION: Final = "metrics.recorder"

    def __init__(self) -> None:
        self.requests = counter(
            "http_requests_total", "HTTP requests answered.", LABELS
        )
        self.durations = _histogram(
            "http_request_duration_seconds", "Seconds to answer.", LABELS
        )
        self.in_flight = gauge("http_requests_in_flight", "HTTP requests being served.")
        # Label lookups cost more than the increments: each set once.
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        self._serving = 0
        self._answered: dict[tuple[str, str, int], _Tally] = {}
        self._write: asyncio.TimerHandle | None = None

    def started(self) -> None:
        """A request came in."""
        serving.set(None)
        self._serving += 1
        self._write_soon()

    def finished(self, method: str, status: int, seconds: float) -> None:
        """That request has been answered (or its client has gone)."""
        self._serving -= 1
        request = serving.get()
        rule = None if request is None else request.url_rule
        route = UNMATCHED if rule is None else rule.rule
        key = (route, method if method in METHODS else "other", status)
        tally = self._answered.get(key)
        if tally is None:
            tally = self._answered[key] = _Tally()
        tally.add(seconds)
        self._write_soon()

    def write(self) -> None:
        """Write what this worker has counted since its last write to its files."""
        self._write = None
        self.in_flight.set(self._serving)
        answered, self._answered = self._answered, {}
        for key, tally in answered.items():
            children = self._children.get(key)
            if children is None:
                labels = (key[0], key[1], str(key[2]))
                children = (
                    self.requests.labels(*labels),
                    self.durations.labels(*labels),
                )
                self._children[key] = children
            children[0].inc(tally.count)
            _observed(children[1], tally)

    def _write_soon(self) -> None:
        # A timer whose time has passed belongs to a loop that has stopped
        # (tests run an app on several).
        loop = asyncio.get_running_loop()
        if self._write is None or self._write.when() < loop.time():
            self._write = loop.call_later(WRITE_EVERY_S, self.write)


class _Tally:
    """Requests with one set of labels since the last write."""

    __slots__ = ("buckets", "count", "seconds")

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0
        self.buckets = [0] * (len(BUCKETS) + 1)  # the last: +Inf

    def add(self, seconds: float) -> None:
        """One more request, answered in ``seconds``."""
        self.count += 1
        self.seconds += seconds
        # The first bound at or above it, as Histogram.observe picks.
        self.buckets[bisect.bisect_left(BUCKETS, seconds)] += 1


def _observed(histogram: Histogram, tally: _Tally) -> None:
    """Add a tally's observations to ``histogram``, as many ``observe`` calls would.

    prometheus-client has no call for many observations at once; its
    histogram keeps its sum and each bucket's own count (not cumulative) in
    ``_sum`` and ``_buckets``, one value per upper bound, which this adds to.
    ``tests/core/test_metrics.py`` holds the result to ``observe``'s.
    """
    histogram._sum.inc(tally.seconds)
    for bucket, count in zip(histogram._buckets, tally.buckets, strict=True):
        if count:
            bucket.inc(count)


def init_app(app: Quart) -> None:
    """Serve ``/metrics`` and record requests if ``METRICS`` (or ``ENV``) says so."""
    on = app.config["METRICS"]
    if on is None:
        on = app.config["ENV"] == "development"
    if not on:
        return
    directory = _run_folder()
    os.environ[VARIABLE] = str(directory)
    from prometheus_client import values  # only now that the folder is named

    if not values.ValueClass._multiprocess:
        raise RuntimeError(
            f"prometheus_client was imported before {VARIABLE} was set; "
            "import it only through app.core.metrics"
        )
    app.extensions[EXTENSION] = _Scrape(directory)
    recorder = app.extensions[Recorder.EXTENSION] = Recorder()
    app.after_serving(recorder.write)  # a worker that stops keeps its counts
    app.register_blueprint(blueprint)


def enabled(app: Quart) -> bool:
    """Whether ``app`` records metrics."""
    return EXTENSION in app.extensions


def counter(name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
    """The process's counter ``name``; call only when ``enabled(app)``."""
    from prometheus_client import Counter

    return _make(name, lambda: Counter(name, documentation, labels, registry=None))


def gauge(
    name: str, documentation: str, labels: Sequence[str] = (), mode: Mode = "livesum"
) -> Gauge:
    """The process's gauge ``name``; call only when ``enabled(app)``.

    ``mode`` says how the workers' values add up (prometheus-client's
    ``multiprocess_mode``): ``livesum`` (the default) sums the running
    workers' values; ``mostrecent`` keeps the last value set by any, for
    what every worker sees alike (a table's row count).
    """
    from prometheus_client import Gauge

    return _make(
        name,
        lambda: Gauge(
            name, documentation, labels, registry=None, multiprocess_mode=mode
        ),
    )


def on_scrape(app: Quart, refresh: Callable[[], Awaitable[None]]) -> None:
    """Await ``refresh`` before each ``/metrics`` answer (to set a gauge)."""
    scrape: _Scrape | None = app.extensions.get(EXTENSION)
    if scrape is not None:
        scrape.refreshes.append(refresh)


@blueprint.get("/metrics")
@rate_exempt
@hide
async def metrics() -> Response:
    """Prometheus metrics of every worker process, in the text exposition format."""
    token = current_app.config["METRICS_TOKEN"]
    if token is not None and not secrets.compare_digest(
        request.headers.get("Authorization", "").encode(), f"Bearer {token}".encode()
    ):
        raise Unauthorized(
            "A valid bearer token is required.",
            www_authenticate=WWWAuthenticate("bearer"),
        )
    current_app.extensions[Recorder.EXTENSION].write()
    scrape: _Scrape = current_app.extensions[EXTENSION]
    for refresh in scrape.refreshes:
        try:
            await refresh()
        except Exception as error:  # its gauge stays as it was; the rest answers
            logger.warning("metrics: %s failed: %r", refresh.__qualname__, error)
    from prometheus_client import CONTENT_TYPE_LATEST

    body = await asyncio.to_thread(scrape.render)
    return Response(body, content_type=CONTENT_TYPE_LATEST)


class _Scrape:
    """What ``/metrics`` reads: every process's files, after the refreshes."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.refreshes: list[Callable[[], Awaitable[None]]] = []

    def render(self) -> bytes:
        from prometheus_client import CollectorRegistry, generate_latest, multiprocess

        # A worker that has stopped takes its gauges with it (its counts stay).
        for path in self.directory.glob("gauge_live*_*.db"):
            pid = int(path.stem.rpartition("_")[2])
            if not _running(pid):
                multiprocess.mark_process_dead(  # type: ignore[no-untyped-call]
                    pid, str(self.directory)
                )
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(  # type: ignore[no-untyped-call]
            registry, str(self.directory)
        )
        return generate_latest(registry)


def _histogram(name: str, documentation: str, labels: Sequence[str]) -> Histogram:
    from prometheus_client import Histogram

    return _make(
        name,
        lambda: Histogram(name, documentation, labels, registry=None, buckets=BUCKETS),
    )


def _make(name: str, make: Callable[[], M]) -> M:
    if name not in _made:
        _made[name] = make()
    return cast(M, _made[name])


def _run_folder() -> Path:
    """This server run's folder, made if need be; ended runs' folders removed."""
    parent = multiprocessing.parent_process()  # the Hypercorn master, with workers
    pid = parent.pid if parent is not None and parent.pid else os.getpid()
    root = Path(tempfile.gettempdir()) / f"{service().name}-metrics"
    folder = root / f"{pid}-{_started(pid)}"
    for other in root.glob("*-*") if root.is_dir() else ():
        other_pid, _, started = other.name.partition("-")
        if (
            other != folder
            and other_pid.isdigit()
            and _started(int(other_pid)) != started
        ):
            shutil.rmtree(other, ignore_errors=True)  # its run has ended
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's: running
        pass
    return True


def _started(pid: int) -> str:
    """When process ``pid`` started (clock ticks since boot), or "" if it is gone.

    A process id alone is reused: the first process of a container is always 1.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        # Gone; or no /proc, and whether it runs is all there is to know.
        return "0" if sys.platform != "linux" and _running(pid) else ""
    return stat.rpartition(")")[2].split()[19]
