"""Part ``signals``: SIGTERM and SIGKILL in the middle of the mixed load.

On each database, twice (SIGTERM, then SIGKILL to the server and its
workers): ``Load`` runs, the signal is sent halfway through
``STRESS_SIGNAL_DURATION``, the load goes on until the server has exited,
and the table is read back (``tests.stress.ledger``). Then the race the
issue describes: ``LATE`` kept-alive connections each send a marked
``POST /addresses`` 20-120 ms after SIGTERM, in ``LATE_ROUNDS`` rounds on
fresh servers; each must be answered, or not run at all.

Targets: after SIGTERM, nothing executed without a response, nothing
acknowledged lost, nothing duplicated, and the server gone within its
graceful timeout; after SIGKILL, nothing acknowledged lost or duplicated
(a write cut by SIGKILL may be stored without an answer: reported, not
judged).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import subprocess
import time
from collections import Counter
from typing import Any, Final

from app.samples.addressbook.tests.ledger import Create, reconcile
from app.samples.addressbook.tests.stress_load import (
    READ_BACK,
    counts,
    new_tag,
    operations,
    readback_lines,
)
from app.samples.addressbook.tests.traffic import Load
from tests.bench.databases import fresh, kinds
from tests.bench.parts import Section, table, verdict
from tests.bench.serve import Running
from tests.stress.parts import Part, Stress
from tests.stress.servers import host, kill_tree, serve
from tests.stress.wire import UnparsableError, Wire, request
from tests.support.live import shipped

LATE: Final = 50  # connections that send a request just after SIGTERM
LATE_ROUNDS: Final = 3
LATE_FROM_S: Final = 0.020
LATE_TO_S: Final = 0.120
EXIT_MARGIN_S: Final = 2.0  # beyond graceful_timeout before the exit is late
AFTER_EXIT_S: Final = 0.5  # load kept on after the exit: refused connections
JSON_TYPE: Final = (("Content-Type", "application/json"),)
# What a request after SIGTERM must not meet: run without an answer, an error
# answered for a write that ran (a client retrying it writes twice), any
# answer without Connection: close (the client would send more on it).
LATE_JUDGED: Final = (
    "lost",
    "duplicated",
    "executed_without_response",
    "written_despite_error",
    "kept_open",
)


def run(stress: Stress) -> Section:
    """Each signal on each database, then the late requests after SIGTERM."""
    runs: dict[str, dict[str, Any]] = {}
    verdicts: dict[str, str] = {}
    texts: list[str] = []
    graceful = float(shipped("graceful_timeout") or 0)
    for kind in kinds():
        for sig in (signal.SIGTERM, signal.SIGKILL):
            name = f"{kind} {sig.name}"
            found, lines = _mid_load(stress, kind, sig, graceful)
            runs[name] = found
            texts += [f"{name} at {stress.sizes.signal_duration / 2:g} s:", *lines, ""]
            judged = ["lost", "duplicated", "unexplained_versions", "wrong_reads"]
            if sig == signal.SIGTERM:
                judged += ["executed_without_response", "written_despite_error"]
                clean = found["exit_code"] == 0
                in_time = found["exit_s"] <= graceful + EXIT_MARGIN_S
                verdicts[f"signals {name}: exit 0 within graceful_timeout"] = verdict(
                    clean and in_time
                )
            verdicts[f"signals {name}: read-back"] = verdict(
                not any(found[key] for key in judged)
            )
        late_ok = True
        for attempt in range(LATE_ROUNDS):  # a race: each round is one more chance
            late, lines = _late_requests(stress, kind)
            runs[f"{kind} late {attempt + 1}"] = late
            texts += lines
            late_ok &= not any(late[key] for key in LATE_JUDGED)
        texts.append("")
        verdicts[f"signals {kind}: requests 20-120 ms after SIGTERM"] = verdict(late_ok)
    figures: dict[str, Any] = {
        **runs,
        **{
            key: sum(run.get(key, 0) for run in runs.values())
            for key in ("requests", "lost", "duplicated")
        },
        # A 503 with Retry-After is how the kit refuses work once told to stop.
        "5xx": sum(run.get("5xx", 0) - run.get("503", 0) for run in runs.values()),
    }
    heading = "signals: SIGTERM and SIGKILL under load, then the read-back"
    return Section(figures, verdicts, "\n".join([heading, "", *texts]).rstrip())


def _mid_load(
    stress: Stress, kind: str, sig: signal.Signals, graceful: float
) -> tuple[dict[str, Any], list[str]]:
    log = stress.folder / f"signals-{kind}-{sig.name}.log"
    with fresh(kind, stress.folder) as database:
        with serve(log, database.env, database.workers) as running:
            load = Load(running.server.url, stress.sizes.connections, new_tag())
            exit_s, code = asyncio.run(
                _load_and_signal(load, running, sig, stress.sizes.signal_duration)
            )
        found = load.reconcile(database.rows(READ_BACK)).figures()
    counted = counts(load)
    lines = [
        *table(operations(load), left=1),
        f"exit {exit_s:.2f} s after {sig.name} (code {code}; graceful_timeout "
        f"{graceful:g} s); {counted['503']} x 503 (refused: stopping), "
        f"{counted['5xx'] - counted['503']} other 5xx, {counted['refused']} refused "
        f"connections, {counted['cut']} requests cut with no response",
        *readback_lines(found),
    ]
    found["wrong_reads"] = len(load.wrong_reads)
    return {**counted, **found, "exit_s": round(exit_s, 2), "exit_code": code}, lines


async def _load_and_signal(
    load: Load, running: Running, sig: signal.Signals, duration: float
) -> tuple[float, int | None]:
    """Run ``load``; signal halfway; stop the load once the server is gone."""
    stop = asyncio.Event()
    loading = asyncio.ensure_future(load.run(stop))
    await asyncio.sleep(duration / 2)
    if loading.done():  # it failed to start: say why
        await loading
    sent = time.monotonic()
    if sig == signal.SIGKILL:
        kill_tree(running, sig)
    else:
        running.server.process.send_signal(sig)
    process = running.server.process
    code = await asyncio.to_thread(_exit_code, process, 3 * duration + 30)
    exited = time.monotonic() - sent
    await asyncio.sleep(AFTER_EXIT_S)
    stop.set()
    await loading
    return exited, code


def _exit_code(process: subprocess.Popen[bytes], timeout: float) -> int | None:
    """The exit code, or None if the process is still running after ``timeout``."""
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        return None


def _late_requests(stress: Stress, kind: str) -> tuple[dict[str, Any], list[str]]:
    """``LATE`` kept-alive connections, each a POST 20-120 ms after SIGTERM."""
    tag = new_tag()
    log = stress.folder / f"signals-{kind}-late.log"
    with fresh(kind, stress.folder) as database:
        with serve(log, database.env, database.workers) as running:
            with contextlib.ExitStack() as stack:
                wires = [
                    stack.enter_context(contextlib.closing(Wire(running.server.bind)))
                    for _ in range(LATE)
                ]
                for wire in wires:  # each one request first: now kept alive
                    wire.send(request("GET", "/healthz", host(running)))
                    wire.response(time.monotonic() + 10)
                signalled = time.monotonic()
                running.server.process.send_signal(signal.SIGTERM)
                step = (LATE_TO_S - LATE_FROM_S) / (LATE - 1)
                for number, wire in enumerate(wires):
                    # Paces the requests across the window after the signal.
                    time.sleep(
                        max(
                            signalled + LATE_FROM_S + number * step - time.monotonic(),
                            0,
                        )
                    )
                    body = json.dumps({"full_name": f"{tag}-late-{number}"}).encode()
                    post = request("POST", "/addresses", host(running), JSON_TYPE, body)
                    wire.send(post)
                outcomes = [
                    _outcome(wire, f"{tag}-late-{number}")
                    for number, wire in enumerate(wires)
                ]
            creates = [create for create, _ in outcomes]
            kept_open = sum(not closing for _, closing in outcomes)
            _exit_code(running.server.process, 30)
        rows = database.rows(READ_BACK)
    found = reconcile(tag, creates, [], [], [], rows).figures()
    found["kept_open"] = kept_open
    answered = Counter(c.status for c in creates if c.status is not None)
    cut = sum(c.status is None for c in creates)
    statuses = ", ".join(f"{n} x {status}" for status, n in sorted(answered.items()))
    lines = [
        f"{kind}: {LATE} kept-alive connections, a POST on each 20-120 ms after "
        f"SIGTERM: {statuses or 'no answer'}; {cut} with no response; "
        f"{kept_open} answered without Connection: close",
        *readback_lines(found, contended=False),
    ]
    return found, lines


def _outcome(wire: Wire, marker: str) -> tuple[Create, bool]:
    """What the client was told, and whether an answer said Connection: close."""
    try:
        answer = wire.response(time.monotonic() + 15)
    except (TimeoutError, UnparsableError) as error:
        return Create(marker, None, False, type(error).__name__, None), True
    if answer is None:
        return Create(marker, None, False, "closed with no response", None), True
    created = json.loads(answer.body).get("id") if answer.status == 201 else None
    closing = (answer.header("connection") or "").lower() == "close"
    return Create(marker, answer.status, False, "", created), closing


PART: Final = Part(
    "signals", "SIGTERM and SIGKILL under load (~30 s per database)", run
)
