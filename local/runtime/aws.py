"""The embedded AWS endpoint: moto's server in this process, with the stack's data resources created in it.

moto's application is served by werkzeug's request handler made to keep connections open (`_KeepAliveHandler`):
werkzeug's own closes each one after its response, so that every AWS call of a function paid a new TCP
connection, and the server a new thread. Calls of JSON-protocol services find their moto application once per
service, target and region (`_dispatch_once`), not by inspecting each request under moto's dispatcher lock.

Tables are made from the template's `AWS::DynamoDB::Table` properties (keys, indexes, stream, TTL) and
filled from the data folder straight into moto's table, which makes no stream records: restored items are not
replayed as new events. Secrets get the value kept in the data folder, generated as the template asks the first time.

SES answers moto's sending quota (1 a second, never enforced) unless a maximum send rate is given
(`rapport local --ses-max-send-rate N`): then GetSendQuota answers it and sends above it are throttled as SES throttles
them (local.sesquota).
"""

from __future__ import annotations

import functools
import io
import json
import logging
import re
import socket
import threading
from collections.abc import Callable
from typing import Any

import boto3  # type: ignore[import-untyped]
from moto.dynamodb.models import dynamodb_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import ThreadedWSGIServer

from local import sesquota
from local.awsmock import calling_as, load_items, patch_dynamodb
from local.runtime.store import Database, DataDir, random_password
from local.runtime.template import ACCOUNT_ID, CloudAssembly, Physical

log = logging.getLogger("rapport.local")
CALLER_ID_VARIABLE = "AWS_SDK_UA_APP_ID"  # botocore appends `app/<id>` to every request's User-Agent
_CALLER_ID = re.compile(r"(?:^|\s)app/(worker-[0-9a-f]+)(?:\s|$)")


def caller_of(user_agent: str) -> str | None:
    """The worker whose call this is, from its User-Agent; None for a call from outside the workers."""
    found = _CALLER_ID.search(user_agent)
    return found.group(1) if found else None


CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
_TABLE_KEYS = ("AttributeDefinitions", "KeySchema", "BillingMode", "ProvisionedThroughput")
_INDEX_KEYS = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")


class PortInUse(Exception):
    pass


def ensure_free(port: int) -> None:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind: TIME_WAIT is free
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            raise PortInUse(f"port {port} is in use") from error


class EmbeddedAws:
    """moto's server on 127.0.0.1:`port`, running in this process so its backends can be reached directly; its SES
    holds to `ses_max_send_rate` (recipients a second) when one is given."""

    def __init__(self, port: int, region: str, ses_max_send_rate: float | None = None) -> None:
        self.port = port
        self.region = region
        self.ses_max_send_rate = ses_max_send_rate
        self._server: ThreadedWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        ensure_free(self.port)
        patch_dynamodb()
        if self.ses_max_send_rate is not None:
            sesquota.set_max_send_rate(self.ses_max_send_rate)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        dispatcher = DomainDispatcherApplication(create_backend_app)
        _dispatch_once(dispatcher)
        app = _calling_as_the_worker(dispatcher)
        self._server = ThreadedWSGIServer("127.0.0.1", self.port, app, handler=_KeepAliveHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="aws", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None
        if self.ses_max_send_rate is not None:
            sesquota.set_max_send_rate(None)

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint, region_name=self.region, **CREDENTIALS)


class _KeepAliveHandler(MotoRequestHandler):
    """moto's request handler on HTTP/1.1 keep-alive: the request's body is read whole before moto sees it and the
    response is sent whole with its Content-Length (a HEAD's: the one moto gives, the size of what a GET would send),
    so the connection is ready for the next request."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # the body follows the headers at once, not after the client's delayed ACK

    def run_wsgi(self) -> None:
        if self.headers.get("Expect", "").lower().strip() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        environ = self.make_environ()
        if environ.pop("wsgi.input_terminated", False):  # chunked: to its last chunk
            body = environ["wsgi.input"].read()
        else:
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ.update({"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))})
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., None]:
            del exc_info
            started[:] = [status, headers]
            return lambda data: None

        chunks = self.server.app(environ, start_response)
        try:
            answer = b"".join(chunks)
        finally:
            getattr(chunks, "close", lambda: None)()
        status, headers = started
        code, _, reason = status.partition(" ")
        self.send_response(int(code), reason)
        length = str(len(answer))
        for name, value in headers:
            if name.lower() == "content-length" and self.command == "HEAD":
                length = value  # the length a GET would send (S3's HeadObject: the object's size), with no body
            elif name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", length)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer)


def _dispatch_once(dispatcher: DomainDispatcherApplication) -> None:
    """A signed call of a JSON-protocol service (its `X-Amz-Target`) goes to the moto application found for the
    first call of the same target, service and region."""
    find = dispatcher.get_application
    found: dict[tuple[str, ...], Any] = {}

    def get_application(environ: dict[str, Any]) -> Any:
        target = environ.get("HTTP_X_AMZ_TARGET", "").partition(".")[0]
        scope = environ.get("HTTP_AUTHORIZATION", "").partition("Credential=")[2].split("/")[2:4]  # region, service
        if not target or len(scope) != 2:
            return find(environ)
        key = (target, *scope)
        if key not in found:
            found[key] = find(environ)
        return found[key]

    dispatcher.get_application = get_application  # type: ignore[method-assign]


def _calling_as_the_worker(app: Any) -> Any:
    """Runs each request as the function worker that sent it, so that the DynamoDB lock can tell whose calls
    waited for it."""

    def call(environ: dict[str, Any], start_response: Any) -> Any:
        with calling_as(caller_of(environ.get("HTTP_USER_AGENT", ""))):
            return app(environ, start_response)

    return call


def create_tables(assembly: CloudAssembly, aws: EmbeddedAws, data: DataDir, database: Database) -> dict[str, Physical]:
    """Every table of the template, with the items the data folder kept, loaded straight into moto's tables."""
    dynamodb = aws.client("dynamodb")
    created = {}
    for logical_id, resource in assembly.of_type("AWS::DynamoDB::Table"):
        properties = resource["Properties"]
        name = properties.get("TableName") or f"{assembly.stack_name}-{logical_id}"
        dynamodb.create_table(TableName=name, **_table_shape(properties))
        if "StreamSpecification" in properties:
            view = properties["StreamSpecification"]["StreamViewType"]
            dynamodb.update_table(TableName=name, StreamSpecification={"StreamEnabled": True, "StreamViewType": view})
        if properties.get("TimeToLiveSpecification", {}).get("Enabled"):
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=properties["TimeToLiveSpecification"])
        table = dynamodb_backends[ACCOUNT_ID][aws.region].get_table(name)
        legacy = data.legacy_items(logical_id)
        if legacy and not database.count(logical_id):
            database.import_items(logical_id, legacy, (table.hash_key_attr, table.range_key_attr))
        loaded = load_items(table, database.items(logical_id))  # as a restore: no stream records
        log.info("table %s: %d items loaded", logical_id, loaded)
        description = dynamodb.describe_table(TableName=name)["Table"]
        attributes = {"Arn": description["TableArn"]}
        if "LatestStreamArn" in description:
            attributes["StreamArn"] = description["LatestStreamArn"]
        created[logical_id] = Physical(name, attributes)
    data.retire_legacy_tables()
    return created


def role_resources(assembly: CloudAssembly) -> dict[str, Physical]:
    """Each IAM role's `Ref` and `Arn`. A tenant-fenced function assumes the tenant-data role named in its
    environment through moto's STS, which issues credentials for any role of this account; neither moto nor the
    runtime stores or enforces the roles' policies."""
    return {
        logical_id: Physical(logical_id, {"Arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{logical_id}"})
        for logical_id, _ in assembly.of_type("AWS::IAM::Role")
    }


def _table_shape(properties: dict[str, Any]) -> dict[str, Any]:
    """CreateTable's parameters from the CloudFormation properties (encryption and PITR do not apply)."""
    shape: dict[str, Any] = {key: properties[key] for key in _TABLE_KEYS if key in properties}
    for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if properties.get(kind):
            shape[kind] = [{key: index[key] for key in _INDEX_KEYS if key in index} for index in properties[kind]]
    return shape


def create_secrets(assembly: CloudAssembly, aws: EmbeddedAws, data: DataDir) -> dict[str, Physical]:
    """Every Secrets Manager secret of the template; its `Ref` is its ARN."""
    client = aws.client("secretsmanager")
    created = {}
    for logical_id, resource in assembly.of_type("AWS::SecretsManager::Secret"):
        properties = resource.get("Properties", {})
        value = data.secret(logical_id, functools.partial(_secret_value, properties))
        name = properties.get("Name") or f"{assembly.stack_name}-{logical_id}"
        arn = client.create_secret(Name=name, SecretString=value)["ARN"]
        created[logical_id] = Physical(arn, {"Id": arn})
    return created


def _secret_value(properties: dict[str, Any]) -> str:
    if "SecretString" in properties:
        return str(properties["SecretString"])
    generate = properties.get("GenerateSecretString", {})
    password = random_password(
        int(generate.get("PasswordLength", 32)), punctuation=not generate.get("ExcludePunctuation", False)
    )
    if "SecretStringTemplate" not in generate:
        return password
    document = json.loads(generate["SecretStringTemplate"])
    document[generate["GenerateStringKey"]] = password
    return json.dumps(document)


def verify_email_identities(assembly: CloudAssembly, aws: EmbeddedAws) -> list[str]:
    """Every SES email identity of the template, verified at once in moto (SES sends only from verified ones;
    in AWS the owner clicks a link). Sent messages are then in moto's SES backend (`GET /moto-api/data.json`)."""
    client = aws.client("ses")
    identities = []
    for _, resource in assembly.of_type("AWS::SES::EmailIdentity"):
        identity = str(resource["Properties"]["EmailIdentity"])
        if "@" in identity:
            client.verify_email_identity(EmailAddress=identity)
        else:
            client.verify_domain_identity(Domain=identity)
        identities.append(identity)
    return identities


def create_usage_plans(assembly: CloudAssembly, aws: EmbeddedAws) -> dict[str, Physical]:
    """Every API Gateway usage plan of the template, by name (keys join them at run time: web forms).

    Stages are not attached: the local REST API is not one of moto's. Throttles and quotas are recorded, not
    enforced.
    """
    client = aws.client("apigateway")
    created = {}
    for logical_id, resource in assembly.of_type("AWS::ApiGateway::UsagePlan"):
        properties = resource.get("Properties", {})
        shape: dict[str, Any] = {"name": properties.get("UsagePlanName") or f"{assembly.stack_name}-{logical_id}"}
        if properties.get("Throttle"):
            throttle = properties["Throttle"]
            shape["throttle"] = {"rateLimit": float(throttle["RateLimit"]), "burstLimit": int(throttle["BurstLimit"])}
        if properties.get("Quota"):
            shape["quota"] = {"limit": int(properties["Quota"]["Limit"]), "period": properties["Quota"]["Period"]}
        plan = client.create_usage_plan(**shape)
        created[logical_id] = Physical(str(plan["id"]), {})
    return created


def api_key_lookup(aws: EmbeddedAws, usage_plan_ids: list[str]) -> Callable[[str], str | None]:
    """An API key's value -> its id, when it is enabled and in one of the stack's usage plans (as API Gateway
    checks a key on a method that requires one)."""
    client = aws.client("apigateway")

    def lookup(value: str) -> str | None:
        keys = client.get_api_keys(includeValues=True).get("items", [])
        matches = [key for key in keys if key.get("value") == value and key.get("enabled")]
        for key in matches:
            for plan in usage_plan_ids:
                if any(item["id"] == key["id"] for item in client.get_usage_plan_keys(usagePlanId=plan)["items"]):
                    return str(key["id"])
        return None

    return lookup


def function_arn(region: str, name: str) -> str:
    return f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}"
