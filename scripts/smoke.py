"""Run every curl example in README.md against a real server; fail on any difference.

Usage: ``python scripts/smoke.py`` migrates a new SQLite database in a
temporary folder, starts ``hypercorn --config hypercorn.toml`` on it on a free
loopback port (as ``make run`` does) and stops it afterwards; ``--url
http://127.0.0.1:5000`` checks a server that is already running. The address
book's examples assume an empty address book (their ids start at 1).

The README's endpoint table holds one example per row: the command in the
second column, what it prints in the third. In the printed text ``\\n`` marks
a line break and ``…`` stands for anything (a request id, say); trailing line
breaks are ignored. ``127.0.0.1:5000``, in commands and in what they print,
stands for the server under test.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
README_ADDRESS = "127.0.0.1:5000"
ROW = re.compile(
    r"^\|[^|]*\|\s*`(?P<command>curl [^`]+)`\s*\|\s*`(?P<output>[^`]*)`\s*\|\s*$"
)
STARTED = re.compile(r"Running on http://(\S+)")


@dataclass(frozen=True)
class Example:
    """One README row: a curl command and what it prints."""

    line: int
    command: str
    output: str

    def pattern(self, address: str) -> re.Pattern[str]:
        """The expected output as a regex: ``…`` matches anything, ``\\n`` a newline."""
        output = self.output.replace(README_ADDRESS, address)
        parts = output.replace("\\n", "\n").rstrip("\n").split("…")
        return re.compile(".*?".join(re.escape(part) for part in parts), re.DOTALL)


def examples(readme: Path = README) -> list[Example]:
    """Every example row of the README, in order."""
    found = []
    for number, text in enumerate(readme.read_text().splitlines(), start=1):
        if match := ROW.match(text):
            found.append(Example(number, match["command"], match["output"]))
    return found


def check(example: Example, address: str) -> str | None:
    """Run one example; return a description of the difference, or None."""
    command = example.command.replace(README_ADDRESS, address)
    result = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, timeout=30, check=False
    )
    printed = result.stdout.rstrip("\n")
    if result.returncode == 0 and example.pattern(address).fullmatch(printed):
        return None
    return (
        f"line {example.line}: {example.command}\n"
        f"  expected: {example.output}\n"
        f"  printed:  {printed!r} (exit {result.returncode}) {result.stderr.strip()}"
    )


@contextmanager
def served() -> Iterator[str]:
    """Migrate and serve a new database as ``make run`` does; yield host:port."""
    with tempfile.TemporaryDirectory(prefix="smoke-") as folder:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("APP_")}
        environ["APP_DATABASE_URL"] = f"sqlite:///{folder}/smoke.db"
        bind = f"127.0.0.1:{_free_port()}"
        environ["APP_SERVICE_B_URL"] = f"http://{bind}/b/"  # /a/call_b calls us
        subprocess.run(
            [sys.executable, "-m", "alembic", "upgrade", "head"],
            cwd=ROOT, env=environ, check=True, capture_output=True,
        )  # fmt: skip
        with _hypercorn(environ, bind) as address:
            yield address


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def _hypercorn(environ: dict[str, str], bind: str) -> Iterator[str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "hypercorn", "--config", "hypercorn.toml",
         "--bind", bind, "app.asgi:app"],
        cwd=ROOT, env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    if server.stdout is None:
        raise RuntimeError("no output pipe")
    output = server.stdout
    try:
        for line in output:
            if match := STARTED.search(line):
                break
        else:
            raise SystemExit("the server exited before it listened")
        # Keep reading, so the access log never fills the pipe.
        threading.Thread(target=output.read, daemon=True).start()
        yield match[1]
    finally:
        server.terminate()
        server.wait(10)


def main() -> int:
    """Check every example; print the differences; exit 1 when there are any."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url", help="check this running server instead of starting one"
    )
    parser.add_argument("--readme", type=Path, default=README, help="the file to check")
    arguments = parser.parse_args()
    found = examples(arguments.readme)
    if not found:
        print(f"no examples found in {arguments.readme}")
        return 1
    if arguments.url:
        failures = [f for e in found if (f := check(e, arguments.url.split("://")[-1]))]
    else:
        with served() as address:
            failures = [f for e in found if (f := check(e, address))]
    for failure in failures:
        print(failure)
    print(
        f"{len(found) - len(failures)}/{len(found)} examples print what the README says"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
