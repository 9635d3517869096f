"""Part ``openapi``: schemathesis against ``/openapi.json`` (``openapi_fuzz``).

``tests.stress.openapi_fuzz`` runs schemathesis with every check against a
served kit; this part calls its ``fuzz_served(kind, max_examples)`` (which
serves the kit on a fresh database, callbacks going to a local receiver, and
calls ``run(base_url, max_examples)``) on each database, with
``STRESS_OPENAPI_EXAMPLES`` examples per operation, and reports its
``FuzzResult``: operations, test cases, requests and failures. schemathesis
is a dev dependency: without its command the part fails, it is not left out.
(``openapi_fuzz`` stays a module of its own: it also runs alone, ``python -m
tests.stress.openapi_fuzz``, and together they would be twice the size of a
module here.)
"""

from __future__ import annotations

from typing import Any, Final

from tests.bench.databases import kinds
from tests.bench.parts import Section, verdict
from tests.stress import openapi_fuzz
from tests.stress.parts import Part, Stress


def run(stress: Stress) -> Section:
    """``openapi_fuzz`` on each database."""
    if not openapi_fuzz.SCHEMATHESIS.is_file():
        missing = (
            f"openapi: no {openapi_fuzz.SCHEMATHESIS}: schemathesis is a dev "
            "dependency (pip install -e '.[dev]')"
        )
        return Section(
            {"failures": [missing]},
            {"openapi: schemathesis is installed": verdict(False)},
            missing,
        )
    examples = stress.sizes.openapi_examples
    figures: dict[str, Any] = {"requests": 0, "5xx": 0}
    verdicts: dict[str, str] = {}
    lines = [f"openapi: schemathesis, every check, {examples} examples per operation"]
    for kind in kinds():
        result = openapi_fuzz.fuzz_served(kind, examples)
        figures[kind] = {
            "operations": result.operations,
            "examples": result.examples,
            "requests": result.requests,
            "failures": result.failures,
        }
        figures["requests"] += result.requests
        figures["5xx"] += sum("server_error" in f for f in result.failures)
        verdicts[f"openapi {kind}: every check passed"] = verdict(result.ok)
        lines.append(
            f"{kind}: {result.operations} operations, {result.examples} test cases, "
            f"{result.requests} requests, {len(result.failures)} failures"
        )
        lines += [f"  {failure}" for failure in result.failures[:20]]
    return Section(figures, verdicts, "\n".join(lines))


PART: Final = Part("openapi", "schemathesis on /openapi.json (~1 min per db)", run)
