"""The servers the suite attacks: the bench's ``serving``, with options on top.

Every server is ``app.asgi:app`` with the shipped ``hypercorn.toml``, started
by ``tests.support.live`` through the bench's ``serving`` (which waits for a
200 from ``/healthz``). ``options`` adds Hypercorn command-line options on top
of the file (a shorter read timeout for the silent-socket checks). The
databases come from ``tests.bench.databases.fresh``: a migrated SQLite file
in the suite's folder, or a schema on the PostgreSQL server that
``BENCH_DATABASE_URL`` or ``TEST_DATABASE_URL`` names (served by two
workers), dropped afterwards; ``serve`` takes its ``env`` and ``workers``.
"""

from __future__ import annotations

import contextlib
import math
import os
import shlex
import signal
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path

from tests.bench.serve import KIT, Running, process_tree, serving


def flags(**settings: float) -> list[str]:
    """Hypercorn's command-line options, ``--name=value``, in whole seconds (up)."""
    return [
        f"--{name.replace('_', '-')}={math.ceil(value)}"
        for name, value in settings.items()
    ]


def options(**settings: float) -> list[str]:
    """A launcher ``prefix`` that appends ``flags(**settings)`` to Hypercorn's command.

    The launcher has no argument for extra options, only a prefix (meant for a
    profiler); ``exec`` keeps the process id, so signals still reach Hypercorn.
    """
    added = " ".join(shlex.quote(flag) for flag in flags(**settings))
    return ["sh", "-c", f'exec "$@" {added}', "sh"] if added else []


@contextlib.contextmanager
def serve(
    log: Path,
    env: Mapping[str, str] | None = None,
    workers: int = 0,
    prefix: list[str] | None = None,
) -> Iterator[Running]:
    """Serve the kit with ``env`` added; stopped with SIGTERM on the way out."""
    target = replace(KIT, env=dict(env or {}), workers=workers)
    with serving(target, log, prefix or []) as running:
        yield running


def host(running: Running) -> bytes:
    """The ``Host`` a client of ``running`` sends (the kit trusts loopback names)."""
    return running.server.bind.encode()


def kill_tree(running: Running, sig: int = signal.SIGKILL) -> None:
    """Send ``sig`` to the server and every worker process under it, workers first."""
    for process in reversed(process_tree([running])):
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(process.name), sig)
