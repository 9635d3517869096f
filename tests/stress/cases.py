"""A case of the hostile-input catalogue: what is sent, what must come back.

A ``Case`` is raw bytes (``{HOST}`` stands for the ``Host`` a client of the
server sends) or a ``drive`` function for what bytes alone cannot say (slow
clients, many connections). ``exchange`` sends the bytes on a new connection
and reads every response until the server closes, goes quiet or the case's
bound passes; ``judge`` compares that with the ``Expect``. Whatever a case
expects, a 5xx it does not name, a JSON body that is not JSON, and neither an
answer nor a close within the bound all fail it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from tests.stress.wire import Response, UnparsableError, Wire

FOUR: Final = frozenset(range(400, 500))
NOT_5XX: Final = frozenset(range(100, 500))
SETTLE_S: Final = 1.0  # quiet after the answers before the connection counts as open


@dataclass(frozen=True)
class Expect:
    """What a case must get back."""

    statuses: frozenset[int] = FOUR  # the first answer's, when there is one
    answer: bool = False  # an answer is required: a close alone fails
    close: bool = False  # the server must close the connection after its answers
    answers: int = 1  # how many answers (more: a request was smuggled in)
    # Each answer came on a connection of its own (a drive's many sockets):
    # every one is judged by ``statuses``, and ``answers`` is only the most.
    each: bool = False
    binary: bool = False  # bytes that are not HTTP/1.1 are fine (an HTTP/2 reply)
    check: Callable[[Observed], str | None] | None = None  # another reason to fail
    about: str = ""  # the expectation in words, when ``statuses`` does not say it

    def __str__(self) -> str:
        if self.about:
            return self.about
        status = _statuses(self.statuses)
        if self.answers > 1:
            status = f"{self.answers} x {status}"
        if self.close:
            return f"{status}, then close"
        return status if self.answer else f"{status} or close"


def _statuses(statuses: frozenset[int]) -> str:
    """``4xx``, ``not 5xx``, or the codes, with any codes beyond those ranges."""
    for whole, name in ((NOT_5XX, "not 5xx"), (FOUR, "4xx")):
        if whole <= statuses:
            return "/".join([name, *(str(s) for s in sorted(statuses - whole))])
    return "/".join(str(s) for s in sorted(statuses))


@dataclass
class Observed:
    """What came back: the answers, and how the connection ended."""

    responses: list[Response] = field(default_factory=list)  # final answers
    interim: list[int] = field(default_factory=list)  # 1xx before them (not 101)
    closed: bool = False  # the server closed (or reset) the connection
    hung: bool = False  # no answer and no close within the bound
    binary: bytes = b""  # bytes that were not an HTTP/1.1 response
    seconds: float = 0.0
    note: str = ""  # a drive's own account

    def __str__(self) -> str:
        if self.note:
            return self.note
        if self.hung:
            return f"no answer, still open after {self.seconds:.1f} s"
        statuses = [str(r.status) for r in self.responses]
        if len(statuses) > 4:
            statuses = [*statuses[:2], f"... ({len(statuses)} answers)"]
        if self.binary:
            statuses.append(f"non-HTTP/1.1 bytes {self.binary[:12]!r}")
        parts = [*(str(s) for s in self.interim), *statuses] or ["no answer"]
        parts.append("closed" if self.closed else "left open")
        return ", ".join(parts)


@dataclass(frozen=True)
class Case:
    """One entry of the catalogue."""

    group: str
    name: str
    expect: Expect
    data: bytes = b""
    drive: Callable[[str, bytes, float], Observed] | None = None  # bind, host, bound
    sample: str | None = None  # the sample whose URL it needs
    database: bool = False  # also run on PostgreSQL: it reaches the database
    slow: bool = False  # takes seconds: runs alongside the others
    # The attack is the number of connections: each costs Hypercorn time to
    # set up, so /healthz is judged by FLOOD_MAX_MS meanwhile, not the p99.
    flood: bool = False
    bound_s: float = 5.0

    def run(self, bind: str, host: bytes) -> Observed:
        """Send the case to the server at ``bind``."""
        if self.drive is not None:
            return self.drive(bind, host, self.bound_s)
        settle = self.expect.close or self.expect.answers != 1
        data = self.data.replace(b"{HOST}", host)
        return exchange(bind, data, self.bound_s, settle, self.expect.answers)


def exchange(
    bind: str,
    data: bytes,
    bound_s: float,
    settle: bool = True,
    answers: int = 1,
    head: bool = False,
) -> Observed:
    """Send ``data`` on a new connection; read answers until close, quiet or bound.

    Up to ``bound_s`` is given for the first ``answers`` answers. With
    ``settle``, each answer after those is waited for up to ``SETTLE_S``
    (another answer, or the close); without, the wait ends there.
    """
    started = time.monotonic()
    deadline = started + bound_s
    seen = Observed()
    wire = Wire(bind, timeout=bound_s)
    try:
        wire.send(data)
        while True:
            if len(seen.responses) >= answers:
                if not settle:
                    seen.closed = wire.closes_within(0.01)
                    break
                wait = min(deadline, time.monotonic() + SETTLE_S)
            else:
                wait = deadline
            answer = wire.response(wait, head)
            if answer is None:
                seen.closed = True
                break
            if 100 <= answer.status < 200 and answer.status != 101:
                seen.interim.append(answer.status)
                continue
            seen.responses.append(answer)
            if answer.status == 101:
                break
    except TimeoutError:
        seen.hung = not seen.responses
    except UnparsableError as error:
        seen.binary = error.args[0] if error.args else b"?"
        seen.closed = wire.closes_within(bound_s)
    finally:
        wire.close()
    seen.seconds = time.monotonic() - started
    return seen


def judge(case: Case, seen: Observed) -> str | None:
    """Why ``seen`` fails ``case``; None when it passes."""
    expect = case.expect
    if seen.hung:
        return f"neither an answer nor a close within {case.bound_s:g} s"
    for answer in seen.responses:
        if answer.status >= 500 and answer.status not in expect.statuses:
            return f"a {answer.status}"
        if problem := answer.json_problem():
            return problem
    if seen.binary and not expect.binary:
        return "bytes that are not an HTTP/1.1 response"
    if seen.responses:
        for answer in seen.responses if expect.each else seen.responses[:1]:
            if answer.status not in expect.statuses:
                return f"{answer.status}, expected {expect}"
        if len(seen.responses) > expect.answers:
            return (
                f"{len(seen.responses)} answers to {expect.answers} request(s): "
                "the bytes after the first were run as another request"
            )
        if not expect.each and len(seen.responses) < expect.answers:
            return f"{len(seen.responses)} answers, expected {expect.answers}"
    elif expect.answer:
        return "closed with no answer"
    if expect.close and not seen.closed and (seen.responses or seen.binary):
        return "the connection was left open after the answer"
    if expect.check is not None:
        return expect.check(seen)
    return None
