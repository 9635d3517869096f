"""The server's entry point: ``hypercorn app.asgi:app``. Tests never import it."""

import gc

from app import create_app

app = create_app()
# What the imports and create_app() built lives as long as the process, so
# take it out of the garbage collector's sight: the full collections under
# load and at exit then skip it (p99 and stop time: docs/benchmark.md).
gc.freeze()
