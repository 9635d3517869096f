"""What the fuzz sends: hypothesis strategies for bodies, media types and data.

``values`` is any JSON-like value with the awkward parts over-represented:
lone surrogates, NUL, a byte order mark, a right-to-left override, numbers of
up to 4,300 digits (more is sent as raw bytes: Python will not print them),
NaN and the infinities. ``plain`` is what a view may answer (no NaN, no lone
surrogate).
``typed_bodies`` are those values as JSON (ASCII or not) and YAML, YAML's
hostile constructs, deep nesting, raw bytes and text, each with a
``Content-Type``; ``big_bodies`` are fewer and larger, up to and past the
body size limit. ``calls`` are requests to the
samples' routes that take input, when the samples are installed.
"""

from __future__ import annotations

import json
from typing import Any, Final
from urllib.parse import quote

import yaml
from hypothesis import strategies as st

from tests.stress.parts import installed

SPECIAL: Final = (
    "\ud800",  # lone surrogates: high, low, and what os.fsdecode makes of 0xFF
    "\udfff",
    "\udcff",
    "\x00",
    "\ufeff",
    "\u202e",
    "\U0001f600",
    "\u2028",
)
YAML_HOSTILE: Final = (
    b"&a [*a]",
    b"!!python/object/apply:os.system ['true']",
    b"1:2:3:4:5:6:7:8:9",
    b".nan",
    b"-.inf",
    b"? [1]\n: 2",
    b"--- 1\n--- 2",
    b"0x" + b"f" * 5000,
    b"a: !!binary aGk=",
    b"<<: {a: 1}",
)
JSON_MEDIA: Final = (
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=UTF8",
    "application/problem+json",
)
YAML_MEDIA: Final = (
    "application/x-yaml",
    "application/yaml",
    "text/yaml",
    "application/yaml; charset=utf-8",
)
MEDIA: Final = (
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=latin-1",
    "application/problem+json",
    "application/x-yaml",
    "application/yaml; charset=UTF8",
    "text/yaml",
    "text/plain",
    "",
)
ACCEPTS: Final = (
    "*/*",
    "application/json",
    "application/x-yaml",
    "text/yaml;q=0.9, application/json;q=0.1",
    "text/html",
    "application/*",
    "image/png",
    "",
)

# Any text, and text made of the awkward characters alone: hypothesis draws
# from the whole of Unicode so rarely hits one of them otherwise.
texts = st.one_of(
    st.text(max_size=40),
    st.text(st.sampled_from((*SPECIAL, "a", " ", "1")), max_size=8),
)
numbers = st.one_of(
    st.integers(),
    st.floats(),  # NaN and the infinities too
    # Python prints at most 4,300 digits; longer numbers are sent as raw bytes.
    st.integers(1, 4300).map(lambda digits: int("7" * digits)),
)
long_numbers = st.integers(4290, 6000).map(lambda digits: b"[-" + b"7" * digits + b"]")


def nested(
    leaves: st.SearchStrategy[Any], keys: st.SearchStrategy[str]
) -> st.SearchStrategy[Any]:
    """Lists and objects of ``leaves``, a few levels deep, keyed by ``keys``."""
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=5), st.dictionaries(keys, inner, max_size=5)
        ),
        max_leaves=25,
    )


def _encodable(text: str) -> bool:
    # The loader refuses a lone surrogate (no UTF-8 encoder writes one), so
    # none reaches a view from a request, and libyaml's emitter cannot write
    # one back: what a view answers is text that UTF-8 can encode.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


values = nested(st.one_of(st.none(), st.booleans(), numbers, texts), texts)
whole_texts = texts.filter(_encodable)
# Data a view may answer: no NaN or infinity (the loader refuses them, and
# JSON has none), text that UTF-8 can encode (see _encodable).
plain = nested(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.integers(1, 4300).map(lambda digits: int("7" * digits)),
        whole_texts,
    ),
    whole_texts,
)
header_text = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=60,
)


def as_json(value: Any, ascii_only: bool) -> bytes:
    # json.dumps writes a lone surrogate as is without ensure_ascii: the
    # bytes are then not UTF-8, which is one more thing to send.
    text = json.dumps(value, ensure_ascii=ascii_only)
    return text.encode("utf-8", "surrogatepass")


def as_yaml(value: Any) -> bytes:
    try:
        return yaml.safe_dump(value, allow_unicode=True).encode(
            "utf-8", "surrogatepass"
        )
    except (yaml.YAMLError, ValueError):
        return as_json(value, True)


nesting = st.integers(1, 200).map(lambda depth: b"[" * depth + b"]" * depth)
# Mostly ASCII-only JSON: escaped, a lone surrogate reaches the parser intact.
ascii_only = st.sampled_from((True, True, True, False))
json_bodies = st.one_of(
    st.builds(as_json, values, ascii_only),
    st.builds(as_json, values, ascii_only),  # twice: JSON is what clients send
    long_numbers,
    nesting,
)
yaml_bodies = st.one_of(values.map(as_yaml), st.sampled_from(YAML_HOSTILE), nesting)
raw_bodies = st.one_of(
    st.binary(max_size=200),
    texts.map(lambda text: text.encode("utf-8", "surrogatepass")),
)
media = st.one_of(st.sampled_from(MEDIA), header_text)
# (body, Content-Type): mostly a type that fits the body, so that the body
# is parsed, not refused with a 415; sometimes any type at all.
typed_bodies = st.one_of(
    st.tuples(json_bodies, st.sampled_from(JSON_MEDIA)),
    st.tuples(yaml_bodies, st.sampled_from(YAML_MEDIA)),
    st.tuples(st.one_of(json_bodies, yaml_bodies, raw_bodies), media),
)
accepts = st.one_of(st.sampled_from(ACCEPTS), header_text)

# Bodies up to and past the size limit, few of them, for the time an input
# takes as it grows: long lists, many keys, long text. The sizes are listed
# largest first because hypothesis tries the first of a list first, and the
# few examples must reach the large ones. JSON text is YAML too (its flow
# style), so the same values go to the YAML loader.
ITEMS: Final[tuple[Any, ...]] = (0, -1.5, "x", None, True, {}, [], {"k": [1, "v"]})
big_values = st.one_of(
    st.tuples(st.sampled_from(ITEMS), st.sampled_from((150_000, 40_000, 5_000))).map(
        lambda sized: [sized[0]] * sized[1]
    ),
    st.sampled_from((60_000, 20_000, 2_000)).map(
        lambda keys: {f"k{n}": n for n in range(keys)}
    ),
    st.tuples(
        st.sampled_from(("a", "\u00e9", "\U0001f600", "\\", '"', "\u2028")),
        st.sampled_from((500_000, 150_000, 20_000)),
    ).map(lambda sized: sized[0] * sized[1]),
)
big_bodies = st.one_of(
    st.tuples(st.builds(as_json, big_values, ascii_only), st.sampled_from(JSON_MEDIA)),
    st.tuples(st.builds(as_json, big_values, ascii_only), st.sampled_from(YAML_MEDIA)),
    st.tuples(
        st.sampled_from((20_000, 9_000, 1_000)).map(lambda items: b"- 1\n" * items),
        st.sampled_from(YAML_MEDIA),
    ),
)
big_accepts = st.sampled_from(("application/json", "application/x-yaml", "*/*"))
entries = st.builds(
    as_json,
    st.dictionaries(
        st.one_of(
            st.sampled_from(("full_name", "emails", "phones", "addresses")), texts
        ),
        values,
        max_size=4,
    ),
    st.booleans(),
)
pieces = texts.map(lambda text: quote(text.encode("utf-8", "surrogatepass"), safe=""))


Call = tuple[str, str, bytes, str, str]  # method, path, body, Content-Type, Accept


def calls() -> st.SearchStrategy[Call]:
    """Requests to the installed samples' routes that read a body, a query or an id."""
    json_type = st.just("application/json")
    choices: list[st.SearchStrategy[Call]] = []
    if installed("tour"):
        choices.append(
            st.tuples(typed_bodies, accepts).map(
                lambda sent: ("POST", "/api/echo", sent[0][0], sent[0][1], sent[1])
            )
        )
    if installed("addressbook"):
        ids = pieces.map(lambda piece: f"/addresses/{piece}")
        queries = st.tuples(pieces, pieces).map(
            lambda query: f"/addresses?limit={query[0]}&after={query[1]}"
        )
        nothing = st.just(b"")
        choices += [
            st.tuples(
                st.just("POST"), st.just("/addresses"), entries, json_type, accepts
            ),
            st.tuples(st.just("PUT"), ids, entries, json_type, accepts),
            st.tuples(st.just("GET"), queries, nothing, st.just(""), accepts),
            st.tuples(st.just("GET"), ids, nothing, st.just(""), accepts),
        ]
    return st.one_of(choices)
