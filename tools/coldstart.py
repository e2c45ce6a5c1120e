"""`make bench`'s cold starts: each API function as it deploys, beside two bare handlers, in fresh processes.

What a user waits for on a cold start is Lambda importing the handler from its assets and answering the first
request. So each measured process runs the runtime's Python (`infra.bytecode`) on a read-only copy of the
synthesized assets (`cdk.out`: the function's code and its layers, with exactly the bytecode they ship; nothing is
written, `-B`), imports the handler and answers one sample request from `events/apigw/<area>/` (a GET: a list,
where the area has one), against a DynamoDB stub on localhost that answers at once. The figure is the process's
CPU time from the handler's import to its answer: Lambda's init is CPU-bound, and on a shared machine wall time
also counts other processes' turns (it is printed beside it).

Beside them, in the same run and the same way, two bare handlers: boto3 alone (a client and one GetItem to the
stub) and Powertools' REST resolver with `enable_validation` and one route answering a pydantic model (the same
GetItem). Rounds interleave every subject; each subject's figure is the median of its rounds. The bench prints
each function's ratio to both and the worst, and exits non-zero when a function takes more than `LIMIT` times
bare boto3 (the goal is `GOAL`), answers with a server error, or compiles a module at import.

The deps layer is built for Lambda's arm64; this machine runs its twin: the same asset with the native
extensions of the same pinned wheels for this machine. The runtime's AWS SDK (boto3, which Lambda provides) is the
pinned boto3, installed for the runtime's Python with its bytecode.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import tomllib
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from infra import bytecode
from infra.openapi import Route, functions_of, load_routes
from local.runtime.template import CloudAssembly

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events" / "apigw"
CACHE = ROOT / ".bench"
BARE_BOTO3 = "bare boto3"
BARE_POWERTOOLS = "bare powertools"
LIMIT = 2.0
GOAL = 1.5
ROUNDS = 7
TABLE_NAME = "rapport-bench"
BARE_HANDLER = "handler.lambda_handler"

# Run by every measured process: the event and the handler (`module.function`, as Lambda names it) its arguments.
MEASURE = """
import importlib, importlib.machinery, json, sys, time

compiled = []
source_to_code = importlib.machinery.SourceFileLoader.source_to_code


def counting_source_to_code(self, data, path, *args, **kwargs):
    compiled.append(path)
    return source_to_code(self, data, path, *args, **kwargs)


importlib.machinery.SourceFileLoader.source_to_code = counting_source_to_code


class Context:
    function_name = "bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:bench"
    aws_request_id = "00000000-0000-4000-8000-000000000000"
    log_group_name = "/aws/lambda/bench"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self):
        return 10_000


event, (module, _, function) = json.loads(sys.argv[1]), sys.argv[2].rpartition(".")
started, started_cpu = time.perf_counter(), time.process_time()
reply = getattr(importlib.import_module(module), function)(event, Context())
cpu, wall = time.process_time() - started_cpu, time.perf_counter() - started
result = {"cpu": cpu, "wall": wall, "status": reply["statusCode"], "compiled": len(compiled)}
print("\\ncoldstart " + json.dumps(result))
"""

BARE_BOTO3_HANDLER = f'''
import boto3

client = boto3.client("dynamodb")


def lambda_handler(event, context):
    client.get_item(TableName="{TABLE_NAME}", Key={{"pk": {{"S": "T#t#ACC#1"}}, "sk": {{"S": "A#META"}}}})
    return {{"statusCode": 200, "body": "{{}}"}}
'''

BARE_POWERTOOLS_HANDLER = f'''
import boto3
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from pydantic import BaseModel

client = boto3.client("dynamodb")
app = APIGatewayRestResolver(enable_validation=True)


class Account(BaseModel):
    id: str
    name: str | None = None


@app.get("/accounts/<record_id>")
def get_account(record_id: str) -> Account:
    key = {{"pk": {{"S": f"T#t#ACC#{{record_id}}"}}, "sk": {{"S": "A#META"}}}}
    item = client.get_item(TableName="{TABLE_NAME}", Key=key).get("Item", {{}})
    return Account(id=record_id, name=item.get("name", {{}}).get("S"))


def lambda_handler(event, context):
    return app.resolve(event, context)
'''

# STS's answer to AssumeRole, as a fenced function (rapport.dal.tenancy) asks it once per tenant per container.
_ASSUME_ROLE_ANSWER = """<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>ASIABENCH</AccessKeyId><SecretAccessKey>bench</SecretAccessKey>
<SessionToken>bench</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>
<AssumedRoleUser><AssumedRoleId>AROABENCH:bench</AssumedRoleId><Arn>arn:aws:sts::123456789012:assumed-role/bench/bench</Arn>
</AssumedRoleUser></AssumeRoleResult></AssumeRoleResponse>"""
# The stub's answers: what DynamoDB says when nothing matches, and the stack's secret. Any other operation is
# recorded as unexpected.
_STUB_ANSWERS: dict[str, dict[str, Any]] = {
    "GetItem": {},
    "Query": {"Items": [], "Count": 0, "ScannedCount": 0},
    "BatchGetItem": {"Responses": {}, "UnprocessedKeys": {}},
    "PutItem": {},
    "UpdateItem": {},
    "DeleteItem": {},
    "TransactWriteItems": {},
    "TransactGetItems": {"Responses": []},
    # Secrets Manager's answer: the stack's secret, which signed links and sealed values are keyed by (rapport.sealing)
    "GetSecretValue": {
        "ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:bench",
        "Name": "bench",
        "SecretString": "bench-secret",
        "VersionId": "00000000-0000-4000-8000-000000000000",
        "VersionStages": ["AWSCURRENT"],
    },
}


@dataclass(frozen=True)
class Subject:
    """One thing measured: its code's folder and handler, what else is on its path, and the event it answers."""

    name: str
    task_root: Path
    handler: str
    layers: tuple[Path, ...]
    environment: dict[str, str]
    event: dict[str, Any]


@dataclass(frozen=True)
class Sample:
    """One cold start: the process's CPU time and the wall-clock time from importing the handler to its answer."""

    cpu: float
    wall: float
    status: int
    compiled: int


@dataclass(frozen=True)
class Row:
    name: str
    cpu: float
    wall: float
    to_boto3: float
    to_powertools: float
    status: int
    compiled: int


@dataclass(frozen=True)
class Report:
    rows: list[Row]
    unexpected_calls: list[str]

    @property
    def functions(self) -> list[Row]:
        return [row for row in self.rows if row.name not in (BARE_BOTO3, BARE_POWERTOOLS)]

    @property
    def worst(self) -> Row:
        return max(self.functions, key=lambda row: row.to_boto3)

    def failures(self) -> list[str]:
        """Why the run fails: a function over the limit, a server error, bytecode missing, an unexpected call."""
        over = [row for row in self.functions if row.to_boto3 > LIMIT]
        reasons = [f"{row.name}: {row.to_boto3:.2f}x bare boto3, over {LIMIT}x" for row in over]
        reasons += [f"{row.name}: answered {row.status}" for row in self.rows if row.status >= 500]
        reasons += [f"{row.name}: compiled {row.compiled} modules at import" for row in self.functions if row.compiled]
        reasons += [f"DynamoDB stub: unexpected {call}" for call in self.unexpected_calls]
        return reasons


def summarize(samples: dict[str, list[Sample]], unexpected_calls: Sequence[str] = ()) -> Report:
    """Each subject's median CPU time, and its ratio to the bare handlers' medians."""
    medians = {name: statistics.median(sample.cpu for sample in runs) for name, runs in samples.items()}
    rows = [
        Row(
            name=name,
            cpu=medians[name],
            wall=statistics.median(sample.wall for sample in runs),
            to_boto3=medians[name] / medians[BARE_BOTO3],
            to_powertools=medians[name] / medians[BARE_POWERTOOLS],
            status=max(sample.status for sample in runs),
            compiled=max(sample.compiled for sample in runs),
        )
        for name, runs in samples.items()
    ]
    return Report(rows=rows, unexpected_calls=sorted(set(unexpected_calls)))


def render(report: Report, rounds: int) -> str:
    lines = [
        f"Cold start as deployed: Python {bytecode.PYTHON_VERSION} importing each handler from a read-only copy of "
        f"its assets and answering one request; median of {rounds} fresh processes, interleaved",
        f"  {'function':<16} {'cpu ms':>7} {'wall ms':>8} {'x boto3':>8} {'x powertools':>13} {'status':>7} "
        f"{'compiled':>9}",
    ]
    lines += [
        f"  {row.name:<16} {row.cpu * 1000:7.1f} {row.wall * 1000:8.1f} {row.to_boto3:8.2f} {row.to_powertools:13.2f} "
        f"{row.status:7d} {row.compiled:9d}"
        for row in report.rows
    ]
    worst = report.worst
    lines.append(
        f"  worst: {worst.name}, {worst.to_boto3:.2f}x bare boto3 and {worst.to_powertools:.2f}x bare Powertools "
        f"(goal ≤ {GOAL}x and ≤ 1.00x, limit {LIMIT}x)"
    )
    lines += [f"  FAIL {reason}" for reason in report.failures()]
    return "\n".join(lines)


def exit_code(report: Report) -> int:
    return 1 if report.failures() else 0


def sample_event(routes: list[Route], area: str) -> dict[str, Any]:
    """The request `area` answers in the bench: a list if it has one, else another GET, else its first route."""
    own = [route for route in routes if route.function == area]
    gets = [route for route in own if route.method == "get"]
    lists = [route for route in gets if route.operation_id.startswith("list")]
    [chosen, *_] = lists or gets or own
    event: dict[str, Any] = json.loads((EVENTS / area / f"{chosen.operation_id}.json").read_text())
    return event


class _StubDynamoDB(BaseHTTPRequestHandler):
    calls: Counter[str]

    def do_POST(self) -> None:
        request = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if b"Action=AssumeRole" in request:  # a fenced function's first request gets its tenant's credentials
            self.calls["AssumeRole"] += 1
            self._answer(200, "text/xml", _ASSUME_ROLE_ANSWER.encode())
            return
        operation = self.headers.get("X-Amz-Target", "").rpartition(".")[2]
        self.calls[operation] += 1
        answer = _STUB_ANSWERS.get(operation)
        body = json.dumps(answer if answer is not None else {"__type": "UnknownOperationException"}).encode()
        self._answer(200 if answer is not None else 400, "application/x-amz-json-1.0", body)

    def _answer(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the bench prints its own report."""


@contextmanager
def stub_dynamodb() -> Iterator[tuple[str, Counter[str]]]:
    """A DynamoDB endpoint on localhost that answers every request at once, and the operations it was asked."""
    calls: Counter[str] = Counter()
    handler = type("StubDynamoDB", (_StubDynamoDB,), {"calls": calls})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", calls
    finally:
        server.shutdown()
        server.server_close()


def _pip_install(target: Path, *requirements: str) -> None:
    machine = platform.machine()
    installed = subprocess.run(  # noqa: S603 - this virtual environment's pip, installing pinned packages
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--only-binary=:all:",
            "--implementation",
            "cp",
            "--python-version",
            bytecode.PYTHON_VERSION,
            "--platform",
            f"manylinux2014_{machine}",
            "--target",
            str(target),
            *requirements,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if installed.returncode != 0:
        raise RuntimeError(f"pip could not install {' '.join(requirements)}:\n{installed.stderr}")


def _cached(name: str, key: str, build: Any) -> Path:
    """A folder built once per `key` under .bench/."""
    digest = hashlib.sha256(f"{key} python{bytecode.PYTHON_VERSION} {platform.machine()}".encode()).hexdigest()
    folder = CACHE / f"{name}-{digest[:16]}"
    if not folder.is_dir():
        CACHE.mkdir(exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=CACHE))
        build(staging)
        staging.rename(folder)
    return folder


def runtime_sdk() -> Path:
    """The AWS SDK the Lambda runtime provides: the pinned boto3, with its bytecode."""
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    [boto3] = [pin for pin in pins if pin.startswith("boto3==")]

    def build(folder: Path) -> None:
        _pip_install(folder, boto3)
        bytecode.compile_tree(folder)

    return _cached("sdk", boto3, build)


def native_extensions() -> Path:
    """The deps layer's pinned wheels for this machine, whose native extensions stand in for the arm64 ones."""
    requirements = ROOT / "layers" / "deps" / "requirements.txt"
    return _cached(
        "native", requirements.read_text(), lambda folder: _pip_install(folder, "--no-deps", "-r", str(requirements))
    )


def deps_twin(deployed: Path, native: Path, into: Path) -> Path:
    """The deployed deps layer with this machine's native extensions in place of the arm64 ones."""
    shutil.copytree(deployed, into)
    for foreign in into.rglob("*.so"):
        foreign.unlink()
    for library in native.rglob("*.so"):
        destination = into / "python" / library.relative_to(native)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(library, destination)
    return into


def _is_deps_layer(layer: Path) -> bool:
    return any((layer / "python").glob("*.dist-info"))


def _function_environment(variables: dict[str, Any]) -> dict[str, str]:
    """The function's environment from the template; references (table names, ARNs) become bench names."""
    return {name: value if isinstance(value, str) else f"bench-{name.lower()}" for name, value in variables.items()}


def subjects(assembly: CloudAssembly, sandbox: Path) -> list[Subject]:
    """The bare handlers and every API function, each on a copy of its assets under `sandbox`."""
    routes = load_routes()
    areas = functions_of(routes)
    by_area = {
        assembly.properties(logical_id)["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"].removeprefix(
            "rapport-"
        ): logical_id
        for logical_id, _ in assembly.of_type("AWS::Lambda::Function")
    }
    layers: dict[str, Path] = {}
    native = native_extensions()

    def copied_layer(layer_id: str) -> Path:
        if layer_id not in layers:
            deployed = assembly.asset_path(layer_id)
            into = sandbox / "opt" / layer_id
            layers[layer_id] = deps_twin(deployed, native, into) if _is_deps_layer(deployed) else _copy(deployed, into)
        return layers[layer_id] / "python"

    measured = []
    for area in areas:
        logical_id = by_area[area]
        properties = assembly.properties(logical_id)
        measured.append(
            Subject(
                name=area,
                task_root=_copy(assembly.asset_path(logical_id), sandbox / "task" / area),
                handler=properties["Handler"],
                layers=tuple(copied_layer(layer["Ref"]) for layer in properties["Layers"]),
                environment=_function_environment(properties.get("Environment", {}).get("Variables", {})),
                event=sample_event(routes, area),
            )
        )
    [deps] = [layer for layer in layers.values() if _is_deps_layer(layer)]
    bare_layers = (deps / "python",)
    bare_event = json.loads((EVENTS / "accounts" / "getAccount.json").read_text())
    bare = [
        Subject(name, _bare(sandbox, name.replace(" ", "-"), source), BARE_HANDLER, bare_layers, {}, bare_event)
        for name, source in ((BARE_BOTO3, BARE_BOTO3_HANDLER), (BARE_POWERTOOLS, BARE_POWERTOOLS_HANDLER))
    ]
    return bare + measured


def _copy(source: Path, into: Path) -> Path:
    shutil.copytree(source, into)
    return into


def _bare(sandbox: Path, name: str, source: str) -> Path:
    """A bare handler deployed the way Rapport's are: its code with its bytecode."""
    folder = sandbox / "task" / name
    folder.mkdir(parents=True)
    (folder / "handler.py").write_text(source)
    bytecode.compile_tree(folder)
    return folder


def _lambda_environment(subject: Subject, sdk: Path, endpoint: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        # Lambda's order: the function's code, its layers, then the runtime's packages (the SDK).
        "PYTHONPATH": os.pathsep.join(str(path) for path in (subject.task_root, *subject.layers, sdk)),
        "PYTHONDONTWRITEBYTECODE": "1",
        "LAMBDA_TASK_ROOT": str(subject.task_root),
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{bytecode.PYTHON_VERSION}",
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_LAMBDA_LOG_FORMAT": "JSON",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench",
        "AWS_ENDPOINT_URL": endpoint,
        "TABLE_NAME": TABLE_NAME,
        **subject.environment,
    }


def measure(subject: Subject, python: Path, sdk: Path, endpoint: str) -> Sample:
    """One cold start of `subject` in a fresh process."""
    finished = subprocess.run(  # noqa: S603 - the runtime's interpreter running the bench's own program
        [str(python), "-B", "-s", "-P", "-c", MEASURE, json.dumps(subject.event), subject.handler],
        cwd=subject.task_root,
        env=_lambda_environment(subject, sdk, endpoint),
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in finished.stdout.splitlines() if line.startswith("coldstart ")]
    if finished.returncode != 0 or not lines:
        raise RuntimeError(f"{subject.name} failed:\n{finished.stdout[-2000:]}\n{finished.stderr[-4000:]}")
    result = json.loads(lines[-1].removeprefix("coldstart "))
    return Sample(
        cpu=float(result["cpu"]),
        wall=float(result["wall"]),
        status=int(result["status"]),
        compiled=int(result["compiled"]),
    )


def _read_only(tree: Path) -> None:
    for path in tree.rglob("*"):
        if path.is_file():
            path.chmod(0o444)


def run(assembly: CloudAssembly, rounds: int, only: set[str]) -> Report:
    python = bytecode.interpreter()
    sdk = runtime_sdk()
    with tempfile.TemporaryDirectory(prefix="rapport-coldstart-") as directory, stub_dynamodb() as (endpoint, calls):
        sandbox = Path(directory)
        chosen = [s for s in subjects(assembly, sandbox) if not only or s.name in only | {BARE_BOTO3, BARE_POWERTOOLS}]
        _read_only(sandbox)
        files_before = sum(1 for _ in sandbox.rglob("*"))
        for subject in chosen:  # once unmeasured: the files in the page cache, as a deployed sandbox has them
            measure(subject, python, sdk, endpoint)
        samples: dict[str, list[Sample]] = {subject.name: [] for subject in chosen}
        for round_number in range(rounds):
            shift = round_number % len(chosen)
            for subject in chosen[shift:] + chosen[:shift]:
                samples[subject.name].append(measure(subject, python, sdk, endpoint))
        if sum(1 for _ in sandbox.rglob("*")) != files_before:
            raise RuntimeError("a measured process wrote into its assets")
        unexpected = [operation for operation in calls if operation not in (*_STUB_ANSWERS, "AssumeRole")]
    return summarize(samples, unexpected)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--only", default="", help="comma-separated API areas (default: all)")
    parser.add_argument("--cdk-out", type=Path, default=ROOT / "cdk.out")
    parser.add_argument("--stack", default="Rapport-dev")
    options = parser.parse_args(argv)
    assembly = CloudAssembly.load(options.cdk_out, options.stack)
    report = run(assembly, options.rounds, {area for area in options.only.split(",") if area})
    print(render(report, options.rounds))
    return exit_code(report)


if __name__ == "__main__":
    raise SystemExit(main())
