"""`rapport`: run the CRM locally, mint tokens for it, fire its scheduled rules, put events on its bus, and
fill it with data.

rapport local [--port N] [--aws-port N] [--no-seed] [--data-dir DIR] [--cdk-out DIR] [--stack NAME]
              [--ses-max-send-rate N]
rapport token --tenant T --user U --groups sales[,manager] [--email E] [--expires-in SECONDS]
rapport token --customer --tenant T --contact C [--email E] [--expires-in SECONDS]
rapport portal sign-in --user-name SLUG/EMAIL; rapport portal answer --session S --code C
rapport mail outbox
rapport schedule run RULE
rapport events put --source S --detail-type T (--detail JSON | --detail-file FILE) [--bus NAME]
rapport analytics query SQL | rapport analytics kpi NAME --tenant T
rapport seed --scale N [--tenant T]
rapport import FILE --entity E [--mode create|update|upsert] [--match FIELD] [--map COLUMN=FIELD ...] [--validate]
               [--tenant T] [--user U] [--groups G]

The commands that talk to the running `rapport local` find it through the runtime file it writes in its data
folder (`--data-dir`, default `.rapport`, or the RAPPORT_DATA_DIR environment variable).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from local import importing
from local.runtime.aws import PortInUse
from local.runtime.memory import fewer_arenas
from local.runtime.runtime import (
    ANSWER,
    MAIL,
    OUTBOX,
    REGION,
    RUNTIME_FILE,
    SCHEDULES,
    SEED,
    SEED_TENANT,
    SIGN_IN,
    Options,
    serve,
)
from local.runtime.store import DataDir
from local.runtime.template import TemplateError
from local.runtime.tokens import DEFAULT_LIFETIME, TokenIssuer
from rapport.analytics.queries import queries

DEFAULTS = Options()
SEED_TIMEOUT = 3600.0  # seconds: 50,000 contacts take minutes
SES_RATE_VARIABLE = "RAPPORT_SES_MAX_SEND_RATE"  # `rapport local --ses-max-send-rate`'s default


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    command: int = arguments.run(arguments)
    return command


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rapport", description="Rapport CRM, locally.")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    local = commands.add_parser("local", help="run the stack locally until Ctrl-C")
    local.add_argument("--port", type=int, default=DEFAULTS.port, help="API port (default %(default)s)")
    local.add_argument("--aws-port", type=int, default=DEFAULTS.aws_port, help="AWS endpoint port (%(default)s)")
    local.add_argument("--no-seed", dest="seed", action="store_false", help="do not seed an empty data folder")
    _data_dir(local)
    local.add_argument("--cdk-out", type=Path, default=DEFAULTS.cdk_out, help="the synthesized cloud assembly")
    local.add_argument("--stack", default=DEFAULTS.stack, help="the stack to run (default %(default)s)")
    local.add_argument(
        "--webhooks-allow-http-localhost",
        action="store_true",
        help="let webhooks deliver to http://localhost:<port> (a receiver on this machine); off by default",
    )
    local.add_argument(
        "--ses-max-send-rate",
        type=_positive_rate,
        default=os.environ.get(SES_RATE_VARIABLE) or None,  # a string default goes through `type` too
        metavar="N",
        help="SES's maximum send rate, recipients a second: GetSendQuota answers it and sends above it are throttled "
        f"as SES throttles them (default ${SES_RATE_VARIABLE}, else moto's: 1 answered, nothing throttled)",
    )
    local.set_defaults(run=_local)

    token = commands.add_parser("token", help="print an ID token the local API accepts")
    token.add_argument("--tenant", required=True)
    token.add_argument("--user", help="the user id (the token's sub); a staff token")
    token.add_argument("--groups", help="comma-separated: admin, manager, sales, support, marketing")
    token.add_argument("--customer", action="store_true", help="a customer's token, for the portal's routes")
    token.add_argument("--contact", help="the contact the customer is (with --customer)")
    token.add_argument("--email")
    token.add_argument("--expires-in", type=int, default=DEFAULT_LIFETIME, help="seconds (default %(default)s)")
    _data_dir(token)
    token.set_defaults(run=_token)

    schedule = commands.add_parser("schedule", help="scheduled rules of the running `rapport local`")
    schedule_commands = schedule.add_subparsers(required=True, metavar="ACTION")
    run = schedule_commands.add_parser("run", help="fire a scheduled rule now")
    run.add_argument("rule", help="the rule's logical id or name")
    _data_dir(run)
    run.set_defaults(run=_schedule_run)

    events = commands.add_parser("events", help="the event bus of the running `rapport local`")
    events_commands = events.add_subparsers(required=True, metavar="ACTION")
    put = events_commands.add_parser("put", help="put one event on the bus; its rules deliver it to their targets")
    put.add_argument("--source", required=True, help="e.g. rapport.workflows")
    put.add_argument("--detail-type", required=True, help="e.g. notification.requested")
    detail = put.add_mutually_exclusive_group(required=True)
    detail.add_argument("--detail", help="the event's detail: a JSON object")
    detail.add_argument("--detail-file", type=Path, help="a file holding the detail ('-': standard input)")
    put.add_argument("--bus", help="the bus's name (default: the stack's one event bus)")
    _data_dir(put)
    put.set_defaults(run=_events_put)

    consent = commands.add_parser("consent", help="the consent links of the running `rapport local`")
    consent_commands = consent.add_subparsers(required=True, metavar="ACTION")
    link = consent_commands.add_parser("link", help="print a message's consent link, signed with the stack's secret")
    link.add_argument("--tenant", required=True)
    link.add_argument("--contact", required=True, help="the contact's id")
    link.add_argument("--channel", required=True, choices=["email", "sms"])
    link.add_argument("--topic", help="one of the tenant's marketing topics (default: the channel as a whole)")
    link.add_argument(
        "--purpose",
        choices=["unsubscribe", "confirm"],
        default="unsubscribe",
        help="an unsubscribe link, or a subscription's confirmation (double opt-in, 7 days) (default %(default)s)",
    )
    _data_dir(link)
    link.set_defaults(run=_consent_link)

    mail = commands.add_parser("mail", help="email to the running `rapport local`")
    mail_commands = mail.add_subparsers(required=True, metavar="ACTION")
    receive = mail_commands.add_parser("receive", help="deliver a raw email (.eml) as SES receives it")
    receive.add_argument("file", type=Path, help="the raw email, RFC 5322 ('-': standard input)")
    receive.add_argument("--to", action="append", help="an envelope recipient (default: the email's To and Cc)")
    _data_dir(receive)
    receive.set_defaults(run=_mail_receive)
    outbox = mail_commands.add_parser("outbox", help="print the emails SES and the texts SNS sent, oldest first")
    _data_dir(outbox)
    outbox.set_defaults(run=_mail_outbox)

    portal = commands.add_parser("portal", help="a customer's sign-in to the portal of the running `rapport local`")
    portal_commands = portal.add_subparsers(required=True, metavar="ACTION")
    sign_in = portal_commands.add_parser("sign-in", help="sign up if need be and mail a sign-in code")
    sign_in.add_argument("--user-name", required=True, help="<tenant slug>/<email>")
    _data_dir(sign_in)
    sign_in.set_defaults(run=_portal_sign_in)
    answer = portal_commands.add_parser("answer", help="answer the code: print the customer's ID token")
    answer.add_argument("--session", required=True)
    answer.add_argument("--code", required=True)
    _data_dir(answer)
    answer.set_defaults(run=_portal_answer)

    analytics = commands.add_parser("analytics", help="SQL over the running `rapport local`'s analytics exports")
    analytics_commands = analytics.add_subparsers(required=True, metavar="ACTION")
    query = analytics_commands.add_parser("query", help="run SQL (Athena's dialect) over the exports with DuckDB")
    query.add_argument("sql", help="e.g. \"SELECT status, count(*) FROM orders WHERE tenant = 'demo' GROUP BY 1\"")
    _data_dir(query)
    query.set_defaults(run=_analytics_query)
    kpi = analytics_commands.add_parser("kpi", help="run a committed KPI query for a tenant")
    kpi.add_argument("name", choices=sorted(queries()), help="the query (layers/core/python/rapport/analytics/queries)")
    kpi.add_argument("--tenant", required=True)
    _data_dir(kpi)
    kpi.set_defaults(run=_analytics_kpi)

    importing_ = commands.add_parser("import", help="import a CSV file into the running `rapport local`")
    importing.add_arguments(importing_)
    _data_dir(importing_)
    importing_.set_defaults(run=_import)

    seed = commands.add_parser("seed", help="fill the running `rapport local` with a company's data")
    seed.add_argument("--scale", type=int, required=True, help="contacts to create, with their accounts, leads...")
    seed.add_argument("--tenant", default=SEED_TENANT, help="the tenant to fill (default %(default)s)")
    _data_dir(seed)
    seed.set_defaults(run=_seed)
    return parser


def _positive_rate(text: str) -> float:
    rate = float(text)
    if not rate > 0:
        raise argparse.ArgumentTypeError(f"a send rate is above 0 a second, not {text}")
    return rate


def _data_dir(parser: argparse.ArgumentParser) -> None:
    default = Path(os.environ.get("RAPPORT_DATA_DIR") or DEFAULTS.data_dir)
    parser.add_argument("--data-dir", type=Path, default=default, help="local data (default %(default)s)")


def _local(arguments: argparse.Namespace) -> int:
    fewer_arenas()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    for library in ("botocore", "pynamodb"):  # `rapport seed` runs the domain services in this process
        logging.getLogger(library).setLevel(logging.WARNING)
    options = Options(
        port=arguments.port,
        aws_port=arguments.aws_port,
        seed=arguments.seed,
        data_dir=arguments.data_dir.resolve(),
        cdk_out=arguments.cdk_out.resolve(),
        stack=arguments.stack,
        webhooks_allow_http_localhost=arguments.webhooks_allow_http_localhost,
        ses_max_send_rate=arguments.ses_max_send_rate,
    )
    try:
        serve(options)
    except (TemplateError, PortInUse) as error:
        print(f"rapport local: {error}", file=sys.stderr)
        return 1
    return 0


def _token(arguments: argparse.Namespace) -> int:
    issuer = TokenIssuer.of(DataDir(arguments.data_dir.resolve()), REGION)
    if arguments.customer:
        if not arguments.contact or arguments.user or arguments.groups:
            print("rapport token: a customer's token takes --contact (and no --user or --groups)", file=sys.stderr)
            return 2
        email, lifetime = arguments.email, arguments.expires_in
        print(issuer.mint_customer(tenant=arguments.tenant, contact=arguments.contact, email=email, lifetime=lifetime))
        return 0
    if not arguments.user or arguments.groups is None or arguments.contact:
        print("rapport token: a staff token takes --user and --groups (a customer's: --customer)", file=sys.stderr)
        return 2
    groups = [group.strip() for group in arguments.groups.split(",") if group.strip()]
    print(
        issuer.mint(
            tenant=arguments.tenant,
            user=arguments.user,
            groups=groups,
            email=arguments.email,
            lifetime=arguments.expires_in,
        )
    )
    return 0


class _Refused(Exception):
    """Why the command cannot do what was asked; printed as is, exit status 1."""


def _running(data_dir: Path) -> dict[str, Any]:
    """The endpoints of the `rapport local` running on `data_dir`: `api`, `aws`."""
    runtime_file = data_dir.resolve() / RUNTIME_FILE
    if not runtime_file.is_file():
        raise _Refused(f"rapport local is not running with the data folder {data_dir}")
    endpoints: dict[str, Any] = json.loads(runtime_file.read_text())
    return endpoints


def _schedule_run(arguments: argparse.Namespace) -> int:
    return _ask_runtime(arguments.data_dir, "POST", f"{SCHEDULES}{arguments.rule}", timeout=120)


def _seed(arguments: argparse.Namespace) -> int:
    query = urllib.parse.urlencode({"contacts": arguments.scale, "tenant": arguments.tenant})
    return _ask_runtime(arguments.data_dir, "POST", f"{SEED}?{query}", timeout=SEED_TIMEOUT)


def _mail_receive(arguments: argparse.Namespace) -> int:
    try:
        raw = sys.stdin.buffer.read() if str(arguments.file) == "-" else arguments.file.read_bytes()
    except OSError as error:
        print(f"rapport mail receive: cannot read {arguments.file}: {error.strerror}", file=sys.stderr)
        return 1
    query = urllib.parse.urlencode([("to", address) for address in arguments.to or []])
    return _ask_runtime(arguments.data_dir, "POST", f"{MAIL}?{query}", timeout=120, body=raw)


def _import(arguments: argparse.Namespace) -> int:
    try:
        api = _running(arguments.data_dir)["api"]
    except _Refused as error:
        print(f"rapport import: {error}", file=sys.stderr)
        return 1
    return importing.run(arguments, api)


def _mail_outbox(arguments: argparse.Namespace) -> int:
    return _ask_runtime(arguments.data_dir, "GET", OUTBOX, timeout=30)


def _portal_sign_in(arguments: argparse.Namespace) -> int:
    body = json.dumps({"user_name": arguments.user_name}).encode()
    return _ask_runtime(arguments.data_dir, "POST", SIGN_IN, timeout=60, body=body)


def _portal_answer(arguments: argparse.Namespace) -> int:
    body = json.dumps({"session": arguments.session, "code": arguments.code}).encode()
    return _ask_runtime(arguments.data_dir, "POST", ANSWER, timeout=60, body=body)


def _ask_runtime(data_dir: Path, method: str, path: str, *, timeout: float, body: bytes | None = None) -> int:
    """Sends a request to the running `rapport local` of the data folder and prints its JSON answer."""
    try:
        api = _running(data_dir)["api"]
    except _Refused as error:
        print(error, file=sys.stderr)
        return 1
    request = urllib.request.Request(f"{api}{path}", data=body, method=method)  # noqa: S310 - the local runtime
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - the local runtime
            print(json.dumps(json.loads(response.read()), indent=2))
    except urllib.error.HTTPError as error:
        print(json.loads(error.read()).get("message", error.reason), file=sys.stderr)
        return 1
    except urllib.error.URLError as error:
        print(f"rapport local does not answer at {api}: {error.reason}", file=sys.stderr)
        return 1
    return 0


def _events_put(arguments: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

    try:
        detail = _detail(arguments)
        endpoint = _running(arguments.data_dir)["aws"]
        client = _events_client(endpoint)
        entry = {
            "Source": arguments.source,
            "DetailType": arguments.detail_type,
            "Detail": json.dumps(detail),
            "EventBusName": arguments.bus or _the_bus(client),
        }
        [result] = client.put_events(Entries=[entry])["Entries"]
    except _Refused as error:
        print(f"rapport events put: {error}", file=sys.stderr)
        return 1
    except ClientError as error:
        print(f"rapport events put: the AWS endpoint refused the event: {error}", file=sys.stderr)
        return 1
    except (OSError, BotoCoreError) as error:
        print(f"rapport events put: rapport local does not answer at its AWS endpoint: {error}", file=sys.stderr)
        return 1
    if "ErrorCode" in result:
        print(f"rapport events put: the bus refused the event: {result['ErrorCode']}", file=sys.stderr)
        return 1
    print(json.dumps({"event_id": result["EventId"], "bus": entry["EventBusName"]}))
    return 0


def _consent_link(arguments: argparse.Namespace) -> int:
    """The link a message would carry (rapport.consent.addresses), under the running runtime's API, signed with the
    secret its functions sign with (the stack's Secrets Manager secret, at its AWS endpoint)."""
    from datetime import UTC, datetime

    from botocore.exceptions import BotoCoreError, ClientError

    from rapport.consent import addresses, links

    try:
        endpoints = _running(arguments.data_dir)
        secret = _the_secret(_client("secretsmanager", endpoints["aws"]))
    except _Refused as error:
        print(f"rapport consent link: {error}", file=sys.stderr)
        return 1
    except (OSError, BotoCoreError, ClientError) as error:
        print(f"rapport consent link: rapport local does not answer at its AWS endpoint: {error}", file=sys.stderr)
        return 1
    confirm = arguments.purpose == "confirm"
    expires = datetime.now(UTC) + links.CONFIRMATION_LIFETIME if confirm else None
    purpose = links.Purpose.CONFIRM if confirm else links.Purpose.UNSUBSCRIBE
    link = links.Link(purpose, arguments.tenant, arguments.contact, arguments.channel, arguments.topic, expires)
    path = addresses.PREFERENCES_PATH if confirm else addresses.UNSUBSCRIBE_PATH
    print(f"{endpoints['api']}{path}{links.token(link, secret)}")
    return 0


def _analytics_query(arguments: argparse.Namespace) -> int:
    from local import analytics

    return _analytics(arguments, lambda s3: analytics.answer(s3, arguments.sql))


def _analytics_kpi(arguments: argparse.Namespace) -> int:
    from local import analytics

    return _analytics(arguments, lambda s3: analytics.kpi(s3, queries()[arguments.name], arguments.tenant))


def _analytics(arguments: argparse.Namespace, ask: Callable[[Any], tuple[list[str], list[tuple[Any, ...]]]]) -> int:
    """Prints the answer of `ask` (given an S3 client of the running runtime) as a table."""
    import duckdb
    from botocore.exceptions import BotoCoreError, ClientError

    from local import analytics

    try:
        columns, rows = ask(_client("s3", _running(arguments.data_dir)["aws"]))
    except (_Refused, analytics.NoExports) as error:
        print(f"rapport analytics: {error}", file=sys.stderr)
        return 1
    except (OSError, BotoCoreError, ClientError) as error:
        print(f"rapport analytics: rapport local does not answer at its AWS endpoint: {error}", file=sys.stderr)
        return 1
    except duckdb.Error as error:
        print(f"rapport analytics: the SQL failed: {error}", file=sys.stderr)
        return 1
    print(analytics.table(columns, rows))
    return 0


def _the_secret(client: Any) -> bytes:
    """The value of the stack's one secret (the cursors' and links' keys derive from it)."""
    arns = [secret["ARN"] for secret in client.list_secrets()["SecretList"]]
    if len(arns) != 1:
        raise _Refused(f"expected the stack's one secret, found {len(arns)}")
    return str(client.get_secret_value(SecretId=arns[0])["SecretString"]).encode()


def _detail(arguments: argparse.Namespace) -> dict[str, Any]:
    if arguments.detail is not None:
        text, origin = arguments.detail, "--detail"
    else:
        origin = str(arguments.detail_file)
        try:
            text = sys.stdin.read() if origin == "-" else arguments.detail_file.read_text()
        except OSError as error:
            raise _Refused(f"cannot read {origin}: {error.strerror}") from error
    try:
        detail = json.loads(text)
    except json.JSONDecodeError as error:
        raise _Refused(f"{origin} is not JSON: {error}") from error
    if not isinstance(detail, dict):
        raise _Refused(f"{origin} must be a JSON object, the event's detail")
    return detail


def _events_client(endpoint: str) -> Any:
    return _client("events", endpoint)


def _client(service: str, endpoint: str) -> Any:
    import boto3  # type: ignore[import-untyped]  # only the commands that need it: `rapport token` stays quick

    credentials = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}  # the local endpoint takes any
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION, **credentials)


def _the_bus(client: Any) -> str:
    names = [bus["Name"] for bus in client.list_event_buses()["EventBuses"] if bus["Name"] != "default"]
    if len(names) != 1:
        raise _Refused(f"name the bus with --bus: the runtime has {', '.join(names) or 'only the default bus'}")
    return str(names[0])


if __name__ == "__main__":
    raise SystemExit(main())
