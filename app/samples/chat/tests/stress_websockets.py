"""Part ``websockets``: the storms of the issue, on raw sockets and real servers.

- **Unfinished fragmented messages**: ``STRESS_WS_FRAGMENTED`` sockets on
  ``/ws/echo`` (no credentials needed) each send a text message in 64 KiB
  fragments that never ends, up to 16 MiB. Each must be closed with 1009,
  and the server's memory must stay within ``RSS_BOUND`` x its idle memory.
- **Silent sockets**: with ``WS_IDLE_TIMEOUT`` shortened to
  ``STRESS_WS_IDLE_S``, sockets that send nothing (but answer pings) must be
  closed by the app with 1001 at that timeout, not cut by Hypercorn's
  ``read_timeout``; once with the shipped timeouts scaled down in the same
  ratio (``read_timeout`` and ``websocket_ping_interval`` of
  ``hypercorn.toml`` x idle / the default idle), once with a
  ``read_timeout`` longer than the idle timeout.
- **Handshake storm** (``tests.stress.handshakes``) and **protocol errors**:
  invalid UTF-8 must close with 1007, an unmasked frame, a reserved bit and
  the like with 1002, in a close frame (RFC 6455 §7.1.7), not a bare TCP close.
"""

from __future__ import annotations

import contextlib
import select
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from app.core.websockets import WebSocketSettings
from app.samples.chat.tests import handshakes
from app.samples.chat.tests.protocol_errors import protocol_errors
from tests.bench.parts import Section, verdict
from tests.bench.serve import Running, rss_mib, wait_until_idle
from tests.stress.frames import (
    CONTINUATION,
    TEXT,
    Ending,
    connect,
    ending,
    frame,
)
from tests.stress.parts import RSS_BOUND, Part, Stress
from tests.stress.servers import flags, host, options, serve
from tests.support.live import shipped

FRAGMENT: Final = 64 * 1024
UNFINISHED: Final = 16 * 1024 * 1024 + FRAGMENT  # past Hypercorn's default limit
DEFAULT_IDLE_S: Final[float] = WebSocketSettings.model_fields["WS_IDLE_TIMEOUT"].default
SILENT: Final = 3  # silent sockets per server
IDLE_SLACK_S: Final = 1.5  # how early or late the idle close may come


def run(stress: Stress) -> Section:
    """Each storm in turn, each on a server of its own."""
    figures: dict[str, Any] = {}
    verdicts: dict[str, str] = {}
    texts: list[str] = []
    for check in (_fragmented, _silent, handshakes.storm, protocol_errors):
        found, passed, lines = check(stress)
        figures.update(found)
        verdicts.update(passed)
        texts += [*lines, ""]
    heading = "websockets: storms and protocol errors on real servers"
    return Section(figures, verdicts, "\n".join([heading, "", *texts]).rstrip())


def _fragmented(
    stress: Stress,
) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    count = stress.sizes.fragmented
    with serve(stress.folder / "ws-fragmented.log") as running:
        wait_until_idle([running])
        idle = rss_mib(running)
        with _peak(running) as peak:
            results: list[tuple[int, Ending]] = [
                (0, Ending(None, "", False, 0))
            ] * count
            sockets = [
                threading.Thread(target=_unfinished, args=(running, results, n))
                for n in range(count)
            ]
            for thread in sockets:
                thread.start()
            for thread in sockets:
                thread.join()
            wait_until_idle([running])  # the server may still be reading
        after = rss_mib(running)
        running.check_alive()
    top = max(peak, default=float("inf"))
    endings = Counter(_kind(result) for _, result in results)
    codes = [f"{n} x {kind}" for kind, n in endings.most_common()]
    latest = max(result.seconds for _, result in results)
    sent = sorted(size for size, _ in results)
    closed = all(result.code == 1009 for _, result in results)
    lines = [
        f"{count} sockets on /ws/echo, each an unfinished text message in "
        f"{FRAGMENT // 1024} KiB fragments (up to {UNFINISHED // 2**20} MiB):",
        f"  ended: {', '.join(codes)}, the last {latest:.1f} s after its first frame",
        f"  sent before the close was seen: {sent[0] / 2**20:.1f}-"
        f"{sent[-1] / 2**20:.1f} MiB per socket",
        f"  server RSS: idle {idle:.0f} MiB, peak {top:.0f} MiB "
        f"({top / idle:.2f}x; bound {RSS_BOUND}x), after {after:.0f} MiB",
    ]
    found = {
        "fragmented": {
            "sockets": count,
            "rss_idle_mib": round(idle, 1),
            "rss_peak_mib": round(top, 1),
            "rss_after_mib": round(after, 1),
            "endings": codes,
        }
    }
    passed = {
        "websockets: unfinished fragments closed with 1009": verdict(closed),
        f"websockets: unfinished fragments RSS peak <= {RSS_BOUND}x idle": verdict(
            top <= RSS_BOUND * idle
        ),
    }
    return found, passed, lines


def _kind(result: Ending) -> str:
    if result.code is not None:
        return f"close frame {result.code}"
    return "TCP close, no close frame" if result.closed else "still open"


def _unfinished(running: Running, results: list[tuple[int, Ending]], n: int) -> None:
    wire, answer = connect(running.server.bind, "/ws/echo", host(running))
    if answer is None or answer.status != 101:
        results[n] = (0, Ending(None, f"handshake {answer}", True, 0))
        return
    chunk = b"x" * FRAGMENT
    sent = 0
    started = time.monotonic()
    while sent < UNFINISHED:
        readable, _, _ = select.select([wire.socket], [], [], 0)
        if readable:
            break  # the server has said something: its close, most likely
        opcode = TEXT if sent == 0 else CONTINUATION
        if not wire.send(frame(opcode, chunk, fin=False)):
            break
        sent += FRAGMENT
    results[n] = (sent, ending(wire, 15, started))
    wire.close()


@contextlib.contextmanager
def _peak(running: Running) -> Iterator[list[float]]:
    """The server's peak RSS while the block runs, as the kernel counts it.

    Sampling from a thread could miss a short peak; the kernel's high-water
    mark (``VmHWM``), reset first through ``clear_refs``, cannot. The
    server here is one process (no workers).
    """
    status = Path(f"/proc/{running.server.process.pid}/status")
    Path(status.parent, "clear_refs").write_text("5")
    samples: list[float] = []
    try:
        yield samples
    finally:
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                samples.append(int(line.split()[1]) / 1024)


def _silent(stress: Stress) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    idle = stress.sizes.idle_s
    scale = idle / DEFAULT_IDLE_S
    ping = shipped("websocket_ping_interval")
    read = shipped("read_timeout")
    runs = {
        "shipped timeouts, scaled": {
            **({"read_timeout": read * scale} if read else {}),
            **({"websocket_ping_interval": ping * scale} if ping else {}),
        },
        "read_timeout longer than the idle timeout": {"read_timeout": 3 * idle},
    }
    found: dict[str, Any] = {}
    passed: dict[str, str] = {}
    lines = [
        f"silent sockets on /ws/echo, WS_IDLE_TIMEOUT={idle} s: expected a close "
        f"frame 1001 'Idle for too long' after {idle} s (± {IDLE_SLACK_S} s)"
    ]
    for label, settings in runs.items():
        env = {"APP_WS_IDLE_TIMEOUT": str(idle)}
        log = stress.folder / f"ws-silent-{len(found)}.log"
        with serve(log, env, prefix=options(**settings)) as running:
            opened = [
                connect(running.server.bind, "/ws/echo", host(running))
                for _ in range(SILENT)
            ]
            try:
                started = time.monotonic()
                endings = [ending(wire, idle + 10, started) for wire, _ in opened]
            finally:
                for wire, _ in opened:
                    wire.close()
        upgraded = all(
            answer is not None and answer.status == 101 for _, answer in opened
        )
        good = upgraded and all(
            e.code == 1001 and abs(e.seconds - idle) <= IDLE_SLACK_S for e in endings
        )
        added = " ".join(flags(**settings))
        found[f"silent: {label}"] = [str(e) for e in endings]
        passed[f"websockets: silent sockets, {label}, closed 1001"] = verdict(good)
        lines.append(
            f"  {label} ({added or 'no override'}): "
            + "; ".join(sorted({str(e) for e in endings}))
        )
    return found, passed, lines


PART: Final = Part(
    "websockets", "fragments, silent sockets, handshake storm, protocol (~1 min)", run
)
