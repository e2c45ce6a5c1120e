"""The HTTP suite's target: the local runtime, started on free ports from a fresh synthesis (the default), or a
deployed stage.

Against a deployed stage, set `RAPPORT_API_URL` (the stage's URL, e.g. https://abc.execute-api.eu-west-1.
amazonaws.com/dev) and `RAPPORT_TOKEN_COMMAND`: a command that prints an ID token when called with
`--tenant T --user U --groups g1,g2` appended (for instance a script that creates that Cognito user in the
tenant and groups, and signs it in). `rapport token` is that command for the local runtime. Tests that need
the local runtime itself (expired tokens, its docs, a restart) skip against a deployed stage.

`RAPPORT_CDK_OUT=cdk.out` runs the suite on an existing synthesis instead of synthesizing one.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import requests

from local.runtime.runtime import REGION
from local.runtime.store import DataDir
from local.runtime.tokens import TokenIssuer
from tools.loadtest import LocalProcess

HERE = Path(__file__).parent
SAMPLES = HERE.parents[1] / "events" / "apigw"
STACK = "Rapport-dev"
READY = "Ctrl-C stops."
START_TIMEOUT = 120.0
LOG_TAIL = 60
CLI_CONTEXT = {"aws:cdk:enable-path-metadata": True, "aws:cdk:enable-asset-metadata": True}
TokenSource = Callable[[str, str, str], str]  # (tenant, user, comma-separated groups) -> ID token


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here starts processes or talks to a deployed stage."""
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failing test shows what the local runtime logged last."""
    report: pytest.TestReport = yield
    target = getattr(item, "funcargs", {}).get("target")
    if report.failed and isinstance(target, Target) and target.runtime is not None:
        tail = "\n".join(target.runtime.output().splitlines()[-LOG_TAIL:])
        report.sections.append(("rapport local (last lines of its log)", tail))
    return report


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalRuntime:
    """`rapport local` in a child process, as a developer runs it, with its output in a log file."""

    def __init__(self, cdk_out: Path, data_dir: Path, *, seed: bool = False) -> None:
        self.cdk_out = cdk_out
        self.data_dir = data_dir
        self.seed = seed
        self.log = data_dir.with_name(data_dir.name + ".log")
        self.port = free_port()
        self.aws_port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    @property
    def aws_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.aws_port}"

    def start(self) -> None:
        command = [
            str(Path(sys.executable).with_name("rapport")),
            "local",
            *("--port", str(self.port), "--aws-port", str(self.aws_port)),
            *("--data-dir", str(self.data_dir), "--cdk-out", str(self.cdk_out), "--stack", STACK),
            *([] if self.seed else ["--no-seed"]),
            "--webhooks-allow-http-localhost",  # tests/e2e/test_webhooks.py's receiver listens on localhost
        ]
        earlier = len(self.output())  # a restart appends to the log of the earlier run
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603 - ours
        deadline = time.monotonic() + START_TIMEOUT
        while READY not in self.output()[earlier:]:
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"rapport local did not start:\n{self.output()}")
            time.sleep(0.2)

    def stop(self) -> int | None:
        """Ctrl-C, as a developer stops it; the exit status."""
        if self._process is None:
            return None
        process, self._process = self._process, None
        process.send_signal(signal.SIGINT)
        try:
            return process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            return None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass(frozen=True)
class Target:
    url: str
    token: TokenSource
    runtime: LocalRuntime | None  # None against a deployed stage


def synthesize(outdir: Path) -> Path:
    """The dev stage's cloud assembly, as `cdk synth` writes it (a failing cdk-nag check still writes it)."""
    from infra.application import build_app
    from infra.config import project_context

    app = build_app({**project_context(), **CLI_CONTEXT, "stage": "dev"}, outdir=str(outdir))
    try:
        app.synth()
    except Exception:
        if not (outdir / f"{STACK}.template.json").is_file():
            raise
    return outdir


@pytest.fixture(scope="session")
def cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("RAPPORT_CDK_OUT")
    return Path(given).resolve() if given else synthesize(tmp_path_factory.mktemp("cdk.out"))


def local_tokens(data_dir: Path) -> TokenSource:
    issuer = TokenIssuer.of(DataDir(data_dir), REGION)
    return lambda tenant, user, groups: issuer.mint(tenant=tenant, user=user, groups=groups.split(","))


def command_tokens(command: str) -> TokenSource:
    @cache
    def token(tenant: str, user: str, groups: str) -> str:
        arguments = [*shlex.split(command), "--tenant", tenant, "--user", user, "--groups", groups]
        return subprocess.run(arguments, capture_output=True, text=True, check=True).stdout.strip()  # noqa: S603

    return token


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    url = os.environ.get("RAPPORT_API_URL")
    if url:
        yield Target(url.rstrip("/"), command_tokens(os.environ["RAPPORT_TOKEN_COMMAND"]), None)
        return
    runtime = LocalRuntime(request.getfixturevalue("cdk_out"), tmp_path_factory.mktemp("local") / "data")
    runtime.start()
    yield Target(runtime.url, local_tokens(runtime.data_dir), runtime)
    assert runtime.stop() == 0, runtime.output()


@pytest.fixture
def runtime(cdk_out: Path, tmp_path: Path) -> Iterator[LocalProcess]:
    """A runtime of the test's own, to start, stop and kill (`target` is the module's shared one)."""
    if os.environ.get("RAPPORT_API_URL"):
        pytest.skip("starts and kills the local runtime")
    runtime = LocalProcess(cdk_out, tmp_path / "data")
    yield runtime
    runtime.kill()


def customer_token(target: Target, tenant: str, contact: str) -> str:
    """A customer's token for the portal, as the customer pool issues it once they signed in: the local runtime's
    (a deployed stage's customers sign in by a mailed code, which no test can read)."""
    if target.runtime is None:
        pytest.skip("a customer's token needs the local runtime")
    return TokenIssuer.of(DataDir(target.runtime.data_dir), REGION).mint_customer(tenant=tenant, contact=contact)


@pytest.fixture
def local_runtime(target: Target) -> LocalRuntime:
    if target.runtime is None:
        pytest.skip("needs the local runtime")
    return target.runtime


class Client:
    """A staff user's HTTP client: every request carries its token."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.url + path, timeout=30, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def create(self, collection: str, **fields: Any) -> dict[str, Any]:
        response = self.post(f"/{collection}", json=fields)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created


Staff = Callable[..., Client]


def sample(operation: str, **changes: Any) -> dict[str, Any]:
    """The body of the operation's sample API Gateway event (events/apigw), with `changes` made to it."""
    [event] = SAMPLES.glob(f"*/{operation}.json")
    body: dict[str, Any] = json.loads(json.loads(event.read_text())["body"])
    return {**body, **changes}


def problem(response: requests.Response, status: int) -> dict[str, Any]:
    """The problem+json body of an error response with `status`."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def one_team(staff: Staff, *user_ids: str, team: str = "e2e") -> None:
    """Profiles (set up by an admin) that put these users in one team: its manager may change its members'
    records."""
    admin = staff("admin")
    for user_id in user_ids:
        profile = {"name": user_id, "email": f"{user_id}@team.example", "team": team}
        reply = admin.put(f"/users/{user_id}", json=profile)
        assert reply.status_code == 201, reply.text


@pytest.fixture
def tenant() -> str:
    """Each test works in a tenant of its own."""
    return f"e2e-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def staff(target: Target, tenant: str) -> Staff:
    """`staff("sales")`, `staff("admin", tenant="other")`: a client for a user with those groups."""

    def client(groups: str, *, tenant: str = tenant, user: str | None = None) -> Client:
        user = user or f"{groups.replace(',', '-')}-user"
        return Client(target.url, target.token(tenant, user, groups))

    return client
