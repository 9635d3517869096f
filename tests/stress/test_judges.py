"""The stress suite's own judges, on made-up observations: no server, no sockets.

A judge that passes everything makes the whole suite pass, so each one is
shown failing what it exists to catch.
"""

from __future__ import annotations

import pytest

from tests.stress.cases import FOUR, Case, Expect, Observed, judge
from tests.stress.framing import ONE_CLOSE
from tests.stress.prober import INTERVAL_S, Probes, slots
from tests.stress.slow import CUT
from tests.stress.wire import (
    IncompleteError,
    Response,
    UnparsableError,
    parse_response,
)

JSON: tuple[tuple[str, str], ...] = (("content-type", "application/json"),)


def answer(status: int, body: bytes = b"{}") -> Response:
    return Response(status, JSON, body)


def case(expect: Expect) -> Case:
    return Case("test", "a case", expect, b"")


def test_an_answer_and_a_close_pass_a_case_that_wants_both() -> None:
    seen = Observed([answer(400)], closed=True)

    assert judge(case(ONE_CLOSE), seen) is None


def test_a_smuggled_second_answer_fails() -> None:
    seen = Observed([answer(400), answer(200)], closed=True)

    assert "2 answers to 1 request" in (judge(case(ONE_CLOSE), seen) or "")


def test_a_connection_left_open_after_a_400_fails_when_a_close_is_due() -> None:
    seen = Observed([answer(400)], closed=False)

    assert judge(case(ONE_CLOSE), seen) == (
        "the connection was left open after the answer"
    )


@pytest.mark.parametrize("status", [500, 501, 502, 503])
def test_a_5xx_that_the_case_does_not_name_fails(status: int) -> None:
    seen = Observed([answer(status)], closed=True)

    assert judge(case(Expect(FOUR)), seen) == f"a {status}"


def test_a_5xx_that_the_case_names_passes() -> None:
    seen = Observed([answer(501)], closed=True)

    assert judge(case(Expect(FOUR | {501})), seen) is None


def test_a_json_body_that_is_not_json_fails() -> None:
    seen = Observed([answer(400, b'{"a": NaN}')], closed=True)

    assert "not JSON" in (judge(case(Expect(FOUR)), seen) or "")


def test_no_answer_fails_a_case_that_wants_one() -> None:
    seen = Observed(closed=True)

    assert judge(case(Expect(FOUR, answer=True)), seen) == "closed with no answer"


def test_every_connection_of_a_trickle_is_judged() -> None:
    cut = Observed([answer(408), answer(400)], closed=True)
    one_served = Observed([answer(408), answer(200)], closed=True)

    assert judge(case(CUT), cut) is None
    assert (judge(case(CUT), one_served) or "").startswith("200, expected")


def test_a_trickle_still_open_fails() -> None:
    assert judge(case(CUT), Observed(hung=True)) is not None


def parsed(raw: bytes, eof: bool = False) -> tuple[Response | None, bytes]:
    """The first response in ``raw``, and the bytes left after it."""
    buffer = bytearray(raw)
    return parse_response(buffer, eof), bytes(buffer)


def test_a_content_length_body_ends_at_its_length() -> None:
    first, left = parsed(
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nServer: x\r\n\r\nokHTTP/1.1 4"
    )

    assert first == Response(200, (("content-length", "2"), ("server", "x")), b"ok")
    assert left == b"HTTP/1.1 4"


def test_a_chunked_body_is_joined_and_its_trailers_skipped() -> None:
    first, left = parsed(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nX-T: t\r\n\r\nnext"
    )

    assert first is not None
    assert first.body == b"abcde"
    assert left == b"next"


def test_a_body_without_a_length_ends_at_the_close() -> None:
    raw = b"HTTP/1.1 200 OK\r\n\r\nall of it"

    with pytest.raises(IncompleteError):
        parsed(raw)
    first, left = parsed(raw, eof=True)
    assert first is not None
    assert (first.body, left) == (b"all of it", b"")


def test_a_response_is_only_taken_once_it_is_whole() -> None:
    raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    buffer = bytearray()
    for byte in raw[:-1]:
        buffer.append(byte)
        with pytest.raises(IncompleteError):
            parse_response(buffer, eof=False)
    buffer.append(raw[-1])

    assert parse_response(buffer, eof=False) is not None
    assert buffer == b""


def test_a_close_inside_a_body_is_unparsable() -> None:
    with pytest.raises(UnparsableError):
        parsed(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort", eof=True)


def test_bytes_that_are_not_http_are_unparsable() -> None:
    with pytest.raises(UnparsableError):
        parsed(b"\x00\x00\x12\x04\x00")


def test_a_close_before_any_answer_is_none() -> None:
    assert parsed(b"", eof=True) == (None, b"")


def probes(latencies_ms: list[float]) -> Probes:
    """What the prober records for probes sent one after another on its schedule."""
    samples: list[tuple[float, float]] = []
    at = 0.0
    for ms in latencies_ms:
        ended = at + ms / 1000
        samples += [(slot, (ended - slot) * 1000) for slot in slots(at, ended)]
        at = max(at + INTERVAL_S, samples[-1][0] + INTERVAL_S)
    return Probes(samples, [])


def test_fast_probes_pass() -> None:
    assert probes([2.0] * 3000).passed


def test_one_long_stall_among_thousands_of_fast_probes_fails() -> None:
    stalled = probes([2.0] * 1500 + [4900.0] + [2.0] * 1500)

    assert not stalled.passed
    assert stalled.count > 3001  # the slots the stall held up count too
    assert stalled.p99_ms > 1000


def test_a_probe_that_failed_fails() -> None:
    assert not Probes([(0.0, 2.0)], [(0.02, "status 503")]).passed


def test_a_flood_window_takes_its_slots_out_of_the_p99() -> None:
    quick = [(float(n), 2.0) for n in range(100)]
    stalled = [(100.0 + n / 100, 400.0) for n in range(20)]
    probes = Probes([*quick, *stalled], [])
    assert not probes.passed
    during, outside = probes.split([(100.0, 101.0)])
    assert outside.passed
    assert during.count == 20
    assert during.max_ms == 400.0
