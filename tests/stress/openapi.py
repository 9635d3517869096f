"""Part ``openapi``: schemathesis against ``/openapi.json`` (``openapi_fuzz``).

``tests.stress.openapi_fuzz`` runs schemathesis with every check against a
served kit; this part calls its ``fuzz_served(kind, max_examples)`` (which
serves the kit on a fresh database, callbacks going to a local receiver, and
calls ``run(base_url, max_examples)``) on each database, with
``STRESS_OPENAPI_EXAMPLES`` examples per operation, and reports its
``FuzzResult``: operations, test cases, requests and failures.
"""

from __future__ import annotations

import importlib
from typing import Any, Final

from tests.bench.databases import kinds
from tests.bench.parts import Section, verdict
from tests.stress.parts import Part, Stress

MODULE: Final = "tests.stress.openapi_fuzz"


def run(stress: Stress) -> Section:
    """``openapi_fuzz`` on each database."""
    try:
        fuzzing: Any = importlib.import_module(MODULE)
    except ModuleNotFoundError as missing:
        if missing.name not in (MODULE, "schemathesis"):
            raise
        return Section({}, {}, f"openapi: left out, {missing.name} is not installed")
    examples = stress.sizes.openapi_examples
    figures: dict[str, Any] = {"requests": 0, "5xx": 0}
    verdicts: dict[str, str] = {}
    lines = [f"openapi: schemathesis --checks all, {examples} examples per operation"]
    for kind in kinds():
        result = fuzzing.fuzz_served(kind, examples)
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
