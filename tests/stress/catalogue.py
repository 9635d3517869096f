"""The catalogue's header floods and low findings, and the whole wire-level list.

Each case names what it sends and what it expects (``tests.stress.cases``).
Most go to ``/healthz`` or ``/openapi.json``, which every service keeps, so
they run on a stripped tree too. ``CASES`` gathers these with the framing
and request lines of ``tests.stress.framing``; the bodies, Unicode and
numbers are in ``tests.stress.bombs``, slow clients in ``tests.stress.slow``.
"""

from __future__ import annotations

from typing import Final

from tests.stress.cases import FOUR, NOT_5XX, Case, Expect, Observed
from tests.stress.framing import FRAMING, REQUEST_LINES, get


def _no_server_header(seen: Observed) -> str | None:
    for answer in seen.responses:
        if "hypercorn" in (answer.header("server") or "").lower():
            return f"server: {answer.header('server')} names the server software"
    return None


def _security_headers(seen: Observed) -> str | None:
    missing = []
    for answer in seen.responses[:1]:
        if (answer.header("x-content-type-options") or "").lower() != "nosniff":
            missing.append("X-Content-Type-Options: nosniff")
        csp = answer.header("content-security-policy") or ""
        if not answer.header("x-frame-options") and "frame-ancestors" not in csp:
            missing.append("X-Frame-Options or CSP frame-ancestors")
    return f"no {', no '.join(missing)}" if missing else None


HEADERS: Final = (
    Case(
        "headers",
        "a header line of 1 MiB",
        Expect(FOUR),
        get(b"/healthz", b"X-A: " + b"a" * 2**20),
    ),
    Case(
        "headers",
        "10,000 header fields",
        Expect(FOUR),
        get(b"/healthz", *[b"X-A%d: b" % n for n in range(10_000)]),
    ),
    Case(
        "headers",
        "1,000 header fields (6 KiB)",
        Expect(NOT_5XX, answer=True),
        get(b"/healthz", *[b"X-%d: b" % n for n in range(1000)]),
    ),
    Case(
        "headers",
        "a Cookie of 15 KiB",
        Expect(NOT_5XX, answer=True),
        get(b"/healthz", b"Cookie: " + b"c=1; " * 3000),
    ),
    Case(
        "headers",
        "an X-Request-ID of 8 KiB",
        Expect(NOT_5XX, answer=True),
        get(b"/healthz", b"X-Request-ID: " + b"r" * 8192),
    ),
    Case(
        "headers",
        "Accept of 8 KiB of media ranges",
        Expect(NOT_5XX, answer=True),
        get(b"/openapi.json", b"Accept: " + b"a/b;q=0.1, " * 700),
    ),
    Case(
        "headers",
        "Accept of 8 KiB of media ranges, negotiated",
        Expect(NOT_5XX, answer=True),
        get(b"/api", b"Accept: " + b"a/b;q=0.1, " * 700),
        sample="tour",
    ),
    Case(
        "headers",
        "Accept: */*;q=nan",
        Expect(NOT_5XX, answer=True),
        get(b"/openapi.json", b"Accept: */*;q=nan"),
    ),
    Case(
        "headers",
        "Host: evil.example",
        Expect(FOUR, answer=True, about="4xx: the host is not trusted"),
        b"GET /healthz HTTP/1.1\r\nHost: evil.example\r\n\r\n",
    ),
    Case(
        "headers",
        "a Host of 8 KiB",
        Expect(FOUR),
        b"GET /healthz HTTP/1.1\r\nHost: " + b"h" * 8192 + b"\r\n\r\n",
    ),
    Case(
        "headers",
        "Content-Type of 10 KiB on a GET",
        Expect(NOT_5XX),
        get(b"/healthz", b"Content-Type: " + b"a/b;x=1" * 1500),
    ),
)

LOW: Final = (
    Case(
        "low",
        "security headers on an answer",
        Expect(
            frozenset({200}),
            answer=True,
            check=_security_headers,
            about="200 with nosniff and frame protection",
        ),
        get(b"/healthz"),
    ),
    Case(
        "low",
        "the server header",
        Expect(
            frozenset({200}),
            answer=True,
            check=_no_server_header,
            about="200 with no 'server: hypercorn...'",
        ),
        get(b"/healthz"),
    ),
    Case(
        "low",
        "url_for external URL with Host: evil.example",
        Expect(
            NOT_5XX,
            check=lambda seen: next(
                (
                    f"{r.status} reflects the Host: {r.body[:80]!r}"
                    for r in seen.responses
                    if b"evil.example" in r.body
                ),
                None,
            ),
            about="4xx, or a URL not on evil.example",
        ),
        b"GET /api/url-for?name=Alice&external=1 HTTP/1.1\r\n"
        b"Host: evil.example\r\n\r\n",
        sample="tour",
    ),
)

CASES: Final = (*FRAMING, *REQUEST_LINES, *HEADERS, *LOW)
