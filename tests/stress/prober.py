"""``/healthz`` probed on a fixed 20 ms schedule, from a process of its own.

Each probe is a new connection (as a load balancer's check is) with
``GET /healthz``; its latency is connect to the last byte of the body. The
schedule does not wait for a slow probe: every slot that passes while one is
in flight counts as a sample of its own, with the latency a client arriving
at that slot would have seen (until the slow probe's answer), so a long stall
weighs in the percentiles as the many clients it held up, not as one
(``slots``). The prober runs in a separate process (``python -m
tests.stress.prober BIND``, which stops at a line on its stdin and prints
what it saw as JSON), so that the attacking threads of the suite's own
process, holding its GIL, do not add to the latency it measures. It imports
nothing but the standard library. Each probe is stamped with
``time.monotonic()``, the same clock in every process on Linux, so a slow
probe can be matched with what the attack was doing.
"""

from __future__ import annotations

import http.client
import json
import math
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

INTERVAL_S: Final = 0.02
TIMEOUT_S: Final = 5.0
TARGET_P99_MS: Final = 100.0
ROOT: Final = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Probes:
    """What the prober saw: each 200's send time and latency, and the rest."""

    samples: list[tuple[float, float]]  # (monotonic time of the slot, latency in ms)
    failures: list[tuple[float, str]]  # (monotonic time of the slot, status or error)

    @property
    def count(self) -> int:
        """How many slots were probed (or missed while a probe was in flight)."""
        return len(self.samples) + len(self.failures)

    @property
    def max_ms(self) -> float:
        """The slowest 200; infinite if there was none."""
        return max((ms for _, ms in self.samples), default=float("inf"))

    @property
    def p99_ms(self) -> float:
        """The 99th percentile of the 200s' latencies; infinite if there were none."""
        if len(self.samples) < 2:
            return self.max_ms
        latencies = [ms for _, ms in self.samples]
        return statistics.quantiles(latencies, n=100, method="inclusive")[98]

    @property
    def passed(self) -> bool:
        """Every probe a 200, and the 99th percentile under ``TARGET_P99_MS``."""
        return not self.failures and self.p99_ms < TARGET_P99_MS

    def split(self, windows: Sequence[tuple[float, float]]) -> tuple[Probes, Probes]:
        """The slots inside any of ``windows`` (start, end), and the others."""

        def inside(at: float) -> bool:
            return any(start <= at <= end for start, end in windows)

        return (
            Probes(
                [s for s in self.samples if inside(s[0])],
                [f for f in self.failures if inside(f[0])],
            ),
            Probes(
                [s for s in self.samples if not inside(s[0])],
                [f for f in self.failures if not inside(f[0])],
            ),
        )

    def slow(self) -> list[tuple[float, float]]:
        """The 200s slower than ``TARGET_P99_MS``, and when they were sent."""
        return [(at, ms) for at, ms in self.samples if ms >= TARGET_P99_MS]

    def figures(self) -> dict[str, object]:
        """JSON-ready figures."""
        return {
            "probes": self.count,
            "failures": [what for _, what in self.failures[:20]],
            "p99_ms": round(self.p99_ms, 2),
            "max_ms": round(self.max_ms, 2),
            "over_target": len(self.slow()),
        }

    def line(self) -> str:
        """One line for the report."""
        failed = ""
        if self.failures:
            first = "; ".join(what for _, what in self.failures[:3])
            failed = f"; {len(self.failures)} failed: {first}"
        return (
            f"/healthz every {INTERVAL_S * 1000:.0f} ms: {self.count} slots, "
            f"p99 {self.p99_ms:.1f} ms, max {self.max_ms:.1f} ms, "
            f"{len(self.slow())} over {TARGET_P99_MS:.0f} ms "
            f"(target p99 < {TARGET_P99_MS:.0f} ms){failed}"
        )


class Prober:
    """Probe ``bind`` from a child process between ``start()`` and ``stop()``."""

    def __init__(self, bind: str) -> None:
        self.bind = bind
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> Prober:
        """Start probing; returns once the first probe has been answered."""
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.stress.prober", self.bind],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        self._process.stdout.readline()  # "ready"
        return self

    def stop(self) -> Probes:
        """Stop probing and return what was seen; a prober that hangs is killed."""
        assert self._process is not None
        try:
            output, _ = self._process.communicate("stop\n", timeout=2 * TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.communicate()
            hung = f"the prober did not stop within {2 * TIMEOUT_S:g} s"
            return Probes([], [(time.monotonic(), hung)])
        seen = json.loads(output)
        return Probes(
            [(at, ms) for at, ms in seen["samples"]],
            [(at, what) for at, what in seen["failures"]],
        )


def slots(sent: float, ended: float, interval: float = INTERVAL_S) -> list[float]:
    """The slots one probe stands for: its own at ``sent``, and each one it overran.

    A client arriving at any of them would have waited until ``ended`` at
    least, so each gets the latency ``ended - slot``; the next probe goes out
    at the first slot after ``ended``.
    """
    missed = max(math.ceil((ended - sent) / interval), 1)
    return [sent + n * interval for n in range(missed)]


def _probe(bind: str) -> None:
    """Probe until a line (or the end) arrives on stdin; print what was seen."""
    host, port = bind.rsplit(":", 1)
    samples: list[tuple[float, float]] = []
    failures: list[tuple[float, str]] = []
    stop = threading.Event()

    def wait_for_stop() -> None:
        sys.stdin.readline()
        stop.set()

    threading.Thread(target=wait_for_stop, daemon=True).start()
    slot, ready = time.monotonic(), False
    while not stop.is_set():
        sent = time.monotonic()
        connection = http.client.HTTPConnection(host, int(port), timeout=TIMEOUT_S)
        try:
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            response.read()
            failure = None if response.status == 200 else f"status {response.status}"
        except (OSError, http.client.HTTPException) as error:
            failure = repr(error)
        finally:
            connection.close()
        ended = time.monotonic()
        overran = slots(sent, ended)
        if failure is None:
            samples += [(at, (ended - at) * 1000) for at in overran]
        else:
            failures += [(at, failure) for at in overran]
        if not ready:
            ready = True
            sys.stdout.write("ready\n")
            sys.stdout.flush()
        # The next slot of the schedule: late sends (this process's own
        # scheduling) do not shift it.
        slot += max(math.ceil((ended - slot) / INTERVAL_S), 1) * INTERVAL_S
        stop.wait(max(slot - time.monotonic(), 0))
    sys.stdout.write(json.dumps({"samples": samples, "failures": failures}))


if __name__ == "__main__":
    _probe(sys.argv[1])
