"""`rapport local`: the whole stack on one machine, from the synthesized template.

Start order: the embedded AWS endpoint (moto, in this process), the template's tables (filled from the data
folder) and secrets, the saver that keeps the data folder current, the eventing (streams, buses, rules, state
machines, schedules), then the API on localhost, and the demo seed into an empty data folder. Stop runs
the same steps backwards, so the last writes are saved before moto goes away.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from local.runtime.api import load_rest_api
from local.runtime.aws import (
    EmbeddedAws,
    api_key_lookup,
    create_secrets,
    create_tables,
    create_usage_plans,
    ensure_free,
    role_resources,
    verify_email_identities,
)
from local.runtime.docs import Docs
from local.runtime.eventing import Eventing, EventingError
from local.runtime.functions import FunctionConfig, function_config, function_resources
from local.runtime.gateway import ApiGateway, HttpRequest, HttpResponse
from local.runtime.seed import TENANT, seed_demo
from local.runtime.server import HttpServer
from local.runtime.store import DataDir, Saver
from local.runtime.template import ACCOUNT_ID, CloudAssembly, Physical, Resolver
from local.runtime.tokens import TokenIssuer
from local.runtime.workers import Workers

log = logging.getLogger("rapport.local")
ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"
RUNTIME_FILE = "runtime.json"
SCHEDULES = "/_local/schedules/"


@dataclass(frozen=True)
class Options:
    port: int = 3000
    aws_port: int = 4566
    seed: bool = True
    data_dir: Path = ROOT / ".rapport"
    cdk_out: Path = ROOT / "cdk.out"
    stack: str = "Rapport-dev"
    region: str = REGION


class LocalCloud:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.assembly = CloudAssembly.load(options.cdk_out, options.stack)
        self.data = DataDir(options.data_dir)
        self.aws = EmbeddedAws(options.aws_port, options.region)
        self.issuer = TokenIssuer.of(self.data, options.region)
        self.resolver = Resolver(options.region, options.stack)
        self.workers = Workers(self._configure)
        self.api_url = f"http://localhost:{options.port}"
        self.seeded = 0
        self.usage_plans: dict[str, Physical] = {}
        self._running = ExitStack()

    def start(self) -> None:
        fresh = self.data.is_empty()
        ensure_free(self.options.port)
        self.aws.start()
        self._running.callback(self.aws.stop)
        tables = create_tables(self.assembly, self.aws, self.data)
        self.usage_plans = create_usage_plans(self.assembly, self.aws)
        verify_email_identities(self.assembly, self.aws)
        self.resolver.physical.update(
            {
                **tables,
                **self.usage_plans,
                **create_secrets(self.assembly, self.aws, self.data),
                **function_resources(self.assembly, self.options.region),
                **role_resources(self.assembly),
            }
        )
        saver = Saver(
            self.data, {logical_id: table.ref for logical_id, table in tables.items()}, self.aws.client("dynamodb")
        )
        saver.start()
        self._running.callback(saver.stop)
        self._running.callback(self.workers.stop)
        self._start_api(self._start_eventing())
        if fresh and self.options.seed:
            self.seeded = seed_demo(self.api_url, self.issuer)

    def stop(self) -> None:
        self._running.close()

    def banner(self) -> str:
        functions = sorted(
            self.assembly.label(logical_id) for logical_id, _ in self.assembly.of_type("AWS::Lambda::Function")
        )
        region, aws = self.options.region, f"http://localhost:{self.options.aws_port}"
        seeded = f"seeded tenant {TENANT!r} with {self.seeded} records" if self.seeded else "kept from the last run"
        return "\n".join(
            [
                f"Rapport is running locally: stack {self.options.stack} from {self.options.cdk_out}",
                f"  API           {self.api_url}",
                f"  API docs      {self.api_url}/docs",
                f"  AWS endpoint  {aws}  (region {region}, any credentials), e.g.",
                f"                aws --endpoint-url {aws} --region {region} dynamodb list-tables",
                f"  data          {self.options.data_dir} ({seeded})",
                f"  functions     {', '.join(functions)}",
                f"  a token       .venv/bin/rapport token --tenant {TENANT} --user ada --groups sales,manager",
                "Ctrl-C stops.",
            ]
        )

    def _configure(self, logical_id: str) -> FunctionConfig:
        return function_config(self.assembly, self.resolver, self.aws.endpoint, logical_id)

    def _start_eventing(self) -> Eventing:
        names = {logical_id: physical.ref for logical_id, physical in self.resolver.physical.items()}
        eventing = Eventing(self.assembly.template, self.workers.invoke, self.options.region, self.aws.endpoint, names)
        eventing.start()
        self._running.callback(eventing.stop)
        for logical_id, name in eventing.resource_names().items():
            resource_type = self.assembly.resources[logical_id]["Type"]
            self.resolver.physical[logical_id] = _physical(resource_type, name, self.options.region)
        return eventing

    def _start_api(self, eventing: Eventing) -> None:
        api = load_rest_api(self.assembly)
        labels = {
            logical_id: self.assembly.label(logical_id)
            for logical_id, _ in self.assembly.of_type("AWS::Lambda::Function")
        }
        api_keys = api_key_lookup(self.aws, [plan.ref for plan in self.usage_plans.values()])
        gateway = ApiGateway(api, self.workers.invoke, self.issuer, labels, api_keys)
        docs = Docs(ROOT / "functions" / "openapi.json", ROOT / "node_modules" / "swagger-ui-dist")
        server = HttpServer(
            self.options.port,
            lambda request: docs.handle(request) or _schedules(eventing, request) or gateway.handle(request),
            gateway.refuse,
        )
        server.start()
        self._running.callback(server.stop)
        self.data.path.mkdir(parents=True, exist_ok=True)
        runtime_file = self.data.path / RUNTIME_FILE
        runtime_file.write_text(json.dumps({"pid": os.getpid(), "api": self.api_url, "aws": self.aws.endpoint}))
        self._running.callback(runtime_file.unlink, missing_ok=True)


def _schedules(eventing: Eventing, request: HttpRequest) -> HttpResponse | None:
    """`POST /_local/schedules/<rule>`: what `rapport schedule run <rule>` asks of the running runtime."""
    path = request.target.partition("?")[0]
    if request.method != "POST" or not path.startswith(SCHEDULES):
        return None
    rule = path.removeprefix(SCHEDULES)
    try:
        return _json(200, {"rule": rule, "triggered": eventing.run_schedule(rule)})
    except EventingError as error:
        return _json(404, {"message": str(error)})


def _physical(resource_type: str, name: str, region: str) -> Physical:
    """A resource the eventing created: its `Ref` is what eventing names it; `Arn` where it can be told."""
    if name.startswith("arn:"):
        return Physical(name, {"Arn": name, "Name": name.rsplit(":", 1)[-1]})
    if resource_type == "AWS::Events::EventBus":
        return Physical(name, {"Arn": f"arn:aws:events:{region}:{ACCOUNT_ID}:event-bus/{name}", "Name": name})
    if resource_type == "AWS::SQS::Queue":
        queue = name.rsplit("/", 1)[-1]
        return Physical(
            name, {"Arn": f"arn:aws:sqs:{region}:{ACCOUNT_ID}:{queue}", "QueueName": queue, "QueueUrl": name}
        )
    return Physical(name, {"Name": name})


def _json(status: int, body: dict[str, Any]) -> HttpResponse:
    return HttpResponse(status, [("Content-Type", "application/json")], json.dumps(body).encode())


def serve(options: Options) -> None:
    """Runs until SIGINT (Ctrl-C) or SIGTERM, then stops cleanly."""
    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    cloud = LocalCloud(options)
    try:
        cloud.start()
        print(cloud.banner(), flush=True)
        while not stopping.wait(timeout=1):
            pass
        log.info("stopping")
    finally:
        cloud.stop()
    log.info("stopped; data saved in %s", options.data_dir)
