"""The server's entry point: ``hypercorn app.asgi:app``. Tests never import it."""

import gc

from app import create_app

app = create_app()
# What the imports and create_app() built (about 95,000 objects) lives as long
# as the process, so take it out of the garbage collector's sight: a full
# collection then skips it, and the several that Python runs on exit no longer
# make SIGTERM take half a second (`make bench` prints the stop time).
gc.freeze()
