"""The container image, built and run: what production gets from ``make image``.

These need a container engine and a built image, so they are skipped unless
``TEST_IMAGE`` names one; ``.ci/run`` builds it and sets that (its
"container image" step), and ``TEST_CONTAINER`` picks the tool (``docker``
unless set). Each container runs as production does: ``APP_ENV=production``
with every required secret set, migrations first as a one-off run of the
same image, then the image's own command.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx
import pytest

from tests.support.live import ROOT, free_port, shipped
from tests.support.production import HOST, first_answer, production_environment

IMAGE: Final = os.environ.get("TEST_IMAGE", "")
CONTAINER: Final = os.environ.get("TEST_CONTAINER", "docker")
GRACEFUL_TIMEOUT: Final[float] = shipped("graceful_timeout")
FIRST_ANSWER_S: Final = 5.0
TOUR: Final = (ROOT / "app" / "samples" / "tour").is_dir()
ADDRESSBOOK: Final = (ROOT / "app" / "samples" / "addressbook").is_dir()
# Writes acknowledged before SIGTERM: the load is steady by then.
STEADY: Final = 100

pytestmark = pytest.mark.skipif(
    not IMAGE, reason="TEST_IMAGE names no image (.ci/run's container step sets it)"
)


def engine(*arguments: str, check: bool = True) -> str:
    """Run the container tool; its standard output."""
    done = subprocess.run(
        [CONTAINER, *arguments], capture_output=True, text=True, check=False
    )
    if check and done.returncode:
        raise AssertionError(f"{CONTAINER} {arguments[0]}: {done.stderr}")
    return done.stdout


@dataclass
class Container:
    """A running container of the image, published on a loopback port."""

    name: str
    url: str
    first_answer_s: float

    def get(self, path: str, timeout: float = 5) -> httpx.Response:
        """GET ``path`` as a client of the service does, naming its host."""
        return get(f"{self.url}{path}", timeout)


def get(url: str, timeout: float) -> httpx.Response:
    """GET ``url`` with ``Host`` the production host name."""
    return httpx.get(url, headers={"Host": HOST}, timeout=timeout)


def run_image(tmp_path: Path) -> Container:
    """Migrate a fresh SQLite file, then start the image; time its first 200."""
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o777)  # the image's user is not this machine's
    environ = {**production_environment(), "APP_DATABASE_URL": "sqlite:////data/app.db"}
    options = ["--volume", f"{data}:/data"]
    for key, value in environ.items():
        options += ["--env", f"{key}={value}"]
    engine("run", "--rm", *options, IMAGE, "python", "-m", "app.core.migrations")
    name = f"kit-image-test-{secrets.token_hex(4)}"
    port = free_port()
    started = time.perf_counter()
    engine(
        "run", "--detach", "--name", name, "--publish", f"127.0.0.1:{port}:8000",
        *options, IMAGE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    answer = first_answer(f"{url}/healthz", 3 * FIRST_ANSWER_S)
    if answer is not None and answer.status_code == 200:
        return Container(name, url, time.perf_counter() - started)
    logs = engine("logs", name, check=False)
    engine("rm", "--force", name, check=False)
    raise AssertionError(f"no 200 from /healthz in {3 * FIRST_ANSWER_S} s:\n{logs}")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    """One container for the tests that only ask it questions."""
    container = run_image(tmp_path_factory.mktemp("image"))
    yield container
    engine("rm", "--force", container.name, check=False)


def test_first_answer_within_5_s_of_run(served: Container) -> None:
    assert served.first_answer_s <= FIRST_ANSWER_S


def test_health_and_readiness(served: Container) -> None:
    assert served.get("/healthz").json() == {"status": "ok"}
    assert served.get("/readyz").status_code == 200


def test_the_healthcheck_passes(served: Container) -> None:
    # The image's HEALTHCHECK: python's urllib against /healthz, no curl.
    found = json.loads(engine("image", "inspect", IMAGE))[0]
    healthcheck = found.get("Healthcheck") or found["Config"]["Healthcheck"]
    assert "/healthz" in " ".join(healthcheck["Test"])
    if CONTAINER == "podman":
        engine("healthcheck", "run", served.name)


def test_the_app_answers(served: Container) -> None:
    missing = served.get("/no/such/page")
    assert missing.status_code == 404
    assert missing.headers["Content-Type"] == "application/json"
    if TOUR:
        assert served.get("/api").json() == {"Hello": "World!"}


def test_no_root_no_compiler_no_dev_extras_and_compiled(served: Container) -> None:
    probe = (
        "import importlib.util as u, json, os, shutil, app.asgi as a;"
        "print(json.dumps({'uid': os.getuid(),"
        " 'compilers': [c for c in ('gcc', 'cc', 'clang') if shutil.which(c)],"
        " 'tools': [m for m in ('pip', 'pytest', 'ruff', 'uv') if u.find_spec(m)],"
        " 'bytecode': os.path.exists(u.cache_from_source(a.__file__))}))"
    )
    found: Mapping[str, Any] = json.loads(
        engine("exec", served.name, "python", "-c", probe)
    )
    assert found == {
        "uid": found["uid"],
        "compilers": [],
        "tools": [],
        "bytecode": True,
    }
    assert found["uid"] != 0


@pytest.mark.skipif(not TOUR, reason="the tour sample's /api/echo reads a body")
def test_sigterm_drains_in_flight_work_then_exits(tmp_path: Path) -> None:
    container = run_image(tmp_path)
    try:
        host, port = container.url.removeprefix("http://").split(":")
        body = b'{"in":"flight"}'
        with socket.create_connection((host, int(port)), timeout=10) as held:
            # Hypercorn says "100 Continue" once the app has the request.
            held.sendall(
                b"POST /api/echo HTTP/1.1\r\nHost: %s\r\n"
                b"Content-Type: application/json\r\nExpect: 100-continue\r\n"
                b"Content-Length: %d\r\n\r\n" % (HOST.encode(), len(body))
            )
            assert held.recv(65536).startswith(b"HTTP/1.1 100 ")
            signalled = time.perf_counter()
            engine("kill", "--signal", "TERM", container.name)
            wait_until_stopping(container.url)
            held.sendall(body)
            answer = receive(held)
        code = engine("wait", container.name).strip()
        exited_s = time.perf_counter() - signalled
        assert answer.startswith(b"HTTP/1.1 200"), answer
        assert json.loads(answer.partition(b"\r\n\r\n")[2]) == {"in": "flight"}
        assert code == "0", engine("logs", container.name, check=False)
        assert exited_s < GRACEFUL_TIMEOUT
    finally:
        engine("rm", "--force", container.name, check=False)


@pytest.mark.skipif(not ADDRESSBOOK, reason="no address book: nothing to write")
def test_sigterm_under_steady_load_loses_no_accepted_request(tmp_path: Path) -> None:
    """Four clients write without pause; SIGTERM; then the database is read back.

    Each write is a new entry with a name of its own, so the read-back tells
    which ran: every one acknowledged (201) is there, and none that was
    refused (503), never sent (connection refused) or left without an answer
    ran: that would be a request accepted and its answer lost.
    """
    container = run_image(tmp_path)
    outcomes: dict[str, str] = {}
    changed = threading.Condition()

    def write(client_number: int) -> None:
        with httpx.Client(
            base_url=container.url, headers={"Host": HOST}, timeout=10
        ) as client:
            for n in range(1_000_000):
                name = f"load-{client_number}-{n}"
                try:
                    status = client.post("/addresses", json={"full_name": name})
                    outcome = {201: "created", 503: "refused"}.get(
                        status.status_code, f"answered {status.status_code}"
                    )
                except httpx.ConnectError:
                    outcome = "unsent"
                except httpx.TransportError as error:
                    outcome = f"no answer: {type(error).__name__}"
                with changed:
                    outcomes[name] = outcome
                    changed.notify_all()
                if outcome == "unsent":
                    return  # the server takes no more connections

    clients = [threading.Thread(target=write, args=(k,)) for k in range(4)]
    try:
        for thread in clients:
            thread.start()
        with changed:
            steady = changed.wait_for(
                lambda: sum(o == "created" for o in outcomes.values()) >= STEADY, 60
            )
        assert steady, f"fewer than {STEADY} writes in 60 s: {set(outcomes.values())}"
        engine("kill", "--signal", "TERM", container.name)
        code = engine("wait", container.name).strip()
        for thread in clients:
            thread.join(timeout=30)
        assert code == "0", engine("logs", container.name, check=False)
    finally:
        engine("rm", "--force", container.name, check=False)
    # A connection's own "with" commits but does not close it.
    with closing(sqlite3.connect(tmp_path / "data" / "app.db")) as database:
        stored = {row[0] for row in database.execute("SELECT full_name FROM addresses")}
    created = {name for name, outcome in outcomes.items() if outcome == "created"}
    assert created <= stored, f"acknowledged, then lost: {sorted(created - stored)}"
    ran_unanswered = {
        name: outcome for name, outcome in outcomes.items()
        if name in stored and outcome != "created"
    }  # fmt: skip
    assert not ran_unanswered, f"ran, answer lost: {ran_unanswered}"
    unexpected = {o for o in outcomes.values() if o.startswith("answered")}
    assert not unexpected, unexpected


def wait_until_stopping(url: str, timeout: float = 5) -> None:
    """Poll with new connections until they are refused, dropped or answered 503."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        try:
            if get(f"{url}/healthz", 0.2).status_code == 503:
                return
        except httpx.TransportError:
            return
    raise AssertionError(f"still answering new requests {timeout} s after SIGTERM")


def receive(held: socket.socket) -> bytes:
    """The whole answer on ``held``: until the server closes it."""
    chunks = []
    while chunk := held.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)
