"""Schemathesis against the kit's ``/openapi.json``: every operation, every check.

``run(base_url, max_examples)`` runs ``schemathesis run`` (4.x), whose
defaults turn every check on (but ``max_response_time``, which needs a limit),
against a served kit, through the CLI and its reports, and returns what it
found. ``python -m tests.stress.openapi_fuzz [MAX_EXAMPLES]`` serves the kit
(``tests.support.live.Server``) on a fresh SQLite file, and on a fresh
PostgreSQL schema too when ``TEST_DATABASE_URL`` is set (``tests.bench.databases``),
prints a short report per database and exits 1 on any failure.

The document decides what is right, so the configuration only says what the
document cannot:

- NUL in a body's text is a 400 (``app.core.parsing``: PostgreSQL cannot
  store it); JSON Schema cannot say so of every string, so none is generated.
- 412 answers a request whose ``If-Match`` names a stale version: a matter of
  state, like the 404 and 409 that schemathesis already expects of valid data.
- A body documented as bytes (an image upload) is valid to JSON Schema
  whatever the bytes are; the bytes that are no image the operation reads
  are its documented 415 or 422.
- A GET whose path ends in a suffixed parameter (``/images/{image_id}.jpeg``)
  is not checked for "created resource not found": schemathesis matches a
  DELETE to it segment by segment, so ``DELETE /images/{image_id}`` never
  counts as its removal and the GET's 404 after one looks like a lost
  resource (docs/upstream.md).
- An operation that documents no success (a demonstration of a 500) is
  expected to answer the server errors it documents.
- A pattern's final ``$`` is the end of the text, as JSON Schema says, not
  Python's "end or before a final newline" (``_as_json_schema_reads``).
- Requests carry the development user's Basic credentials, so guarded
  operations are reached, and ``ignored_auth`` checks they refuse without.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from tests.bench import databases
from tests.support.live import Server
from tests.support.receiver import Receiver

SCHEMATHESIS: Final = Path(sys.executable).parent / "schemathesis"
DEFAULT_EXAMPLES: Final = 100
DEV_CREDENTIALS: Final = "alice:password"  # the kit's documented development user
# What schemathesis expects of schema-valid data by default, and 412 (see above).
ACCEPTED: Final = ("2xx", "3xx", "401", "403", "404", "409", "412", "429", "5xx")
# Each run of schemathesis may take this long; the kit answers in milliseconds.
TIMEOUT_S: Final = 1800
MAX_SHOWN: Final = 200  # characters of a body or message in a failure's line


@dataclass(frozen=True)
class FuzzResult:
    """What one run found: operations tested, test cases, requests, failures.

    ``warnings`` are schemathesis's own, such as an operation that only ever
    answered 404 (so its checks saw little): worth a look, not a failure.
    """

    operations: int
    examples: int
    requests: int
    failures: list[str]
    warnings: list[str]

    @property
    def ok(self) -> bool:
        """Whether every check passed on every request."""
        return not self.failures


def run(base_url: str, max_examples: int = DEFAULT_EXAMPLES) -> FuzzResult:
    """Fuzz the kit served at ``base_url`` with every check; return what was found."""
    document = _document(base_url)
    with tempfile.TemporaryDirectory(prefix="openapi-fuzz-") as scratch:
        folder = Path(scratch)
        config = folder / "schemathesis.toml"
        config.write_text(_config(document))
        schema = folder / "openapi.json"
        schema.write_text(json.dumps(_as_json_schema_reads(document)))
        command = [
            str(SCHEMATHESIS),
            "--no-color",
            "--config-file",
            str(config),
            "run",
            str(schema),
            "--url",
            base_url,
            # No "--checks all": a check the command line names outranks
            # "enabled = false" in an [[operations]] table, so the
            # configuration below could not turn one off for one operation.
            "--max-examples",
            str(max_examples),
            "--auth",
            DEV_CREDENTIALS,
            "--report",
            "json,ndjson",
            "--report-dir",
            str(folder),
        ]
        finished = subprocess.run(
            command,
            cwd=folder,  # anything it writes stays in the scratch folder
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
        reports = sorted(folder.glob("json-*.json"))
        if not reports:
            raise RuntimeError(f"schemathesis wrote no report:\n{finished.stdout}")
        summary = json.loads(reports[0].read_text())
        events = sorted(folder.glob("ndjson-*.ndjson"))[0]
        requests, failures = _failures(events)
    errors = [f"error: {str(error)[:MAX_SHOWN]}" for error in summary["errors"]]
    if finished.returncode and not failures and not errors:
        tail = finished.stdout[-MAX_SHOWN:]
        errors.append(f"schemathesis exited {finished.returncode}: ...{tail}")
    return FuzzResult(
        operations=summary["operations"]["tested"],
        examples=summary["test_cases"]["generated"],
        requests=requests,
        failures=failures + errors,
        warnings=[
            f"{kind}: {', '.join(map(str, found))}"
            for kind, found in summary["warnings"].items()
            if found
        ],
    )


def _document(base_url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{base_url}/openapi.json") as answer:  # noqa: S310 - ours
        document: dict[str, Any] = json.load(answer)
        return document


def _as_json_schema_reads(value: Any) -> Any:
    """``document`` with each pattern's final ``$`` read as JSON Schema reads it.

    In JSON Schema (ECMA 262), ``$`` is the end of the text; in Python's
    ``re``, which schemathesis draws strings from, it also matches before a
    final newline, so ``^[0-9]+$`` yields ``"1\\n"`` as valid data
    (schemathesis/schemathesis#1350). ``$(?!\\n)`` reads the same in both.
    """
    if isinstance(value, list):
        return [_as_json_schema_reads(item) for item in value]
    if not isinstance(value, dict):
        return value
    copy = {key: _as_json_schema_reads(item) for key, item in value.items()}
    pattern = copy.get("pattern")
    if (
        isinstance(pattern, str)
        and pattern.endswith("$")
        and not pattern.endswith("\\$")
    ):
        copy["pattern"] = pattern + "(?!\\n)"
    return copy


def _config(document: Mapping[str, Any]) -> str:
    """schemathesis.toml: no state kept between runs, and what the module says."""
    lines = [
        "[generation]",
        'database = "none"',
        "allow-x00 = false",
        "[cache]",
        "enabled = false",
        "[checks.positive_data_acceptance]",
        f"expected-statuses = {json.dumps(ACCEPTED)}",
    ]
    for path in _suffixed_reads(document):
        lines += [
            "[[operations]]",
            f"include-path = {json.dumps(path)}",
            'include-method = "GET"',
            "checks.ensure_resource_availability.enabled = false",
        ]
    for method, path in _uploads(document):
        lines += [
            "[[operations]]",
            f"include-path = {json.dumps(path)}",
            f"include-method = {json.dumps(method.upper())}",
            "checks.positive_data_acceptance.expected-statuses = "
            + json.dumps([*ACCEPTED, "415", "422"]),
        ]
    for method, path, statuses in _failing_by_design(document):
        expected = ["2xx", "3xx", "4xx", *statuses]
        lines += [
            "[[operations]]",
            f"include-path = {json.dumps(path)}",
            f"include-method = {json.dumps(method.upper())}",
            f"checks.not_a_server_error.expected-statuses = {json.dumps(expected)}",
        ]
    return "\n".join(lines) + "\n"


def _suffixed_reads(document: Mapping[str, Any]) -> Iterator[str]:
    """Paths with a GET whose last segment is a parameter with a suffix."""
    for path, item in document["paths"].items():
        if "get" in item and re.fullmatch(r".*/\{[^}/]+\}[^/{}]+", path):
            yield path


def _uploads(document: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Operations whose request body is bytes that JSON Schema cannot judge."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            if any(_has_bytes(media.get("schema", {})) for media in content.values()):
                yield method, path


def _has_bytes(schema: Mapping[str, Any]) -> bool:
    if schema.get("format") == "binary":
        return True
    properties = schema.get("properties", {})
    return any(_has_bytes(value) for value in properties.values())


def _failing_by_design(
    document: Mapping[str, Any],
) -> Iterator[tuple[str, str, list[str]]]:
    """Operations that document no success, and the server errors they document."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            statuses = list(operation.get("responses", {}))
            if not any(status.startswith("2") for status in statuses):
                yield method, path, [s for s in statuses if s.startswith("5")]


def _failures(events: Path) -> tuple[int, list[str]]:
    """Requests made, and one line per distinct failure, from the NDJSON events."""
    requests = 0
    found: dict[tuple[str, str, int | None], str] = {}
    with events.open() as lines:
        for line in lines:
            event = json.loads(line)
            recorder = event.get("ScenarioFinished", {}).get("recorder")
            if not recorder:
                continue
            interactions = recorder.get("interactions", {})
            requests += len(interactions)
            for case_id, checks in recorder.get("checks", {}).items():
                for check in checks:
                    if check["status"] != "failure":
                        continue
                    failure = check["failure_info"]["failure"]
                    exchange = interactions.get(case_id) or {}
                    status = (exchange.get("response") or {}).get("status_code")
                    key = (failure["code"], failure["operation"], status)
                    found.setdefault(key, _describe(failure, exchange))
    return requests, [found[key] for key in sorted(found, key=str)]


def _describe(failure: Mapping[str, Any], exchange: Mapping[str, Any]) -> str:
    """One line: the failure, the request that made it, the answer and its message."""
    request = exchange.get("request") or {}
    response = exchange.get("response") or {}
    sent = _text(request.get("body"))
    answer = _text(response.get("content"))
    try:
        said = json.loads(answer).get("message", "") if answer else ""
    except (ValueError, AttributeError):
        said = answer
    parts = [
        f"{failure['code']} {failure['title']}:",
        request.get("method", "?"),
        request.get("uri", failure["operation"]),
        *([f"body={sent[:MAX_SHOWN]!r}"] if sent else []),
        f"-> {response.get('status_code', 'no answer')}",
        *([f"{str(said)[:MAX_SHOWN]!r}"] if said else []),
    ]
    return " ".join(parts)


def _text(data: Mapping[str, str] | None) -> str:
    """A recorded body (base64 in the events) as text."""
    if not data or "$base64" not in data:
        return ""
    return base64.b64decode(data["$base64"]).decode(errors="replace")


def fuzz_served(kind: str, max_examples: int = DEFAULT_EXAMPLES) -> FuzzResult:
    """Serve the kit on a fresh database of ``kind`` and fuzz it.

    Callbacks of the webhooks go to a local receiver, so scheduling one works.
    """
    receiver = Receiver()
    folder = tempfile.TemporaryDirectory(prefix="openapi-fuzz-")
    try:
        with folder, databases.fresh(kind, Path(folder.name)) as database:
            env = {**database.env, "APP_CALLBACK_URL": receiver.url}
            server = Server(env, workers=database.workers).start()
            try:
                return run(server.url, max_examples)
            finally:
                server.stop()
    finally:
        receiver.stop()


def main(argv: list[str]) -> int:
    """Fuzz on each database; print the figures and failures; 1 on any failure."""
    max_examples = int(argv[0]) if argv else DEFAULT_EXAMPLES
    failed = False
    for kind in databases.kinds():
        result = fuzz_served(kind, max_examples)
        verdict = "PASS" if result.ok else "FAIL"
        lines = [
            f"{verdict} {kind}: {result.operations} operations, "
            f"{result.examples} test cases, {result.requests} requests, "
            f"{len(result.failures)} failures",
            *(f"  {failure}" for failure in result.failures),
            *(f"  warning {warning}" for warning in result.warnings),
        ]
        sys.stdout.write("\n".join(lines) + "\n")
        sys.stdout.flush()
        failed |= not result.ok
    for line in databases.left_out():
        sys.stdout.write(f"{line}\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
