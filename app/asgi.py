"""The server's entry point: ``hypercorn app.asgi:app``. Tests never import it."""

import gc

from app import create_app

app = create_app()
# What the imports and create_app() built (about 95,000 objects) lives as long
# as the process, so take it out of the garbage collector's sight. The full
# collections that run under load, and the several that Python runs on exit,
# then skip it: on the bench's VM, GET /api p99 fell from 100 to 38 ms and
# SIGTERM to exit from 0.33 to 0.09 s (README, Benchmark).
gc.freeze()
