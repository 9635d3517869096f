"""The catalogue's framing and request lines: smuggling, bad lengths, bad starts.

RFC 9112 decides: a message whose length cannot be known for sure (two
lengths, a length and a chunked encoding, a bad chunk size) is a 400 and the
connection is closed (§6.3), so that no byte of it is taken as a request of
its own; an invalid request line or Host is a 400 (§3, §3.2).
"""

from __future__ import annotations

import random
from typing import Final

from tests.stress.cases import FOUR, NOT_5XX, Case, Expect

H: Final = b"Host: {HOST}\r\n"
SMUGGLED: Final = b"GET /healthz HTTP/1.1\r\n" + H + b"\r\n"
ONE_CLOSE: Final = Expect(FOUR, close=True)
TE_REFUSED: Final = Expect(FOUR | {501}, close=True)  # RFC 9112 §6.1 allows 501
# Seeded, so that a failure replays with the same bytes.
NOISE: Final = random.Random(0).randbytes(157 + 65536)


def get(target: bytes, *headers: bytes, version: bytes = b"HTTP/1.1") -> bytes:
    """A GET with a Host and ``headers`` (each a full line without CRLF)."""
    lines = b"".join(line + b"\r\n" for line in headers)
    return b"GET " + target + b" " + version + b"\r\n" + H + lines + b"\r\n"


FRAMING: Final = (
    Case(
        "framing",
        "Content-Length and Transfer-Encoding (CL.TE), a request after the body",
        ONE_CLOSE,
        b"POST /healthz HTTP/1.1\r\n" + H + b"Content-Length: 4\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED,
    ),
    Case(
        "framing",
        "Transfer-Encoding and a Content-Length covering a request (TE.CL)",
        ONE_CLOSE,
        b"POST /healthz HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n"
        b"Content-Length: " + str(5 + len(SMUGGLED)).encode() + b"\r\n\r\n"
        b"0\r\n\r\n" + SMUGGLED,
    ),
    Case(
        "framing",
        "two Content-Length headers that differ",
        ONE_CLOSE,
        b"POST /healthz HTTP/1.1\r\n" + H + b"Content-Length: 4\r\n"
        b"Content-Length: 5\r\n\r\nabcde",
    ),
    Case(
        "framing",
        "Content-Length: -1",
        ONE_CLOSE,
        b"POST /healthz HTTP/1.1\r\n" + H + b"Content-Length: -1\r\n\r\n",
    ),
    Case(
        "framing",
        "Content-Length: +4",
        ONE_CLOSE,
        b"POST /healthz HTTP/1.1\r\n" + H + b"Content-Length: +4\r\n\r\nabcd",
    ),
    Case(
        "framing",
        "Content-Length of 30 digits",
        Expect(FOUR),
        b"POST /healthz HTTP/1.1\r\n"
        + H
        + b"Content-Length: "
        + b"9" * 30
        + b"\r\n\r\n",
    ),
    Case(
        "framing",
        "Transfer-Encoding: xchunked",
        TE_REFUSED,
        b"POST /healthz HTTP/1.1\r\n" + H + b"Transfer-Encoding: xchunked\r\n\r\n"
        b"0\r\n\r\n" + SMUGGLED,
    ),
    Case(
        "framing",
        "Transfer-Encoding: gzip, chunked",
        TE_REFUSED,
        b"POST /healthz HTTP/1.1\r\n" + H + b"Transfer-Encoding: gzip, chunked\r\n\r\n"
        b"0\r\n\r\n",
    ),
    Case(
        "framing",
        "Transfer-Encoding in an HTTP/1.0 request (faulty framing)",
        Expect(NOT_5XX, close=True),
        b"POST /healthz HTTP/1.0\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n"
        b"0\r\n\r\n" + SMUGGLED,
    ),
    Case(
        "framing",
        "Transfer-Encoding with a space before the colon",
        ONE_CLOSE,
        b"POST /healthz HTTP/1.1\r\n" + H + b"Transfer-Encoding : chunked\r\n"
        b"Content-Length: 5\r\n\r\n0\r\n\r\n",
    ),
    Case(
        "framing",
        "a folded header line (obs-fold: reject, or unfold)",
        Expect(NOT_5XX),
        b"GET /healthz HTTP/1.1\r\n" + H + b"X-A: b\r\n c\r\n\r\n",
    ),
    Case(
        "framing",
        "chunk size 'zz'",
        ONE_CLOSE,
        b"POST /healthz HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n"
        b"zz\r\nabc\r\n0\r\n\r\n",
    ),
    Case(
        "framing",
        "chunk size of 2^80",
        ONE_CLOSE,
        b"POST /healthz HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n"
        b"100000000000000000000\r\nabc\r\n",
    ),
    Case(
        "framing",
        "a chunk extension of 100 KiB",
        Expect(FOUR),
        b"POST /healthz HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n"
        b"3;" + b"e" * 100_000 + b"\r\nabc\r\n0\r\n\r\n",
    ),
    Case(
        "framing",
        "2,000 trailer fields",
        Expect(NOT_5XX),
        b"POST /healthz HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n"
        b"0\r\n" + b"X-T: t\r\n" * 2000 + b"\r\n",
    ),
    Case(
        "framing",
        "bare LF line endings",
        Expect(NOT_5XX),
        b"GET /healthz HTTP/1.1\nHost: {HOST}\n\n",
    ),
    Case("framing", "a bare CR in a header", ONE_CLOSE, get(b"/healthz", b"X-A: b\rc")),
    Case("framing", "a NUL in a header", ONE_CLOSE, get(b"/healthz", b"X-A: b\x00c")),
    Case(
        "framing",
        "pipelined: 100 GET /healthz in one write",
        Expect(frozenset({200}), answer=True, answers=100, about="100 x 200"),
        get(b"/healthz") * 100,
    ),
    Case(
        "framing",
        "three empty lines before the request",
        Expect(NOT_5XX),
        b"\r\n\r\n\r\n" + get(b"/healthz"),
    ),
)

REQUEST_LINES: Final = (
    Case(
        "request line",
        "HTTP/1.1 with no Host",
        Expect(FOUR),
        b"GET /healthz HTTP/1.1\r\n\r\n",
    ),
    Case(
        "request line",
        "two Host headers",
        Expect(FOUR),
        get(b"/healthz", b"Host: other"),
    ),
    Case(
        "request line",
        "a Host with a space",
        Expect(FOUR),
        b"GET /healthz HTTP/1.1\r\nHost: a b\r\n\r\n",
    ),
    Case(
        "request line",
        "absolute-form target naming another host",
        Expect(FOUR, answer=True, about="4xx: the host is not trusted"),
        get(b"http://evil.example/healthz"),
    ),
    Case(
        "request line",
        "CONNECT evil.example:443",
        Expect(FOUR),
        b"CONNECT evil.example:443 HTTP/1.1\r\n" + H + b"\r\n",
    ),
    Case(
        "request line",
        "OPTIONS *",
        Expect(NOT_5XX),
        b"OPTIONS * HTTP/1.1\r\n" + H + b"\r\n",
    ),
    Case(
        "request line",
        "a method of 10,000 letters",
        Expect(FOUR | {501}),
        b"G" * 10_000 + b" /healthz HTTP/1.1\r\n" + H + b"\r\n",
    ),
    Case(
        "request line",
        "method 'get' in lower case",
        # Methods are case-sensitive (RFC 9110 §9.1), but Hypercorn upper-cases
        # them before the app sees one: harmless, noted in docs/upstream.md.
        Expect(NOT_5XX, about="served as GET: Hypercorn upper-cases methods"),
        b"get /healthz HTTP/1.1\r\n" + H + b"\r\n",
    ),
    Case(
        "request line",
        "HTTP/1.2",
        Expect(NOT_5XX | {505}),
        get(b"/healthz", version=b"HTTP/1.2"),
    ),
    Case(
        "request line",
        "HTTP/2.0 in an HTTP/1 request line",
        Expect(NOT_5XX | {505}),
        get(b"/healthz", version=b"HTTP/2.0"),
    ),
    Case("request line", "HTTP/0.9: no version", ONE_CLOSE, b"GET /healthz\r\n\r\n"),
    Case(
        "request line",
        "a target without a leading slash",
        Expect(FOUR),
        get(b"healthz"),
    ),
    Case(
        "request line",
        "a raw 0xFF byte in the path",
        Expect(FOUR),
        get(b"/healthz\xff"),
    ),
    Case("request line", "%00 in the path", Expect(FOUR), get(b"/healthz%00")),
    Case(
        "request line",
        "an encoded ../ in the path",
        Expect(FOUR),
        get(b"/static/..%2f..%2fetc%2fpasswd"),
    ),
    Case(
        "request line",
        "a URL of 100 KiB",
        Expect(FOUR),
        get(b"/healthz?" + b"a" * 100_000),
    ),
    Case(
        "request line",
        "2,000 query parameters",
        Expect(NOT_5XX, answer=True),
        get(b"/healthz?" + b"&".join(b"a%d=%d" % (n, n) for n in range(2000))),
    ),
    Case(
        "request line",
        "the HTTP/2 preface, then garbage",
        Expect(
            NOT_5XX,
            binary=True,
            close=True,
            about="GOAWAY and close: a frame over the maximum size (RFC 9113 §4.2)",
        ),
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\xff" * 64,
    ),
    Case(
        "request line",
        "a TLS ClientHello on the plain-text port",
        Expect(FOUR),
        bytes.fromhex("16030100a1010000") + NOISE[:157],
    ),
    Case("request line", "64 KiB of random bytes", Expect(FOUR), NOISE[157:]),
    Case(
        "request line",
        "an h2c upgrade",
        Expect(NOT_5XX, answer=True),
        get(
            b"/healthz",
            b"Connection: Upgrade, HTTP2-Settings",
            b"Upgrade: h2c",
            b"HTTP2-Settings: AAMAAABkAAQAAP__",
        ),
    ),
    Case(
        "request line",
        "a WebSocket upgrade on a plain route",
        Expect(FOUR),
        get(
            b"/healthz",
            b"Connection: Upgrade",
            b"Upgrade: websocket",
            b"Sec-WebSocket-Version: 13",
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        ),
    ),
)
