"""Outgoing HTTP: ``httpx.AsyncClient`` instances built the same way everywhere.

Each extension that calls out (the webhook worker, service clients) opens its
own client while the app serves and closes it after. They share one TLS
context per process: building one reads the whole CA bundle, which
would otherwise be paid by every app start (and every test).
"""

from __future__ import annotations

import functools
import ssl
from typing import Any

import httpx

from app.core.service import service


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's default verified TLS context, made once, on first use."""
    return httpx.create_ssl_context()


def client(timeout: float, **options: Any) -> httpx.AsyncClient:
    """A client with ``timeout`` seconds for each phase, no redirects followed."""
    options.setdefault("follow_redirects", False)
    return httpx.AsyncClient(
        timeout=timeout,
        verify=tls_context(),
        headers={"user-agent": f"{service().name}/{service().version}"},
        **options,
    )
