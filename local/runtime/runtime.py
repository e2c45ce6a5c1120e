"""`rapport local`: the whole stack on one machine, from the synthesized template.

Start order: the embedded AWS endpoint (moto, in this process), the data folder's database, the template's
tables (filled from it, then written to it on every change) and secrets, the eventing (streams, buses, rules,
state machines, schedules), then the API on localhost, and the demo seed into an empty data folder. Stop runs
the same steps backwards. Nothing waits for the stop to be saved: each write was on disk before it was answered.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, replace
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import parse_qsl

from moto.dynamodb.models import dynamodb_backends
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from local.awsmock import lock_wait
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
from local.runtime.bulk import (
    bulk_writes,
    creators,
    fields_read_once,
    seed_company,
    stream_backlog,
    tenant_is_new,
    use_environment,
)
from local.runtime.docs import Docs
from local.runtime.eventing import Eventing, EventingError
from local.runtime.functions import FunctionConfig, function_config, function_resources
from local.runtime.gateway import ApiGateway, HttpRequest, HttpResponse
from local.runtime.mail import NotReceived, create_buckets, receive
from local.runtime.memory import settle
from local.runtime.portal import CustomerSignIn, SignInRefused, trigger_function
from local.runtime.seed import TENANT, seed_demo
from local.runtime.server import HttpServer
from local.runtime.state import keep_api_keys, keep_outbox, report_lost_executions
from local.runtime.store import DataDir, persist_tables
from local.runtime.template import ACCOUNT_ID, CloudAssembly, Physical, Resolver
from local.runtime.tokens import TokenIssuer
from local.runtime.workers import Workers

log = logging.getLogger("rapport.local")
ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"
RUNTIME_FILE = "runtime.json"
SCHEDULES = "/_local/schedules/"
SEED = "/_local/seed"
MAIL = "/_local/mail"
OUTBOX = "/_local/outbox"
SIGN_IN, ANSWER = "/_local/portal/sign-in", "/_local/portal/answer"
# Seconds from Ctrl-C to the end of the stop, whatever is still running (an idle one takes about 1 s); then the
# process ends, which took a process holding 50,000 contacts 2.6 s more on the CI machine: within 5 s in all.
STOP_WITHIN = 1.5
SEED_TENANT = "company"
_AWS_SETTINGS = ("AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")


WEBHOOKS_ALLOW_HTTP_LOCALHOST = "WEBHOOKS_ALLOW_HTTP_LOCALHOST"  # rapport.webhooks.addresses
PUBLIC_URL = "PUBLIC_URL"  # rapport.consent.addresses: the links of messages point at this API


@dataclass(frozen=True)
class Options:
    port: int = 3000
    aws_port: int = 4566
    seed: bool = True
    data_dir: Path = ROOT / ".rapport"
    cdk_out: Path = ROOT / "cdk.out"
    stack: str = "Rapport-dev"
    region: str = REGION
    # Webhooks may deliver to http://localhost (a receiver on this machine): the variable no deployed stage sets.
    webhooks_allow_http_localhost: bool = False
    # SES's maximum send rate (recipients a second), answered by GetSendQuota and enforced (`Throttling` above it);
    # None: moto's SES as it is (1 a second answered, nothing throttled).
    ses_max_send_rate: float | None = None


class LocalCloud:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.assembly = CloudAssembly.load(options.cdk_out, options.stack)
        self.data = DataDir(options.data_dir)
        self.aws = EmbeddedAws(options.aws_port, options.region, options.ses_max_send_rate)
        self.issuer = TokenIssuer.of(self.data, options.region)
        self.resolver = Resolver(options.region, options.stack, resources=self.assembly.resources)
        self.workers = Workers(self._configure, lock_wait)
        self.api_url = f"http://localhost:{options.port}"
        self.seeded = 0
        sign_in_function = trigger_function(self.assembly)
        self.sign_ins = CustomerSignIn(sign_in_function, self.workers.invoke, self.issuer) if sign_in_function else None
        self.usage_plans: dict[str, Physical] = {}
        self._running = ExitStack()
        self._seeding = threading.Lock()

    def start(self) -> None:
        ensure_free(self.options.port)
        self.aws.start()
        self._running.callback(self.aws.stop)
        database = self.database = self.data.open()
        self._running.callback(database.close)
        tables = create_tables(self.assembly, self.aws, self.data, database)
        fresh = database.is_empty()
        logical_ids = {table.ref: logical_id for logical_id, table in tables.items()}
        self._running.callback(persist_tables(database, logical_ids))
        self.usage_plans = create_usage_plans(self.assembly, self.aws)
        plans = {logical_id: plan.ref for logical_id, plan in self.usage_plans.items()}
        self._running.callback(keep_api_keys(database, ACCOUNT_ID, self.options.region, plans))
        self._running.callback(keep_outbox(database, ACCOUNT_ID, self.options.region))
        verify_email_identities(self.assembly, self.aws)
        self.resolver.physical.update(
            {
                **tables,
                **self.usage_plans,
                **create_secrets(self.assembly, self.aws, self.data),
                **create_buckets(self.assembly, self.aws),
                **function_resources(self.assembly, self.options.region),
                **role_resources(self.assembly),
            }
        )
        settle()
        self._running.callback(self.workers.stop)
        eventing = self._start_eventing()
        self._running.callback(report_lost_executions(database, ACCOUNT_ID, self.options.region))
        self._start_api(eventing)
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
        rate = self.options.ses_max_send_rate
        quota = (
            [] if rate is None else [f"  SES quota     {rate:g} a second (GetSendQuota); sends above it are throttled"]
        )
        return "\n".join(
            [
                f"Rapport is running locally: stack {self.options.stack} from {self.options.cdk_out}",
                f"  API           {self.api_url}",
                f"  API docs      {self.api_url}/docs",
                f"  AWS endpoint  {aws}  (region {region}, any credentials), e.g.",
                f"                aws --endpoint-url {aws} --region {region} dynamodb list-tables",
                *quota,
                f"  data          {self.options.data_dir} ({seeded})",
                f"  functions     {', '.join(functions)}",
                f"  a token       .venv/bin/rapport token --tenant {TENANT} --user ada --groups sales,manager",
                "Ctrl-C stops.",
            ]
        )

    def _configure(self, logical_id: str) -> FunctionConfig:
        """The function's configuration from the template; the links it puts in messages go to this API."""
        config = function_config(
            self.assembly, self.resolver, self.aws.endpoint, logical_id, provided={PUBLIC_URL: self.api_url}
        )
        environment = dict(config.environment)
        if self.options.webhooks_allow_http_localhost:
            environment[WEBHOOKS_ALLOW_HTTP_LOCALHOST] = "true"
        return replace(config, environment=environment)

    def _start_eventing(self) -> Eventing:
        eventing = Eventing(self.assembly.template, self.workers.invoke, self.aws.endpoint, self.resolver)
        eventing.start()
        self._running.callback(eventing.stop)
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
            lambda request: (
                docs.handle(request)
                or _schedules(eventing, request)
                or self._seed(request, eventing)
                or self._mail(request)
                or _outbox(self.aws, request)
                or self._sign_in(request)
                or gateway.handle(request)
            ),
            gateway.refuse,
        )
        server.start()
        self._running.callback(server.stop)
        self.data.path.mkdir(parents=True, exist_ok=True)
        runtime_file = self.data.path / RUNTIME_FILE
        runtime_file.write_text(json.dumps({"pid": os.getpid(), "api": self.api_url, "aws": self.aws.endpoint}))
        self._running.callback(runtime_file.unlink, missing_ok=True)

    def _seed(self, request: HttpRequest, eventing: Eventing) -> HttpResponse | None:
        """`POST /_local/seed?contacts=N[&tenant=T]`: what `rapport seed --scale N` asks (local/runtime/bulk.py)."""
        path, _, query = request.target.partition("?")
        if request.method != "POST" or path != SEED:
            return None
        parameters = dict(parse_qsl(query))
        if not parameters.get("contacts", "").isdigit():
            return _json(400, {"message": "contacts: how many contacts to create, a whole number"})
        if not self._seeding.acquire(blocking=False):
            return _json(409, {"message": "a seed is running already"})
        try:
            tenant = parameters.get("tenant") or SEED_TENANT
            return self._seed_company(int(parameters["contacts"]), tenant, eventing)
        finally:
            self._seeding.release()

    def _mail(self, request: HttpRequest) -> HttpResponse | None:
        """`POST /_local/mail[?to=<address>]` with a raw email as its body: what `rapport mail receive` asks
        (local/runtime/mail.py)."""
        path, _, query = request.target.partition("?")
        if request.method != "POST" or path != MAIL:
            return None
        envelope = tuple(value.lower() for name, value in parse_qsl(query) if name == "to")
        try:
            answers = receive(self.assembly, self.resolver, self.aws, self.workers.invoke, request.body, envelope)
        except NotReceived as error:
            return _json(422, {"message": str(error)})
        return _json(200, {"received": answers})

    def _sign_in(self, request: HttpRequest) -> HttpResponse | None:
        """`POST /_local/portal/sign-in` `{"user_name"}` and `POST /_local/portal/answer` `{"session", "code"}`: what
        `rapport portal sign-in` and `answer` ask (local/runtime/portal.py)."""
        path = request.target.partition("?")[0]
        if request.method != "POST" or path not in (SIGN_IN, ANSWER):
            return None
        if self.sign_ins is None:
            return _json(404, {"message": "the stack has no customer pool with sign-in triggers"})
        try:
            asked = json.loads(request.body or b"{}")
            if path == SIGN_IN:
                return _json(200, self.sign_ins.start(str(asked["user_name"])))
            return _json(200, self.sign_ins.answer(str(asked["session"]), str(asked["code"])))
        except (ValueError, KeyError, TypeError):
            return _json(400, {"message": 'send {"user_name"} to sign in, {"session", "code"} to answer'})
        except SignInRefused as refused:
            return _json(401, {"message": str(refused)})

    def _seed_company(self, contacts: int, tenant: str, eventing: Eventing) -> HttpResponse:
        environment = self._service_environment()
        use_environment(environment)
        backend = dynamodb_backends[ACCOUNT_ID][self.options.region]
        table = backend.get_table(environment["TABLE_NAME"])
        if not tenant_is_new(table, tenant):
            message = f"tenant {tenant!r} holds records already: seed a new tenant (--tenant)"
            return _json(409, {"message": message})
        started = time.monotonic()
        with bulk_writes(backend), fields_read_once(), self.database.batched():
            created = seed_company(contacts, tenant, creators(), lambda: stream_backlog(table) + eventing.pending())
        settle()
        seconds = round(time.monotonic() - started, 1)
        log.info("seeded tenant %r in %.0f s: %s", tenant, seconds, created)
        return _json(201, {"tenant": tenant, "created": created, "seconds": seconds})

    def _service_environment(self) -> dict[str, str]:
        """The functions' own variables (table names...) and their AWS settings, for the domain services."""
        environment: dict[str, str] = {}
        for logical_id, resource in self.assembly.of_type("AWS::Lambda::Function"):
            config = self._configure(logical_id)
            names = [*resource["Properties"].get("Environment", {}).get("Variables", {}), *_AWS_SETTINGS]
            environment.update({name: config.environment[name] for name in names if name in config.environment})
        return environment


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


def _outbox(aws: EmbeddedAws, request: HttpRequest) -> HttpResponse | None:
    """`GET /_local/outbox`: the emails SES sent (a raw one, a marketing email, with its List-Unsubscribe headers and
    its HTML) and the texts SNS sent, oldest first (what `rapport mail outbox` prints). Tests read sent mail here,
    not in moto's `/moto-api/data.json`, which a concurrent request can cut off."""
    if request.method != "GET" or request.target.partition("?")[0] != OUTBOX:
        return None
    emails = [_sent_email(message) for message in ses_backends[ACCOUNT_ID][aws.region].sent_messages]
    texts = [{"to": to, "text": text} for to, text in sns_backends[ACCOUNT_ID][aws.region].sms_messages.values()]
    return _json(200, {"emails": [email for email in emails if email is not None], "texts": texts})


def _sent_email(message: Any) -> dict[str, Any] | None:
    if hasattr(message, "subject"):
        return {
            "to": list(message.destinations.get("ToAddresses", [])),
            "subject": message.subject,
            "body": message.body,
        }
    raw = getattr(message, "raw_data", None)
    if raw is None:
        return None  # a templated email: Rapport sends none
    mail = BytesParser(policy=policy.default).parsebytes(raw.encode() if isinstance(raw, str) else raw)
    body = mail.get_body(preferencelist=("plain",)) if isinstance(mail, EmailMessage) else None
    html = mail.get_body(preferencelist=("html",)) if isinstance(mail, EmailMessage) else None
    headers = {name: str(mail[name]) for name in ("List-Unsubscribe", "List-Unsubscribe-Post") if mail[name]}
    return {
        "to": [str(mail["To"])],
        "subject": str(mail["Subject"] or ""),
        "body": body.get_content() if isinstance(body, EmailMessage) else "",
        "html": html.get_content() if isinstance(html, EmailMessage) else None,
        "headers": headers,
    }


def _json(status: int, body: dict[str, Any]) -> HttpResponse:
    return HttpResponse(status, [("Content-Type", "application/json")], json.dumps(body).encode())


def serve(options: Options) -> None:
    """Runs until SIGINT (Ctrl-C) or SIGTERM, then stops within `STOP_WITHIN` seconds and ends the process."""
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
        while not stopping.wait(timeout=0.2):
            pass
        log.info("stopping")
    finally:
        stopper = threading.Thread(target=cloud.stop, name="stop", daemon=True)
        stopper.start()
        stopper.join(STOP_WITHIN)
        if stopper.is_alive():
            log.warning(
                "stopping took more than %g s: leaving the rest (every acknowledged write is on disk)", STOP_WITHIN
            )
    log.info("stopped; data saved in %s", options.data_dir)
    logging.shutdown()
    sys.stdout.flush()
    # Not the interpreter's exit, which would wait for moto's threads: a Step Functions execution's thread sleeps
    # through its Wait states. Everything worth keeping is in the data folder already.
    os._exit(0)
