"""The server's entry point: ``hypercorn app.asgi:app``. Tests never import it."""

import gc

# The imports and create_app() below build objects that live as long as the
# process: collecting garbage among them while they are made is wasted work,
# and afterwards they are frozen out of the collector's sight, so the full
# collections under load and at exit skip them (docs/benchmark.md).
gc.disable()

from app import create_app  # noqa: E402 - after the collector is off

app = create_app()
gc.freeze()
gc.enable()
