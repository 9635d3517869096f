"""Drive wrk: find (or install) it, run it once, read what it prints."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from tests.bench import BenchError

CONNECTIONS: Final = 32
# wrk drops any latency above its timeout (2 s by default) from the histogram
# and counts it as an error; /api/secret at -c32 queues scrypt close to that.
TIMEOUT_S: Final = 10
FLAGS: Final = f"-t1 -c{CONNECTIONS} --latency --timeout={TIMEOUT_S}s"

_UNITS_MS: Final = {
    "us": 0.001,
    "ms": 1.0,
    "s": 1000.0,
    "m": 60_000.0,
    "h": 3_600_000.0,
}


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run measured; errors are socket errors plus non-2xx/3xx."""

    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int  # completed in the whole run


def ensure_wrk() -> str:
    """The path of wrk, installing it with apt-get when that is possible."""
    if found := shutil.which("wrk"):
        return found
    command: list[str] | None = None
    if shutil.which("apt-get"):
        if os.geteuid() == 0:
            command = ["apt-get", "install", "-y", "wrk"]
        elif shutil.which("sudo"):
            command = ["sudo", "-n", "apt-get", "install", "-y", "wrk"]
    if command:
        print(f"wrk not found; running: {' '.join(command)}", file=sys.stderr)
        subprocess.run(command, check=False, stdin=subprocess.DEVNULL)
        if found := shutil.which("wrk"):
            return found
    raise BenchError(
        "wrk is not installed and could not be installed here; install it "
        "(apt-get install wrk, brew install wrk) and run `make bench` again"
    )


def wrk(
    program: str,
    url: str,
    duration: int,
    *,
    connections: int = CONNECTIONS,
    headers: Mapping[str, str] | None = None,
    method: str = "GET",
    body: str | None = None,
) -> WrkResult:
    """Run wrk once with one thread and parse what it prints.

    wrk takes a method and a body only from a Lua script, so a request that is
    not a bare ``GET`` gets a two-line script written for this run.
    """
    command = [program, "-t1", f"-c{connections}", "--latency"]
    command.append(f"-d{duration}s")
    command.append(f"--timeout={TIMEOUT_S}s")
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        if method != "GET" or body is not None:
            script = Path(tmp) / "request.lua"
            script.write_text(_lua_request(method, body))
            command += ["-s", str(script)]
        try:
            run = subprocess.run(
                [*command, url],
                capture_output=True,
                text=True,
                timeout=duration + 60,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise BenchError(f"wrk failed on {url}: {error}") from None
    if run.returncode != 0:
        raise BenchError(f"wrk failed ({run.returncode}) on {url}:\n{run.stderr}")
    result = parse_wrk(run.stdout)
    if result.requests_per_s == 0:
        raise BenchError(f"wrk completed no request on {url}:\n{run.stdout}")
    return result


def _lua_request(method: str, body: str | None) -> str:
    lines = [f"wrk.method = {_lua_string(method)}"]
    if body is not None:
        lines.append(f"wrk.body = {_lua_string(body)}")
    return "\n".join(lines) + "\n"


def _lua_string(text: str) -> str:
    # Printable ASCII as is, every other byte as a three-digit decimal escape,
    # which every Lua (and LuaJIT, which wrk embeds) reads the same way.
    return (
        '"'
        + "".join(
            chr(byte) if 32 <= byte < 127 and byte not in b'"\\' else f"\\{byte:03d}"
            for byte in text.encode()
        )
        + '"'
    )


def parse_wrk(output: str) -> WrkResult:
    """Requests/s, the 50% and 99% latencies and the error count from wrk's output."""
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    done = re.search(r"^\s*(\d+) requests in ", output, re.M)
    latency_ms = {
        percent: float(number) * _UNITS_MS[unit]
        for percent, number, unit in re.findall(
            r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m|h)\s*$", output, re.M
        )
    }
    if rate is None or done is None or set(latency_ms) != {"50", "99"}:
        raise BenchError(f"cannot read wrk's output:\n{output}")
    errors = 0
    if socket := re.search(
        r"connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        errors += sum(int(count) for count in socket.groups())
    if non_2xx := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(non_2xx[1])
    return WrkResult(
        float(rate[1]), latency_ms["50"], latency_ms["99"], errors, int(done[1])
    )
