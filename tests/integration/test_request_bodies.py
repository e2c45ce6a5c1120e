"""Every route that takes a JSON body answers a body it cannot take with a problem, never a 500: too large, too
deep, numbers too long, NaN. Checked on every such operation of every function, public web-to-lead included (the
consent pages' forms are tested with their pages, tests/integration/test_consent_links.py)."""

import json

import pytest

from tools.lambda_api import EVENTS, Reply, Staff, call

ADMIN = Staff().as_("admin")
OPERATIONS = sorted(
    path.stem
    for path in EVENTS.glob("*/*.json")
    if json.loads(path.read_text()).get("body") is not None
    and json.loads(path.read_text())["headers"].get("Content-Type", "application/json") == "application/json"
)
DEPTH = 100_000


def test_every_function_with_a_body_is_covered():
    areas = {path.parent.name for path in EVENTS.glob("*/*.json") if json.loads(path.read_text()).get("body")}
    assert {"public_leads", "accounts", "users", "notifications"} <= areas
    assert len(OPERATIONS) >= 20


def send(operation: str, body: str) -> Reply:
    return call(operation, ADMIN, body=body, headers={"Idempotency-Key": None})


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("[" * DEPTH + "]" * DEPTH, "too_deep"),
        ('{"a":' * DEPTH + "1" + "}" * DEPTH, "too_deep"),
        ('{"name": ' + "9" * 5000 + "}", "number_too_long"),
        ('{"amount": 0.' + "1" * 5000 + "}", "number_too_long"),
    ],
    ids=["deep-arrays", "deep-objects", "long-integer", "long-fraction"],
)
def test_pathological_json_is_a_422_naming_the_problem(operation, body, code):
    reply = send(operation, body)
    assert reply.status == 422, reply.body
    assert reply.headers["content-type"] == "application/problem+json"
    assert [error["code"] for error in reply.body["errors"]] == [code]


@pytest.mark.parametrize("operation", ["createAccount", "createPublicLead", "putUser", "updateContact"])
def test_a_body_over_a_mebibyte_is_a_413(operation):
    reply = send(operation, json.dumps({"name": "x" * 1_100_000}))
    assert reply.status == 413, reply.body
    assert reply.body["type"] == "urn:rapport:problem:too-large"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(constant):
    reply = send("createDeal", '{"name": "x", "amount": ' + constant + "}")
    assert reply.status == 422, reply.body
    assert reply.body["errors"][0]["code"] == "json_invalid"


def test_nesting_within_limits_and_brackets_in_strings_pass_the_edge():
    reply = send("createAccount", json.dumps({"name": "[[[{{{" * 1000, "tags": ["]]]}}}"]}))
    assert reply.status == 422  # the name is too long for the model, which now gets to say so
    assert [error["field"] for error in reply.body["errors"]] == ["name"]
