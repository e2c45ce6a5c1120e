"""The local event runtime: EventBridge semantics (pure) and, against moto's server, streams, rules and flows."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import boto3  # type: ignore[import-untyped]
import pytest
from moto.core.config import default_user_config
from moto.server import ThreadedMotoServer
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

from local.awsmock import patch_dynamodb
from local.runtime.event_patterns import (
    MISSING,
    InvalidPattern,
    InvalidSchedule,
    compile_pattern,
    json_path,
    parse_schedule,
    render_template,
    target_input,
)
from local.runtime.eventing import Eventing, EventingError
from local.runtime.eventing.resources import utc_clock
from local.runtime.eventing.shared import Pool
from local.runtime.template import Physical, Resolver, UnresolvedReference

REGION = "eu-west-1"
ACCOUNT = "123456789012"
TABLE = "rapport-local-table"
BUS = "rapport-local"

EVENT = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "contact.created",
    "source": "rapport.contacts",
    "account": ACCOUNT,
    "time": "2024-05-01T10:00:00Z",
    "region": REGION,
    "resources": ["arn:aws:dynamodb:eu-west-1:123456789012:table/rapport"],
    "detail": {
        "tenant": "t1",
        "contact_id": "01HX",
        "email": "Ada@Example.com",
        "score": 42,
        "ratio": 0.5,
        "vip": False,
        "owner": None,
        "tags": ["lead", "emea"],
        "address": {"country": "FR", "city": "Paris"},
        "phones": [{"kind": "work", "number": "+331"}, {"kind": "home", "number": "+332"}],
        "ip": "10.0.3.7",
        "path": "a*b",
    },
}


# Event patterns


@pytest.mark.parametrize(
    ("pattern", "matched"),
    [
        ({"source": ["rapport.contacts"]}, True),
        ({"source": ["rapport.deals"]}, False),
        ({"source": ["rapport.deals", "rapport.contacts"]}, True),
        ({"detail-type": ["contact.created"], "detail": {"tenant": ["t1"]}}, True),
        ({"detail-type": ["contact.created"], "detail": {"tenant": ["t2"]}}, False),
        ({"detail": {"score": [42]}}, True),
        ({"detail": {"score": [42.0]}}, True),
        ({"detail": {"score": ["42"]}}, False),
        ({"detail": {"vip": [False]}}, True),
        ({"detail": {"vip": [0]}}, False),
        ({"detail": {"owner": [None]}}, True),
        ({"detail": {"missing": [None]}}, False),
        ({"detail": {"tags": ["emea"]}}, True),
        ({"detail": {"tags": ["apac"]}}, False),
        ({"detail": {"address": {"country": ["FR"]}}}, True),
        ({"detail": {"address": {"country": ["DE"]}}}, False),
        ({"detail": {"phones": {"kind": ["home"], "number": ["+332"]}}}, True),
        ({"detail": {"phones": {"kind": ["home"], "number": ["+331"]}}}, False),
        ({"detail": {"email": [{"prefix": "Ada@"}]}}, True),
        ({"detail": {"email": [{"prefix": "ada@"}]}}, False),
        ({"detail": {"email": [{"prefix": {"equals-ignore-case": "ada@"}}]}}, True),
        ({"detail": {"email": [{"suffix": ".com"}]}}, True),
        ({"detail": {"email": [{"suffix": {"equals-ignore-case": "EXAMPLE.COM"}}]}}, True),
        ({"detail": {"email": [{"suffix": ".org"}]}}, False),
        ({"detail": {"email": [{"equals-ignore-case": "ada@example.com"}]}}, True),
        ({"detail": {"email": [{"equals-ignore-case": "bob@example.com"}]}}, False),
        ({"detail": {"tenant": [{"anything-but": "t2"}]}}, True),
        ({"detail": {"tenant": [{"anything-but": ["t1", "t2"]}]}}, False),
        ({"detail": {"score": [{"anything-but": [41, 43]}]}}, True),
        ({"detail": {"score": [{"anything-but": 42}]}}, False),
        ({"detail": {"missing": [{"anything-but": "x"}]}}, False),
        ({"detail": {"tags": [{"anything-but": "lead"}]}}, True),
        ({"detail": {"email": [{"anything-but": {"prefix": "Ada"}}]}}, False),
        ({"detail": {"email": [{"anything-but": {"suffix": ".org"}}]}}, True),
        ({"detail": {"tenant": [{"anything-but": {"equals-ignore-case": ["T1"]}}]}}, False),
        ({"detail": {"path": [{"anything-but": {"wildcard": "x*"}}]}}, True),
        ({"detail": {"score": [{"numeric": [">", 40, "<=", 42]}]}}, True),
        ({"detail": {"score": [{"numeric": [">", 42]}]}}, False),
        ({"detail": {"ratio": [{"numeric": ["=", 0.5]}]}}, True),
        ({"detail": {"tenant": [{"numeric": [">", 0]}]}}, False),
        ({"detail": {"tenant": [{"exists": True}]}}, True),
        ({"detail": {"missing": [{"exists": True}]}}, False),
        ({"detail": {"missing": [{"exists": False}]}}, True),
        ({"detail": {"tenant": [{"exists": False}]}}, False),
        ({"detail": {"owner": [{"exists": True}]}}, True),
        ({"detail": {"address": [{"exists": True}]}}, False),
        ({"nowhere": {"deep": [{"exists": False}]}}, True),
        ({"detail": {"email": [{"wildcard": "*@example.*"}]}}, False),
        ({"detail": {"email": [{"wildcard": "*@Example.*"}]}}, True),
        ({"detail": {"path": [{"wildcard": "a\\*b"}]}}, True),
        ({"detail": {"path": [{"wildcard": "a\\*c"}]}}, False),
        ({"detail": {"ip": [{"cidr": "10.0.0.0/16"}]}}, True),
        ({"detail": {"ip": [{"cidr": "10.1.0.0/16"}]}}, False),
        ({"detail": {"email": [{"cidr": "10.0.0.0/8"}]}}, False),
        ({"detail": {"$or": [{"tenant": ["t9"]}, {"score": [{"numeric": [">", 40]}]}]}}, True),
        ({"detail": {"$or": [{"tenant": ["t9"]}, {"score": [{"numeric": [">", 50]}]}]}}, False),
        ({"source": ["rapport.contacts"], "$or": [{"detail-type": ["x"]}, {"detail": {"vip": [False]}}]}, True),
        ({"resources": [{"prefix": "arn:aws:dynamodb:"}]}, True),
        ({"detail": {"tenant": ["t1", {"prefix": "zz"}]}, "region": [{"anything-but": "us-east-1"}]}, True),
    ],
)
def test_pattern_matching(pattern: dict[str, Any], matched: bool) -> None:
    assert compile_pattern(pattern)(EVENT) is matched


def test_pattern_from_json_text() -> None:
    assert compile_pattern(json.dumps({"source": ["rapport.contacts"]}))(EVENT)


@pytest.mark.parametrize(
    "pattern",
    [
        {},
        {"source": "rapport.contacts"},
        {"source": []},
        {"detail": {}},
        {"source": [{"prefix": 1}]},
        {"source": [{"unknown-op": "x"}]},
        {"source": [{"prefix": "a", "suffix": "b"}]},
        {"detail": {"score": [{"numeric": [">"]}]}},
        {"detail": {"score": [{"numeric": ["~", 3]}]}},
        {"detail": {"score": [{"exists": "yes"}]}},
        {"detail": {"score": [{"anything-but": {"numeric": [">", 1]}}]}},
        {"detail": {"score": [{"anything-but": []}]}},
        {"detail": {"path": [{"wildcard": "a**b"}]}},
        {"detail": {"ip": [{"cidr": "not-a-network"}]}},
        {"$or": [{"source": ["a"]}]},
        {"source": [["nested"]]},
    ],
)
def test_invalid_patterns_fail_when_compiled(pattern: dict[str, Any]) -> None:
    with pytest.raises(InvalidPattern):
        compile_pattern(pattern)


# Target input


def test_json_paths() -> None:
    assert json_path(EVENT, "$") is EVENT
    assert json_path(EVENT, "$.detail.address.city") == "Paris"
    assert json_path(EVENT, "$.detail.phones[1].number") == "+332"
    assert json_path(EVENT, "$.detail.tags.0") == "lead"
    assert json_path(EVENT, "$.detail.nothing.here") is MISSING


def test_target_input_kinds() -> None:
    assert target_input({}, EVENT, "r", "arn:r") == EVENT
    assert target_input({"Input": '{"job": "x"}'}, EVENT, "r", "arn:r") == {"job": "x"}
    assert target_input({"InputPath": "$.detail.address"}, EVENT, "r", "arn:r") == {"country": "FR", "city": "Paris"}


def test_input_transformer_json_template() -> None:
    transformer = {
        "InputPathsMap": {"email": "$.detail.email", "score": "$.detail.score", "gone": "$.detail.gone"},
        "InputTemplate": (
            '{"to": <email>, "line": "score <score> for <email>", "score": <score>, "gone": <gone>,'
            ' "rule": "<aws.events.rule-name>", "event": <aws.events.event.json>}'
        ),
    }
    rendered = target_input({"InputTransformer": transformer}, EVENT, "notify", "arn:rule")
    assert rendered["to"] == "Ada@Example.com"
    assert rendered["line"] == "score 42 for Ada@Example.com"
    assert rendered["score"] == 42
    assert rendered["gone"] is None
    assert rendered["rule"] == "notify"
    assert rendered["event"] == EVENT


def test_input_transformer_text_templates() -> None:
    variables = {"who": 'say "hi"', "n": 3}
    assert render_template("<who> <n> times", variables) == 'say "hi" 3 times'
    assert render_template('"<who> <n> times"', variables) == 'say "hi" 3 times'
    assert render_template("<unknown> stays", variables) == "<unknown> stays"


# Schedules


def test_rate_schedules() -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    assert parse_schedule("rate(1 minute)").next_after(start) == start + timedelta(minutes=1)
    assert parse_schedule("rate(2 hours)").next_after(start) == start + timedelta(hours=2)
    assert parse_schedule("rate(7 days)").next_after(start) == start + timedelta(days=7)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("cron(0 8 * * ? *)", "2024-01-01T08:00", "2024-01-02T08:00"),
        ("cron(0/15 * * * ? *)", "2024-01-01T08:07", "2024-01-01T08:15"),
        ("cron(0 9 ? * MON-FRI *)", "2024-01-05T10:00", "2024-01-08T09:00"),
        ("cron(0 9 ? * 2,4 *)", "2024-01-02T10:00", "2024-01-03T09:00"),
        ("cron(15 10 L * ? *)", "2024-02-01T00:00", "2024-02-29T10:15"),
        ("cron(0 0 ? * 6L *)", "2024-02-01T00:00", "2024-02-23T00:00"),
        ("cron(0 0 ? * 2#1 *)", "2024-02-01T00:00", "2024-02-05T00:00"),
        ("cron(30 6 1 JAN,JUL ? 2025)", "2024-02-01T00:00", "2025-01-01T06:30"),
    ],
)
def test_cron_schedules(expression: str, after: str, expected: str) -> None:
    moment = datetime.fromisoformat(after).replace(tzinfo=UTC)
    assert parse_schedule(expression).next_after(moment) == datetime.fromisoformat(expected).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    "expression",
    ["rate(0 minutes)", "rate(5 weeks)", "cron(0 8 * * *)", "cron(0 8 * * 2 *)", "cron(0 25 * * ? *)", "at(x)"],
)
def test_invalid_schedules(expression: str) -> None:
    with pytest.raises(InvalidSchedule):
        parse_schedule(expression)


# Against moto's server


class FunctionError(Exception):
    """As the runtime's workers raise it: the function's own errorType and errorMessage."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type
        self.message = message


class Functions:
    """The `invoke` callable: records every call and answers through per-function behaviours."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.behaviours: dict[str, Callable[[dict[str, Any]], Any]] = {}
        self._lock = threading.Lock()

    def __call__(self, function_id: str, event: dict[str, Any]) -> Any:
        with self._lock:
            self.calls.append((function_id, event))
        behaviour = self.behaviours.get(function_id)
        return behaviour(event) if behaviour else {"ok": function_id}

    def of(self, function_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [event for called, event in self.calls if called == function_id]


def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"not true within {timeout}s: {check}")


def _lead_flow_definition() -> dict[str, Any]:
    """As CDK synthesizes a state machine: the definition is a Fn::Join of text and tokens."""
    head = (
        '{"StartAt":"WaitUntilDue","States":{"WaitUntilDue":{"Type":"Wait","TimestampPath":"$.detail.due",'
        '"Next":"Assign"},"Assign":{"Next":"Done","Type":"Task","Resource":"arn:'
    )
    middle = ':states:::lambda:invoke","Parameters":{"FunctionName":"'
    tail = '","Payload.$":"$"},"ResultSelector":{"assigned.$":"$.Payload"}},"Done":{"Type":"Succeed"}}}'
    return {"Fn::Join": ["", [head, {"Ref": "AWS::Partition"}, middle, {"Fn::GetAtt": ["Assign", "Arn"]}, tail]]}


def _template() -> dict[str, Any]:
    def function() -> dict[str, Any]:
        return {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "handler.lambda_handler"}}

    return {
        "Resources": {
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
            "Publisher": function(),
            "Assign": function(),
            "Notify": function(),
            "Reminder": function(),
            "EventsRole": {"Type": "AWS::IAM::Role", "Properties": {}},
            "StreamFailures": {"Type": "AWS::SQS::Queue", "Properties": {}},
            "NotifyDlq": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "notify-dlq"}},
            "Alerts": {"Type": "AWS::SNS::Topic", "Properties": {}},
            "Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": BUS}},
            "PublisherMapping": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {
                    "FunctionName": {"Ref": "Publisher"},
                    "EventSourceArn": {"Fn::GetAtt": ["Table", "StreamArn"]},
                    "StartingPosition": "TRIM_HORIZON",
                    "BatchSize": 10,
                    "FunctionResponseTypes": ["ReportBatchItemFailures"],
                    "MaximumRetryAttempts": 2,
                    "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": ["StreamFailures", "Arn"]}}},
                },
            },
            "LeadFlow": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "DefinitionString": _lead_flow_definition(),
                    "RoleArn": {"Fn::GetAtt": ["EventsRole", "Arn"]},
                },
            },
            "LeadCreated": {
                "Type": "AWS::Events::Rule",
                "Properties": {
                    "EventBusName": {"Ref": "Bus"},
                    "EventPattern": {
                        "source": ["rapport.leads"],
                        "detail-type": ["lead.created"],
                        "detail": {"score": [{"numeric": [">=", 50]}]},
                    },
                    "Targets": [
                        {"Arn": {"Ref": "LeadFlow"}, "Id": "flow", "RoleArn": {"Fn::GetAtt": ["EventsRole", "Arn"]}}
                    ],
                },
            },
            "ContactCreated": {
                "Type": "AWS::Events::Rule",
                "Properties": {
                    "EventBusName": {"Fn::GetAtt": ["Bus", "Arn"]},
                    "EventPattern": {"detail-type": ["contact.created"]},
                    "Targets": [
                        {
                            "Arn": {"Fn::GetAtt": ["Notify", "Arn"]},
                            "Id": "notify",
                            "InputTransformer": {
                                "InputPathsMap": {"email": "$.detail.email"},
                                "InputTemplate": '{"to": <email>, "rule": "<aws.events.rule-name>"}',
                            },
                            "DeadLetterConfig": {"Arn": {"Fn::GetAtt": ["NotifyDlq", "Arn"]}},
                        }
                    ],
                },
            },
            "AuditLogs": {"Type": "AWS::Logs::LogGroup", "Properties": {}},
            "Audit": {
                "Type": "AWS::Events::Rule",
                "Properties": {
                    "EventBusName": {"Ref": "Bus"},
                    "EventPattern": {"source": [{"prefix": "rapport."}]},
                    "Targets": [{"Arn": {"Fn::GetAtt": ["AuditLogs", "Arn"]}, "Id": "logs"}],
                },
            },
            "Reminders": {
                "Type": "AWS::Events::Rule",
                "Properties": {
                    "Name": "rapport-reminders",
                    "ScheduleExpression": "cron(0 8 * * ? *)",
                    "Targets": [
                        {"Arn": {"Fn::GetAtt": ["Reminder", "Arn"]}, "Id": "r", "Input": '{"job": "reminders"}'}
                    ],
                },
            },
        }
    }


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    patch_dynamodb()  # moto as the runtime runs it: writes are heard (on_write)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    with pytest.MonkeyPatch.context() as patch:
        # Eventing.start reconfigures moto process-wide; the rest of the session gets moto as it was
        patch.setitem(default_user_config, "lambda", dict(default_user_config["lambda"]))
        patch.setitem(default_user_config, "stepfunctions", dict(default_user_config["stepfunctions"]))
        patch.setenv("MOTO_PORT", str(port))
        yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def aws(endpoint: str) -> Callable[[str], Any]:
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))  # noqa: S310
    session = boto3.session.Session(aws_access_key_id="local", aws_secret_access_key="local", region_name=REGION)
    return lambda service: session.client(service, endpoint_url=endpoint)


@pytest.fixture
def functions() -> Functions:
    return Functions()


@pytest.fixture
def start(aws: Callable[[str], Any], endpoint: str, functions: Functions) -> Iterator[Callable[..., Eventing]]:
    """Creates the table as the runtime does, then starts an Eventing on the template; stops it afterwards."""
    aws("dynamodb").create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    started: list[Eventing] = []

    def start_eventing(template: dict[str, Any] | None = None) -> Eventing:
        template = template or _template()
        resolver = Resolver(REGION, "stack", {"Table": Physical(TABLE)}, template["Resources"])
        eventing = Eventing(template, functions, endpoint, resolver)
        eventing.start()
        started.append(eventing)
        return eventing

    yield start_eventing
    for eventing in started:
        eventing.stop()


def _put_contact(aws: Callable[[str], Any], contact_id: str) -> None:
    item = {"pk": {"S": f"T#t1#CON#{contact_id}"}, "sk": {"S": "A#META"}, "avatar": {"B": b"\x00\x01"}}
    aws("dynamodb").put_item(TableName=TABLE, Item=item)


def _put_event(aws: Callable[[str], Any], detail_type: str, detail: dict[str, Any], source: str) -> None:
    entry = {"EventBusName": BUS, "Source": source, "DetailType": detail_type, "Detail": json.dumps(detail)}
    assert aws("events").put_events(Entries=[entry])["FailedEntryCount"] == 0


def _messages(aws: Callable[[str], Any], queue: str) -> list[dict[str, Any]]:
    sqs = aws("sqs")
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    response = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
    messages: list[dict[str, Any]] = response.get("Messages", [])
    return messages


def _sequence_numbers(event: dict[str, Any]) -> list[str]:
    return [record["dynamodb"]["SequenceNumber"] for record in event["Records"]]


@pytest.mark.slow
def test_resources_are_created_and_named(
    start: Callable[..., Eventing], aws: Callable[[str], Any], caplog: pytest.LogCaptureFixture
) -> None:
    names = start().resource_names()

    assert names["Bus"] == BUS
    assert names["LeadFlow"] == f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:LeadFlow"
    assert names["NotifyDlq"].endswith("/notify-dlq")
    assert names["StreamFailures"].endswith("/StreamFailures")
    assert names["Alerts"] == f"arn:aws:sns:{REGION}:{ACCOUNT}:Alerts"
    definition = json.loads(
        aws("stepfunctions").describe_state_machine(stateMachineArn=names["LeadFlow"])["definition"]
    )
    assert definition["States"]["Assign"]["Parameters"]["FunctionName"] == (
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:Assign"
    )
    assert "rule Audit, target logs is not run locally: Fn::GetAtt AuditLogs.Arn" in caplog.text


@pytest.mark.slow
def test_a_table_write_reaches_the_function_as_a_stream_record(
    start: Callable[..., Eventing], aws: Callable[[str], Any], functions: Functions
) -> None:
    start()
    _put_contact(aws, "c1")

    (event,) = eventually(lambda: functions.of("Publisher"))
    (record,) = event["Records"]
    stream_arn = aws("dynamodb").describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    assert record["eventName"] == "INSERT"
    assert record["eventSource"] == "aws:dynamodb"
    assert record["eventVersion"] == "1.1"
    assert record["awsRegion"] == REGION
    assert record["eventSourceARN"] == stream_arn
    change = record["dynamodb"]
    assert change["Keys"] == {"pk": {"S": "T#t1#CON#c1"}, "sk": {"S": "A#META"}}
    assert change["NewImage"]["avatar"] == {"B": "AAE="}
    assert "OldImage" not in change
    assert change["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert isinstance(change["ApproximateCreationDateTime"], int)
    assert change["SequenceNumber"].isdigit()
    json.dumps(event)  # what a worker process receives must be plain JSON


@pytest.mark.slow
def test_an_idle_poller_waits_for_a_write_to_its_table(
    start: Callable[..., Eventing],
    aws: Callable[[str], Any],
    functions: Functions,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Nothing written: the shard is not asked again. A write wakes the poller at once, not at its idle pause."""
    from local import awsmock
    from local.runtime.eventing import streams

    monkeypatch.setattr(streams, "_IDLE_POLL_SECONDS", 60.0)
    polls = 0
    stream_records = awsmock.stream_records

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal polls
        polls += 1
        return stream_records(*args, **kwargs)

    monkeypatch.setattr(streams, "stream_records", counted)
    dynamodb = aws("dynamodb")
    dynamodb.create_table(
        TableName="another",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    start()
    eventually(lambda: polls)
    dynamodb.put_item(TableName="another", Item={"pk": {"S": "elsewhere"}})
    time.sleep(1)
    assert polls == 1
    _put_contact(aws, "c1")
    (event,) = eventually(lambda: functions.of("Publisher"))
    assert event["Records"][0]["dynamodb"]["Keys"]["pk"] == {"S": "T#t1#CON#c1"}


@pytest.mark.slow
def test_a_partial_batch_failure_is_retried_from_the_failed_record(
    start: Callable[..., Eventing], aws: Callable[[str], Any], functions: Functions
) -> None:
    for contact_id in ("a", "b", "c"):
        _put_contact(aws, contact_id)  # before start: TRIM_HORIZON gives all three in one batch
    failed_once: list[str] = []

    def publisher(event: dict[str, Any]) -> dict[str, Any]:
        second = _sequence_numbers(event)[1] if len(event["Records"]) > 1 else None
        if second and not failed_once:
            failed_once.append(second)
            return {"batchItemFailures": [{"itemIdentifier": second}]}
        return {"batchItemFailures": []}

    functions.behaviours["Publisher"] = publisher
    start()

    first, retry = eventually(lambda: functions.of("Publisher") if len(functions.of("Publisher")) >= 2 else None)
    assert len(first["Records"]) == 3
    assert _sequence_numbers(retry) == _sequence_numbers(first)[1:]
    assert _sequence_numbers(retry)[0] == failed_once[0]


@pytest.mark.slow
def test_a_record_failing_every_retry_goes_to_the_on_failure_destination(
    start: Callable[..., Eventing], aws: Callable[[str], Any], functions: Functions
) -> None:
    _put_contact(aws, "poison")

    def publisher(event: dict[str, Any]) -> dict[str, Any]:
        poisoned = [record for record in event["Records"] if "poison" in record["dynamodb"]["Keys"]["pk"]["S"]]
        return {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]} for record in poisoned]}

    functions.behaviours["Publisher"] = publisher
    start()

    (message,) = eventually(lambda: _messages(aws, "StreamFailures"))
    assert len(functions.of("Publisher")) == 3  # the first invocation and MaximumRetryAttempts 2
    failure = json.loads(message["Body"])
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["functionArn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:Publisher"
    batch = failure["DDBStreamBatchInfo"]
    assert batch["batchSize"] == 1
    assert batch["startSequenceNumber"] == _sequence_numbers(functions.of("Publisher")[0])[0]

    _put_contact(aws, "healthy")  # the stream moved on
    eventually(lambda: any("healthy" in json.dumps(event) for event in functions.of("Publisher")))


@pytest.mark.slow
def test_an_event_runs_the_state_machine_whose_task_invokes_the_function(
    start: Callable[..., Eventing], aws: Callable[[str], Any], functions: Functions
) -> None:
    eventing = start()
    flow = eventing.resource_names()["LeadFlow"]
    sfn = aws("stepfunctions")
    due = "2000-01-01T00:00:00Z"  # the Wait until `due` is over at once: see the module's docstring
    _put_event(aws, "lead.created", {"lead_id": "l0", "score": 10, "due": due}, "rapport.leads")  # score too low
    _put_event(aws, "lead.created", {"lead_id": "l1", "score": 80, "due": due}, "rapport.other")  # other source
    _put_event(aws, "lead.updated", {"lead_id": "l2", "score": 90, "due": due}, "rapport.leads")  # other type
    _put_event(aws, "lead.created", {"lead_id": "l3", "score": 75, "due": due}, "rapport.leads")

    (execution,) = eventually(lambda: sfn.list_executions(stateMachineArn=flow)["executions"])
    described = eventually(
        lambda: (d := sfn.describe_execution(executionArn=execution["executionArn"]))["status"] != "RUNNING" and d
    )
    assert described["status"] == "SUCCEEDED"
    (assigned,) = functions.of("Assign")
    assert assigned["source"] == "rapport.leads"
    assert assigned["detail"]["lead_id"] == "l3"
    assert json.loads(described["output"]) == {"assigned": {"ok": "Assign"}}

    # events are routed in the order they were put, so the earlier ones were looked at already; stop() waits
    # for any routing still under way: none of them gets delivered
    eventing.stop()
    assert len(sfn.list_executions(stateMachineArn=flow)["executions"]) == 1
    assert len(functions.of("Assign")) == 1


@pytest.mark.slow
def test_a_function_error_in_a_task_fails_the_execution_with_its_error_type(
    start: Callable[..., Eventing], aws: Callable[[str], Any], functions: Functions
) -> None:
    def assign(event: dict[str, Any]) -> dict[str, Any]:
        raise FunctionError("NoOwnerAvailable", "no owner available")

    functions.behaviours["Assign"] = assign
    flow = start().resource_names()["LeadFlow"]
    _put_event(aws, "lead.created", {"score": 60, "due": "2000-01-01T00:00:00Z"}, "rapport.leads")

    sfn = aws("stepfunctions")
    (execution,) = eventually(lambda: sfn.list_executions(stateMachineArn=flow)["executions"])
    described = eventually(
        lambda: (d := sfn.describe_execution(executionArn=execution["executionArn"]))["status"] != "RUNNING" and d
    )
    assert described["status"] == "FAILED"
    assert described["error"] == "NoOwnerAvailable"
    assert "no owner available" in described["cause"]


@pytest.mark.slow
def test_a_wait_until_a_future_time_can_be_skipped_in_process(
    start: Callable[..., Eventing], aws: Callable[[str], Any], functions: Functions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(WaitFunction, "_wait_interval", lambda *args, **kwargs: None)
    flow = start().resource_names()["LeadFlow"]
    sfn = aws("stepfunctions")

    execution = sfn.start_execution(
        stateMachineArn=flow, name="next-year", input=json.dumps({"detail": {"due": "2999-01-01T00:00:00Z"}})
    )

    described = eventually(
        lambda: (d := sfn.describe_execution(executionArn=execution["executionArn"]))["status"] != "RUNNING" and d,
        timeout=5,
    )
    assert described["status"] == "SUCCEEDED"
    assert functions.of("Assign") == [{"detail": {"due": "2999-01-01T00:00:00Z"}}]


@pytest.mark.slow
def test_a_failing_lambda_target_is_retried_twice_then_dead_lettered(
    start: Callable[..., Eventing], aws: Callable[[str], Any], functions: Functions
) -> None:
    def notify(event: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("mail server down")

    functions.behaviours["Notify"] = notify
    start()
    _put_event(aws, "contact.created", {"email": "ada@example.com"}, "rapport.contacts")

    (message,) = eventually(lambda: _messages(aws, "notify-dlq"))
    assert functions.of("Notify") == [{"to": "ada@example.com", "rule": "ContactCreated"}] * 3
    assert json.loads(message["Body"])["detail"] == {"email": "ada@example.com"}
    attributes = {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "RuntimeError"
    assert attributes["ERROR_MESSAGE"] == "mail server down"
    assert attributes["TARGET_ARN"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:Notify"
    assert attributes["RULE_ARN"] == f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{BUS}/ContactCreated"


@pytest.mark.slow
def test_run_schedule_fires_the_rule_now(start: Callable[..., Eventing], functions: Functions) -> None:
    eventing = start()

    assert eventing.run_schedule("Reminders") == ["function Reminder"]
    assert eventing.run_schedule("rapport-reminders") == ["function Reminder"]
    assert functions.of("Reminder") == [{"job": "reminders"}] * 2
    with pytest.raises(EventingError, match="Reminders"):
        eventing.run_schedule("LeadCreated")


@pytest.mark.slow
def test_a_scheduled_rule_fires_while_running(start: Callable[..., Eventing], functions: Functions) -> None:
    template = _template()
    rule = template["Resources"]["Reminders"]["Properties"]
    rule["ScheduleExpression"] = "rate(1 minute)"
    del rule["Targets"][0]["Input"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            "local.runtime.event_patterns.Rate.next_after", lambda self, moment: moment + timedelta(seconds=0.05)
        )
        start(template)
        events = eventually(lambda: functions.of("Reminder"))
    assert events[0]["detail-type"] == "Scheduled Event"
    assert events[0]["source"] == "aws.events"
    assert events[0]["resources"] == [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/rapport-reminders"]


@pytest.mark.slow
def test_a_reference_to_something_unknown_fails_start(start: Callable[..., Eventing]) -> None:
    template = _template()
    template["Resources"]["LeadFlow"]["Properties"]["DefinitionString"]["Fn::Join"][1][3] = {
        "Fn::GetAtt": ["Vanished", "Arn"]
    }
    with pytest.raises(UnresolvedReference, match="Vanished"):
        start(template)


@pytest.mark.slow
def test_one_time_schedules_fire_their_function_once_when_due_and_those_to_delete_are_deleted_first(
    start: Callable[..., Eventing], aws: Callable[[str], Any], functions: Functions
) -> None:
    template = _template()
    template["Resources"]["Timers"] = {"Type": "AWS::Scheduler::ScheduleGroup", "Properties": {}}
    eventing = start(template)
    scheduler = aws("scheduler")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)  # never due on the real clock

    def put(name: str, at: datetime, after: str, expression: str | None = None, time_zone: str = "UTC") -> None:
        scheduler.create_schedule(
            Name=name,
            GroupName="Timers",
            ScheduleExpression=expression or f"at({at.astimezone(ZoneInfo(time_zone)):%Y-%m-%dT%H:%M:%S})",
            ScheduleExpressionTimezone=time_zone,
            FlexibleTimeWindow={"Mode": "OFF"},
            ActionAfterCompletion=after,
            Target={
                "Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:Reminder",
                "RoleArn": "r",
                "Input": json.dumps({"n": name}),
            },
        )

    put("due", tomorrow, "DELETE", time_zone="Europe/Paris")
    put("kept", tomorrow, "NONE")
    put("later", tomorrow + timedelta(seconds=1), "DELETE")
    put("recurring", tomorrow, "NONE", expression="rate(1 minute)")
    put("off", tomorrow, "NONE")
    scheduler.update_schedule(
        Name="off",
        GroupName="Timers",
        ScheduleExpression=f"at({tomorrow:%Y-%m-%dT%H:%M:%S})",
        FlexibleTimeWindow={"Mode": "OFF"},
        State="DISABLED",
        Target={"Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:Reminder", "RoleArn": "r"},
    )

    assert sorted(eventing.fire_due_schedules(tomorrow)) == ["due", "kept"]
    assert eventing.fire_due_schedules(tomorrow) == []  # the kept one fires once
    assert eventing.fire_due_schedules(tomorrow + timedelta(seconds=1)) == ["later"]
    eventually(lambda: len(functions.of("Reminder")) == 3)
    assert sorted(event["n"] for event in functions.of("Reminder")) == ["due", "kept", "later"]
    left = scheduler.list_schedules(GroupName="Timers")["Schedules"]
    assert sorted(schedule["Name"] for schedule in left) == ["kept", "off", "recurring"]
    assert eventing.resource_names()["Timers"] == "Timers"


def test_the_pool_counts_what_it_has_not_run_and_what_a_stop_dropped() -> None:
    pool = Pool(1)
    release = threading.Event()
    ran: list[int] = []
    pool.submit(release.wait)
    for number in range(3):
        pool.submit(ran.append, number)
    assert pool.pending() == 4
    release.set()
    deadline = time.monotonic() + 5
    while pool.pending() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert (pool.pending(), ran) == (0, [0, 1, 2])
    running = threading.Event()

    def hold() -> None:
        running.set()
        time.sleep(0.2)

    pool.submit(hold)
    running.wait(5)
    pool.submit(ran.append, 3)
    pool.submit(ran.append, 4)
    assert pool.shutdown() == 2  # the running one ends; the two queued behind it are dropped, and said to be
    assert (pool.pending(), ran) == (0, [0, 1, 2])
    pool.submit(ran.append, 5)  # after the stop: not run, not counted as pending
    assert pool.pending() == 0


def test_the_runtime_s_clock_is_utc_so_a_wait_until_a_timestamp_is_not_off_by_the_machine_s_offset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert abs(datetime.now() - datetime.now(UTC).replace(tzinfo=None)) > timedelta(hours=3)
        utc_clock()
        assert abs(datetime.now() - datetime.now(UTC).replace(tzinfo=None)) < timedelta(seconds=5)
    finally:
        monkeypatch.undo()
        time.tzset()
