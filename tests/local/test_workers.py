"""Worker processes: one per function on first use, reused after, discarded when they time out or die."""

from __future__ import annotations

import os
from pathlib import Path

import boto3  # type: ignore[import-untyped]
import pytest
from botocore.awsrequest import AWSPreparedRequest  # type: ignore[import-untyped]

from local.runtime.aws import CALLER_ID_VARIABLE, caller_of
from local.runtime.functions import FunctionConfig
from local.runtime.workers import FunctionError, Workers

pytestmark = pytest.mark.slow

HANDLER = """
import os, sys, time
print("importing", file=sys.stderr)

def lambda_handler(event, context):
    print("a log line")  # must not break the protocol
    if event.get("fail"):
        raise ValueError("asked to fail")
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("exit"):
        os._exit(3)
    if event.get("unserializable"):
        return {1, 2}
    return {"pid": os.getpid(), "event": event, "remaining": context.get_remaining_time_in_millis(),
            "caller_id": os.environ.get("AWS_SDK_UA_APP_ID"),
            "request_id": context.aws_request_id, "cwd": os.getcwd(), "greeting": os.environ["GREETING"]}
"""


@pytest.fixture
def configure(tmp_path: Path):
    (tmp_path / "handler.py").write_text(HANDLER)
    (tmp_path / "broken.py").write_text("raise ImportError('no such thing')\n")

    def configure(logical_id: str) -> FunctionConfig:
        handler = "broken.lambda_handler" if logical_id == "Broken" else "handler.lambda_handler"
        environment = {
            "PATH": os.environ["PATH"],
            "PYTHONPATH": str(tmp_path),
            "_HANDLER": handler,
            "AWS_LAMBDA_FUNCTION_NAME": logical_id,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{logical_id}",
            "GREETING": "hello",
        }
        return FunctionConfig(
            logical_id,
            logical_id,
            logical_id,
            f"arn:{logical_id}",
            tmp_path,
            handler,
            environment,
            timeout=2.0,
            memory_mb=128,
        )

    return configure


@pytest.fixture
def workers(configure):
    pool = Workers(configure)
    yield pool
    pool.stop()


def test_a_function_starts_on_first_use_and_its_worker_is_reused(workers: Workers, tmp_path: Path) -> None:
    first = workers.invoke("Fn", {"n": 1})
    second = workers.invoke("Fn", {"n": 2})
    assert first["event"] == {"n": 1}
    assert second["pid"] == first["pid"] != os.getpid()
    assert first["request_id"] != second["request_id"]
    assert 0 < first["remaining"] <= 2000
    assert first["cwd"] == str(tmp_path)
    assert first["greeting"] == "hello"


def test_a_function_error_is_raised_and_the_worker_kept(workers: Workers) -> None:
    pid = workers.invoke("Fn", {})["pid"]
    with pytest.raises(FunctionError, match="asked to fail") as raised:
        workers.invoke("Fn", {"fail": True})
    assert raised.value.error_type == "ValueError"
    assert workers.invoke("Fn", {})["pid"] == pid


def test_a_result_that_is_not_json_is_an_error(workers: Workers) -> None:
    with pytest.raises(FunctionError, match="TypeError"):
        workers.invoke("Fn", {"unserializable": True})


@pytest.mark.parametrize("event", [{"sleep": 5}, {"exit": True}])
def test_a_worker_that_times_out_or_dies_is_replaced(workers: Workers, event: dict[str, object]) -> None:
    pid = workers.invoke("Fn", {})["pid"]
    with pytest.raises(FunctionError):
        workers.invoke("Fn", event)
    assert workers.invoke("Fn", {})["pid"] != pid


def test_an_import_error_fails_the_init(workers: Workers) -> None:
    with pytest.raises(FunctionError, match="no such thing"):
        workers.invoke("Broken", {})


def test_the_time_a_function_waited_for_the_store_lock_is_not_run_time(configure) -> None:
    asked: list[str] = []

    def lock_wait(caller_id: str) -> float:
        asked.append(caller_id)
        return 2.0 if len(asked) == 1 else 0.0  # its calls waited 2 s for the lock, then nothing more

    pool = Workers(configure, lock_wait)
    try:
        result = pool.invoke("Fn", {"sleep": 3, "key": True})  # 3 s with a 2 s timeout: 1 s of it was waiting
    finally:
        pool.stop()
    assert result["event"] == {"sleep": 3, "key": True}
    assert result["caller_id"] == asked[0]  # the worker's AWS calls carry its own id


def test_a_workers_aws_calls_name_it_whatever_credentials_sign_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fenced function signs with its tenant's credentials, not the worker's: the lock still knows the worker."""

    class Sent(Exception):
        pass

    def capture(request: AWSPreparedRequest, **_: object) -> None:
        raise Sent(request.headers["User-Agent"])

    monkeypatch.setenv(CALLER_ID_VARIABLE, "worker-0123abcd")
    session = boto3.session.Session(aws_access_key_id="ASIATENANT", aws_secret_access_key="x", region_name="eu-west-1")
    client = session.client("dynamodb", endpoint_url="http://localhost:1")
    client.meta.events.register("before-send", capture)
    with pytest.raises(Sent) as sent:
        client.get_item(TableName="t", Key={"PK": {"S": "k"}})
    user_agent = sent.value.args[0].decode() if isinstance(sent.value.args[0], bytes) else sent.value.args[0]
    assert caller_of(user_agent) == "worker-0123abcd"
    assert caller_of("Boto3/1.40 md/Botocore#1.40 app/someone-else") is None
    assert caller_of("Boto3/1.40 md/Botocore#1.40") is None
