"""The server's entry point: ``hypercorn app.asgi:app``. Tests never import it."""

from app import create_app

app = create_app()
