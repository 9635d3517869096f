"""Part ``fuzz``: hypothesis on the body loader and the response encoders, in process.

Each property runs for ``STRESS_EXAMPLES`` examples, each example within
``STRESS_FUZZ_DEADLINE_MS`` (hypothesis's deadline), on an app from
``create_app`` with its start-up hooks run (``tests.stress.strategies`` says
what is sent):

- ``respond`` and ``yamlify`` of any data a body can hold, for any
  ``Accept``: a 406, or an answer that reads back as the same data;
- ``load_body`` then ``respond`` then ``yamlify`` (``app.core.parsing`` and
  ``app.core.responses`` through a request context), for any body,
  ``Content-Type`` and ``Accept``: a 4xx ``HTTPException`` is a right
  answer, anything else raised is what a client would get as a 500;
- ``Request.get_json``, what quart-schema's validation calls: a value or a 400;
- ``load_body`` then ``respond`` for ``STRESS_BIG_EXAMPLES`` bodies near the
  size limit (``strategies.big_bodies``: thousands of items, long text): a
  4xx or an answer, each within the deadline plus ``MS_PER_MIB`` per MiB;
- through the test client, on SQLite and on PostgreSQL when it is there, the
  samples' routes that take input (``strategies.calls``): never a 5xx, and a
  JSON answer is strict JSON.

The first failing example of each property, shrunk, is reported.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Coroutine, Iterator
from datetime import timedelta
from typing import Any, Final

import yaml
from hypothesis import HealthCheck, Verbosity, given, settings
from quart import Quart
from werkzeug.exceptions import HTTPException

from app import create_app
from app.core.parsing import load_body
from app.core.responses import respond, yamlify
from tests.bench.databases import fresh, kinds
from tests.bench.parts import Section, number, table, verdict
from tests.stress.parts import Part, Sizes, Stress, installed
from tests.stress.strategies import (
    Call,
    accepts,
    big_accepts,
    big_bodies,
    calls,
    plain,
    typed_bodies,
)

Work = Coroutine[Any, Any, None]
# Time a body near the size limit may take per MiB, on top of the deadline:
# linear work (parsing, dumping) fits, a loop quadratic in the body does not.
MS_PER_MIB: Final = 4000


def _four(error: HTTPException) -> None:
    code = error.code or 500
    if not 400 <= code < 500:
        raise AssertionError(f"{code} {error.description}")


def _refuse(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


async def _round_trip(app: Quart, data: Any, accept: str) -> None:
    async with app.test_request_context("/fuzz", headers={"Accept": accept}):
        try:
            response = respond(data)
        except HTTPException as error:
            _four(error)
            return
        body = await response.get_data()
    if response.mimetype == "application/json":
        back = json.loads(body, parse_constant=_refuse)
    else:
        back = yaml.safe_load(body)
    if back != data:
        raise AssertionError(f"{response.mimetype} gave back {back!r}")
    if (again := yaml.safe_load(yamlify(data)[0])) != data:
        raise AssertionError(f"yamlify gave back {again!r}")


async def _load_and_answer(
    app: Quart, body: bytes, media: str, accept: str, dump: bool = True
) -> None:
    headers = {"Content-Type": media, "Accept": accept}
    async with app.test_request_context(
        "/fuzz", method="POST", headers=headers, data=body
    ):
        try:
            data = await load_body()
            response = respond(data)
        except HTTPException as error:
            _four(error)
            return
        await response.get_data()
        if dump:  # views call yamlify on what they are given, whole
            yamlify(data)


async def _get_json(app: Quart, body: bytes, media: str) -> None:
    headers = {"Content-Type": media}
    async with app.test_request_context(
        "/fuzz", method="POST", headers=headers, data=body
    ) as context:
        try:
            json.dumps(await context.request.get_json(), allow_nan=False)
        except HTTPException as error:
            _four(error)


async def _through(app: Quart, call: Call) -> None:
    method, path, body, content_type, accept = call
    client = app.test_client()
    send = {"GET": client.get, "POST": client.post, "PUT": client.put}[method]
    headers = {"Content-Type": content_type, "Accept": accept}
    response = await send(path, data=body, headers=headers)
    if response.status_code >= 500:
        raise AssertionError(f"{method} {path}: {response.status_code}")
    if response.mimetype == "application/json":
        answer = await response.get_data()
        try:
            json.loads(answer, parse_constant=_refuse)
        except ValueError as error:
            raise AssertionError(
                f"{method} {path}: {response.status_code} with a body that is "
                f"not JSON ({error}): {answer[:200]!r}"
            ) from None


Runner = Callable[[Work], float]


@contextlib.contextmanager
def _serving(config: dict[str, Any]) -> Iterator[tuple[Quart, Runner]]:
    """An app started on an event loop of its own, and a runner that times work."""
    app = create_app({"TESTING": True, "ACCESS_LOG": "off", **config})
    loop = asyncio.new_event_loop()
    loop.run_until_complete(app.startup())

    def timed(work: Work) -> float:
        started = time.perf_counter()
        loop.run_until_complete(work)
        return time.perf_counter() - started

    try:
        yield app, timed
    finally:
        loop.run_until_complete(app.shutdown())
        loop.close()


def _check(
    name: str, test: Callable[[], None], durations: list[float]
) -> dict[str, Any]:
    """Run one property; its examples' times, and its first failure if any."""
    started = time.monotonic()
    failure = ""
    try:
        test()
    except Exception as error:  # hypothesis re-raises what the example raised
        failure = "; ".join(_describe(e) for e in _leaves(error))[:1500]
    ordered = sorted(durations) or [0.0]
    return {
        "property": name,
        "examples": len(durations),
        "seconds": round(time.monotonic() - started, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
        "p99_ms": round(ordered[int(len(ordered) * 0.99)] * 1000, 1),
        "failure": failure,
    }


def _leaves(error: BaseException) -> list[BaseException]:
    """The failures in ``error``: hypothesis groups distinct ones."""
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in _leaves(inner)]
    return [error]


def _describe(error: BaseException) -> str:
    """The error and its shrunk example (hypothesis puts it in the notes)."""
    notes = " ".join(" ".join(getattr(error, "__notes__", [])).split())
    return f"{type(error).__name__}: {str(error)[:300]} ({notes[:400]})"


def _core(app: Quart, run: Runner, config: settings) -> list[dict[str, Any]]:
    """The properties of ``app.core``'s parsing and responses."""
    times: list[list[float]] = [[], [], []]

    @config
    @given(data=plain, accept=accepts)
    def round_trip(data: Any, accept: str) -> None:
        times[0].append(run(_round_trip(app, data, accept)))

    @config
    @given(sent=typed_bodies, accept=accepts)
    def load_and_answer(sent: tuple[bytes, str], accept: str) -> None:
        times[1].append(run(_load_and_answer(app, *sent, accept)))

    @config
    @given(sent=typed_bodies)
    def get_json(sent: tuple[bytes, str]) -> None:
        times[2].append(run(_get_json(app, *sent)))

    return [
        _check("respond and yamlify give back the data", round_trip, times[0]),
        _check("load_body, respond, yamlify: 4xx or answer", load_and_answer, times[1]),
        _check("Request.get_json: 400 or a value", get_json, times[2]),
    ]


def _sized(app: Quart, run: Runner, config: settings, sizes: Sizes) -> dict[str, Any]:
    """Bodies near the size limit: each answered within a time that grows with it.

    The bound is the deadline plus ``MS_PER_MIB`` for each MiB of body, so
    work that grows faster than the body (a quadratic loop) fails, and work
    in proportion to it does not.
    """
    times: list[float] = []
    deadline_ms = config.deadline.total_seconds() * 1000 if config.deadline else 0

    @settings(config, max_examples=sizes.big_examples, deadline=None)
    @given(sent=big_bodies, accept=big_accepts)
    def sized(sent: tuple[bytes, str], accept: str) -> None:
        body, media = sent
        took = run(_load_and_answer(app, body, media, accept, dump=False))
        times.append(took)
        bound_ms = deadline_ms + MS_PER_MIB * len(body) / 2**20
        if took * 1000 > bound_ms:
            raise AssertionError(
                f"{len(body):,} bytes of {media}, answered as {accept}, took "
                f"{took * 1000:.0f} ms, over {bound_ms:.0f} ms"
            )

    return _check("bodies near the size limit: 4xx or answer, in time", sized, times)


def _routes(kind: str, app: Quart, run: Runner, config: settings) -> dict[str, Any]:
    """The samples' routes that take input, through the test client."""
    times: list[float] = []

    @config
    @given(call=calls())
    def through(call: Call) -> None:
        times.append(run(_through(app, call)))

    return _check(f"samples' routes on {kind}: never a 5xx", through, times)


def _properties(stress: Stress, config: settings) -> list[dict[str, Any]]:
    results = []
    sampled = installed("tour") or installed("addressbook")
    for kind in kinds():
        with fresh(kind, stress.folder) as database:
            where = {"DATABASE_URL": database.url}
            if database.schema:
                where["DATABASE_SCHEMA"] = database.schema
            with _serving(where) as (app, run):
                if kind == "sqlite":
                    results += _core(app, run, config)
                    results.append(_sized(app, run, config, stress.sizes))
                if sampled:
                    results.append(_routes(kind, app, run, config))
    return results


def run(stress: Stress) -> Section:
    """Each property against a fresh app."""
    deadline = number("STRESS_FUZZ_DEADLINE_MS", 500)
    config = settings(
        max_examples=stress.sizes.examples,
        deadline=timedelta(milliseconds=deadline),
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.normal,  # the failing example goes into the notes
    )
    results = _properties(stress, config)
    rows = [("property", "examples", "max", "p99", "seconds", "")]
    for r in results:
        rows.append(
            (
                r["property"],
                str(r["examples"]),
                f"{r['max_ms']:.0f}ms",
                f"{r['p99_ms']:.0f}ms",
                f"{r['seconds']:.0f}",
                "ok" if not r["failure"] else "FAIL",
            )
        )
    lines = [
        f"fuzz: hypothesis, {stress.sizes.examples} examples per property, "
        f"deadline {deadline:g} ms per example",
        "",
        *table(rows),
        *(f"  {r['property']}: {r['failure']}" for r in results if r["failure"]),
    ]
    figures = {
        "examples": sum(r["examples"] for r in results),
        "failed_properties": sum(bool(r["failure"]) for r in results),
        "properties": results,
    }
    verdicts = {f"fuzz: {r['property']}": verdict(not r["failure"]) for r in results}
    return Section(figures, verdicts, "\n".join(lines))


PART: Final = Part("fuzz", "hypothesis on the body loader and encoders (~1 min)", run)
