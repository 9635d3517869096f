"""The catalogue's bodies, Unicode and numbers: JSON and YAML bombs and edge cases.

Bodies go to ``POST /api/echo`` (the tour's: ``load_body`` then ``respond``)
and to the address book, whose cases also run on PostgreSQL (``database``).
The kit has one input policy for both databases: text holding a NUL (which
PostgreSQL cannot store) or a lone surrogate is a 400, and an id or ``after``
past the largest BIGINT a 404 or a 422, never a 500. The cases about one
entry (``If-Match``, a ``PUT``) first create it (``on_new_entry``), so they
do not depend on what the database already holds.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from functools import partial
from typing import Any, Final

from tests.stress.cases import FOUR, NOT_5XX, Case, Expect, Observed, exchange

JSON_TYPE: Final = b"application/json"
YAML_TYPE: Final = b"application/x-yaml"
OK: Final = Expect(frozenset({200}), answer=True)
BAD: Final = Expect(FOUR, answer=True)
EITHER: Final = Expect(NOT_5XX, answer=True)  # a 2xx or a 4xx, each is right
TOO_LARGE: Final = Expect(frozenset({413}))
STALE: Final = Expect(frozenset({400, 412}), answer=True)
NOT_FOUND: Final = Expect(frozenset({404}), answer=True)
JSON_HEADER: Final = b"Content-Type: application/json"
SMALL: Final = b'{"full_name":"a"}'
BIGINT_END: Final = 2**63  # one past the largest BIGINT


def message(start: bytes, *headers: bytes, body: bytes = b"") -> bytes:
    """``start`` (method and target), the Host, ``headers`` and ``body`` as sent."""
    lines = [start + b" HTTP/1.1", b"Host: {HOST}", *headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def replace(address_id: bytes, if_match: bytes, body: bytes) -> bytes:
    """``PUT /addresses/<address_id>`` with ``If-Match`` and ``body``."""
    return message(
        b"PUT /addresses/" + address_id,
        b"If-Match: " + if_match,
        JSON_HEADER,
        b"Content-Length: %d" % len(body),
        body=body,
    )


def on_new_entry(
    make: Callable[[bytes, bytes], bytes], bind: str, host: bytes, bound_s: float
) -> Observed:
    """Create an entry, then send ``make(its id, its ETag)`` on a new connection.

    If the entry cannot be created, what came back is judged instead.
    """
    created = exchange(
        bind, post(b"/addresses", SMALL).replace(b"{HOST}", host), bound_s, False
    )
    first = created.responses[0] if created.responses else None
    if first is None or first.status != 201 or not (etag := first.header("etag")):
        created.note = f"creating the entry first: {created}"
        return created
    address_id = str(json.loads(first.body)["id"]).encode()
    request = make(address_id, etag.encode()).replace(b"{HOST}", host)
    return exchange(bind, request, bound_s, False)


def entry_case(
    group: str, name: str, expect: Expect, make: Callable[[bytes, bytes], bytes]
) -> Case:
    """A request about a new entry of the address book (``on_new_entry``)."""
    drive = partial(on_new_entry, make)
    return Case(group, name, expect, drive=drive, sample="addressbook", database=True)


def post(
    target: bytes, body: bytes, content_type: bytes | None = JSON_TYPE, *extra: bytes
) -> bytes:
    """A POST with ``body`` and its length."""
    lines = [b"POST " + target + b" HTTP/1.1", b"Host: {HOST}"]
    if content_type is not None:
        lines.append(b"Content-Type: " + content_type)
    lines += [*extra, b"Content-Length: " + str(len(body)).encode()]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def echo(
    name: str, body: bytes, expect: Expect, content_type: bytes | None = JSON_TYPE
) -> Case:
    """A body for ``POST /api/echo``."""
    group = "yaml" if content_type == YAML_TYPE else "json"
    return Case(
        group, name, expect, post(b"/api/echo", body, content_type), sample="tour"
    )


def entry(name: str, fields: str | dict[str, Any], expect: Expect) -> Case:
    """``POST /addresses`` with ``fields`` (a ``full_name`` alone if text), as JSON."""
    data = {"full_name": fields} if isinstance(fields, str) else fields
    body = json.dumps(data).encode()
    return Case(
        "unicode",
        name,
        expect,
        post(b"/addresses", body),
        sample="addressbook",
        database=True,
    )


def address_get(group: str, name: str, target: bytes, expect: Expect) -> Case:
    """A GET on the address book."""
    data = b"GET " + target + b" HTTP/1.1\r\nHost: {HOST}\r\n\r\n"
    return Case(group, name, expect, data, sample="addressbook", database=True)


def tour_get(name: str, target: bytes) -> Case:
    """A GET on one of the tour's converters: a 404 or a JSON answer, not a 500."""
    data = b"GET " + target + b" HTTP/1.1\r\nHost: {HOST}\r\n\r\n"
    return Case("numbers", name, Expect(NOT_5XX, answer=True), data, sample="tour")


DIGITS: Final = b"9" * 5000
LAUGHS: Final = b"a: &a [x, x, x, x, x, x, x, x, x]\n" + b"".join(
    b"%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n" % ((n, n) + (n - 1,) * 9)
    for n in range(ord("b"), ord("k"))
)

JSON_BODIES: Final = (
    echo("nested 100,000 deep", b"[" * 100_000 + b"]" * 100_000, BAD),
    echo("nested 33 deep (one past the limit)", b"[" * 33 + b"]" * 33, BAD),
    echo("nested 32 deep", b"[" * 32 + b"]" * 32, OK),
    echo("1 MiB + 1 byte", b'"' + b"a" * 2**20 + b'"', TOO_LARGE),
    Case(
        "json",
        "chunked, 2 MiB",
        TOO_LARGE,
        message(
            b"POST /api/echo",
            JSON_HEADER,
            b"Transfer-Encoding: chunked",
            body=(b"10000\r\n" + b" " * 0x10000 + b"\r\n") * 32 + b"0\r\n\r\n",
        ),
        sample="tour",
    ),
    Case(
        "json",
        "Content-Length 2 MiB, body never sent",
        TOO_LARGE,
        message(b"POST /api/echo", JSON_HEADER, b"Content-Length: 2097152"),
        sample="tour",
    ),
    Case(
        "json",
        "Expect: 100-continue, 2 MiB",
        Expect(frozenset({413, 417})),
        message(
            b"POST /api/echo",
            JSON_HEADER,
            b"Expect: 100-continue",
            b"Content-Length: 2097152",
        ),
        sample="tour",
    ),
    echo("an integer of 4,301 digits", b"1" * 4301, BAD),
    echo("an integer of 4,300 digits", b"1" * 4300, OK),
    echo("1e400 (infinite as a float)", b"1e400", BAD),
    echo("-1e400", b"[-1e400]", BAD),
    echo("NaN", b"[NaN]", BAD),
    echo("1e-400 (zero)", b"1e-400", OK),
    echo("a float of 5,000 digits", b"0." + DIGITS, EITHER),
    echo("200,000 numbers", b"[" + b"0," * 199_999 + b"0]", OK),
    echo("300,000 empty objects", b"[" + b"{}," * 299_999 + b"{}]", OK),
    Case(
        "json",
        "200,000 numbers, answered as YAML",
        OK,
        post(
            b"/api/echo",
            b"[" + b"0," * 199_999 + b"0]",
            JSON_TYPE,
            b"Accept: application/yaml",
        ),
        sample="tour",
    ),
    echo(
        "50,000 keys",
        b"{" + b",".join(b'"k%d":0' % n for n in range(50_000)) + b"}",
        OK,
    ),
    echo("50,000 copies of one key", b"{" + b'"k":0,' * 49_999 + b'"k":0}', OK),
    echo("a string of 900 KiB", b'"' + b"a" * 900_000 + b'"', OK),
    echo("100,000 escaped NULs", b'"' + b"\\u0000" * 100_000 + b'"', BAD),
    echo("a UTF-8 byte order mark first", b"\xef\xbb\xbf{}", EITHER),
    echo("UTF-16", '{"a": 1}'.encode("utf-16"), BAD),
    echo(
        "charset=latin-1",
        b"{}",
        Expect(frozenset({415})),
        b"application/json; charset=latin-1",
    ),
    echo("no Content-Type", b"{}", Expect(frozenset({415})), None),
    echo(
        "a Content-Type of 10 KiB", b"{}", EITHER, b"application/json;" + b"x=1;" * 2500
    ),
    echo("an empty body", b"", BAD),
    echo("only whitespace", b" \r\n\t ", BAD),
)

YAML_BODIES: Final = (
    echo("billion laughs (aliases)", LAUGHS, BAD, YAML_TYPE),
    echo("flow sequences 10,000 deep", b"[" * 10_000 + b"]" * 10_000, BAD, YAML_TYPE),
    echo(
        "block mappings 1,000 deep",
        b"".join(b" " * n + b"a:\n" for n in range(1000)) + b" " * 1000 + b"1\n",
        BAD,
        YAML_TYPE,
    ),
    echo(
        "a sexagesimal number of 5,000 parts", b":".join([b"1"] * 5000), BAD, YAML_TYPE
    ),
    dataclasses.replace(
        echo(
            "the issue's sexagesimal number: 1 MiB, 349,000 parts, answered in 2 s",
            b"a: 1" + b":59" * 349_000,
            Expect(frozenset({400}), answer=True),
            YAML_TYPE,
        ),
        bound_s=2.0,
    ),
    echo("an integer of 5,000 digits", DIGITS, BAD, YAML_TYPE),
    echo("0x and 5,000 hex digits", b"0x" + b"f" * 5000, BAD, YAML_TYPE),
    echo("a float of 5,000 digits", b"1." + DIGITS, BAD, YAML_TYPE),
    echo(".inf", b"[.inf]", BAD, YAML_TYPE),
    echo(".nan", b"[.nan]", BAD, YAML_TYPE),
    echo(
        "!!python/object/apply:os.system",
        b"!!python/object/apply:os.system ['true']",
        BAD,
        YAML_TYPE,
    ),
    echo("!!binary", b"!!binary aGVsbG8=", BAD, YAML_TYPE),
    echo("a merge key", b"a: &a {x: 1}\nb:\n  <<: *a\n", BAD, YAML_TYPE),
    echo("a sequence as a key", b"? [1, 2]\n: 3\n", BAD, YAML_TYPE),
    echo("two documents", b"--- 1\n--- 2\n", BAD, YAML_TYPE),
    echo("a tab for indentation", b"a:\n\tb: 1\n", BAD, YAML_TYPE),
    echo("a list of 9,999 items", b"- 1\n" * 9_999, OK, YAML_TYPE),
    echo("a list of 200,000 items", b"- 1\n" * 200_000, TOO_LARGE, YAML_TYPE),
    echo("a scalar of 900 KiB", b"a: " + b"x" * 900_000 + b"\n", OK, YAML_TYPE),
    echo(
        "charset=utf-16",
        b"a: 1\n",
        Expect(frozenset({415})),
        YAML_TYPE + b"; charset=utf-16",
    ),
    echo("an escaped NUL", b'a: "\\0"\n', BAD, YAML_TYPE),
    echo("Cyrillic keys and values", "ключ: значение\n".encode(), OK, YAML_TYPE),
)

UNICODE: Final = (
    echo("invalid UTF-8", b'"\xff\xfe"', BAD),
    echo("an overlong '/' (C0 AF)", b'"\xc0\xaf"', BAD),
    echo("a surrogate encoded in UTF-8 (ED A0 80)", b'"\xed\xa0\x80"', BAD),
    echo("a lone surrogate escape \\ud800", b'"\\ud800"', BAD),
    Case(
        "json",
        "a lone surrogate escape, answered as YAML",
        BAD,
        post(b"/api/echo", b'["\\ud800"]', JSON_TYPE, b"Accept: application/x-yaml"),
        sample="tour",
    ),
    echo("a reversed surrogate pair", b'"\\udc00\\ud800"', BAD),
    echo("an escaped surrogate pair (an emoji)", b'"\\ud83d\\ude00"', OK),
    echo("an escaped NUL", b'"a\\u0000b"', BAD),
    echo("a raw NUL inside a string", b'"a\x00b"', BAD),
    echo("noncharacters U+FFFF and U+FDD0", '"\uffff\ufdd0"'.encode(), EITHER),
    echo("1,000 combining marks", ('"a' + "\u0301" * 1000 + '"').encode(), OK),
    echo("right-to-left override, zero-width joiner", '"\u202eabc\u200d"'.encode(), OK),
    entry("a name holding a NUL", "Ada\x00Lovelace", BAD),
    entry("a name holding a lone surrogate", "Ada\ud800", BAD),
    entry(
        "a NUL in an email (JSONB)",
        {"full_name": "a", "emails": [{"kind": "home", "email": "a\x00b@x.y"}]},
        BAD,
    ),
    entry(
        "a NUL in a street (JSONB)",
        {
            "full_name": "a",
            "addresses": [
                {
                    "kind": "home",
                    "street": "a\x00b",
                    "city": "c",
                    "postcode": "1",
                    "country": "d",
                }
            ],
        },
        BAD,
    ),
    entry_case(
        "unicode",
        "PUT of a name holding a NUL, with the entry's ETag",
        BAD,
        lambda address_id, etag: replace(
            address_id, etag, b'{"full_name":"Ada\\u0000Lovelace"}'
        ),
    ),
    entry(
        "a name of 200 emoji (800 bytes)",
        "\U0001f600" * 200,
        Expect(frozenset({201}), answer=True),
    ),
    entry("a name of 201 characters", "a" * 201, BAD),
    entry("a name that is a zero-width space", "\u200b", EITHER),
    entry("a name with U+2028 and U+2029", "Ada\u2028Love\u2029lace", EITHER),
    address_get("unicode", "an emoji as the id", b"/addresses/%F0%9F%98%80", BAD),
    address_get("unicode", "%FF as the id", b"/addresses/%FF", BAD),
    address_get(
        "unicode", "an Arabic-Indic digit as the id", b"/addresses/%D9%A3", BAD
    ),
)

NUMBERS: Final = (
    address_get("numbers", "an id of 20 digits", b"/addresses/" + b"9" * 20, BAD),
    address_get("numbers", "an id of -1", b"/addresses/-1", BAD),
    address_get("numbers", "an id of 1e3", b"/addresses/1e3", BAD),
    address_get("numbers", "limit=1e309", b"/addresses?limit=1e309", BAD),
    address_get("numbers", "limit=NaN", b"/addresses?limit=NaN", BAD),
    address_get("numbers", "limit of 25 digits", b"/addresses?limit=" + b"9" * 25, BAD),
    address_get(
        "numbers",
        "after of 25 digits (past BIGINT)",
        b"/addresses?after=" + b"9" * 25,
        BAD,
    ),
    *(
        address_get(
            "numbers",
            f"after=2^63{offset:+d}".replace("+0", ""),
            b"/addresses?after=%d" % (BIGINT_END + offset),
            OK if offset < 0 else BAD,
        )
        for offset in (-1, 0, 1)
    ),
    *(
        address_get(
            "numbers",
            f"an id of 2^63{offset:+d}".replace("+0", ""),
            b"/addresses/%d" % (BIGINT_END + offset),
            NOT_FOUND,
        )
        for offset in (-1, 0, 1)
    ),
    address_get("numbers", "after=-1", b"/addresses?after=-1", BAD),
    address_get("numbers", "after of 5,000 digits", b"/addresses?after=" + DIGITS, BAD),
    entry_case(
        "numbers",
        "If-Match of 25 digits",
        STALE,
        lambda address_id, _: replace(address_id, b'"' + b"9" * 25 + b'"', SMALL),
    ),
    entry_case(
        "numbers",
        "If-Match with 1,000 stale ETags",
        STALE,
        lambda address_id, etag: replace(
            address_id, b", ".join(b'"%d"' % n for n in range(1000, 2000)), SMALL
        ),
    ),
    entry_case(
        "numbers",
        "If-Match with 1,000 stale ETags, then the current one",
        Expect(frozenset({204}), answer=True),
        lambda address_id, etag: replace(
            address_id,
            b", ".join([*(b'"%d"' % n for n in range(1000, 2000)), etag]),
            SMALL,
        ),
    ),
    tour_get("an int converter given 5,000 digits", b"/person/" + DIGITS),
    tour_get(
        "a float converter given 400 digits", b"/decimals/" + DIGITS[:400] + b".0"
    ),
    tour_get("a team id of 5,000 digits", b"/teams/" + DIGITS),
    tour_get("an int of 5,000 digits among three", b"/many/a/b/" + DIGITS),
    tour_get("a person id of 20 digits", b"/api/person/" + b"9" * 20),
)

CASES: Final = (*JSON_BODIES, *YAML_BODIES, *UNICODE, *NUMBERS)
