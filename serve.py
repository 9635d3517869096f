"""``python -m serve``: Hypercorn with the production profile (``make serve``).

Every setting of ``hypercorn.toml`` (timeouts, limits, logging), then what
differs in production: the service listens on all interfaces, ``BIND``
(``0.0.0.0:8000``), with ``WORKERS`` processes, one per CPU this process may
run on when unset, on uvloop's event loop. The app's access log is the app's
``ACCESS_LOG`` setting. Migrations are a step of their own, before this
(``python -m app.core.migrations upgrade``). In an image this is PID 1:
Hypercorn's main process takes SIGTERM, and each worker finishes its
in-flight requests within ``graceful_timeout``. It sits beside
``hypercorn.toml``, outside ``app``, so that the parent process, which only
starts and stops the workers, never imports the app.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from hypercorn.config import Config
from hypercorn.run import run

APPLICATION: Final = "app.asgi:app"
BIND: Final = "0.0.0.0:8000"


def cpus() -> int:
    """The CPUs this process may run on (a container's cpuset, not the host's count)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1


def production_config(path: Path, environ: Mapping[str, str] = os.environ) -> Config:
    """``path``'s Hypercorn settings with the production profile on top."""
    config = Config.from_toml(path)
    config.application_path = APPLICATION
    config.bind = [environ.get("BIND") or BIND]
    config.workers = int(environ.get("WORKERS") or cpus())
    # Several workers share the socket's connections only on uvloop
    # (docs/benchmark.md, "workers").
    config.worker_class = "uvloop"
    return config


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the app with the production profile until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(
        prog="python -m serve", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--config", type=Path, default=Path("hypercorn.toml"), help="Hypercorn's TOML"
    )
    arguments = parser.parse_args(argv)
    return run(production_config(arguments.config))


if __name__ == "__main__":
    sys.exit(main())
