"""Queues and routing under moto: the service settings document."""

from __future__ import annotations

from typing import Any

import pytest

from tools.lambda_api import Staff, call

TENANT = "tenant-a"
MANAGER = Staff(TENANT, "boss", ("manager",))
AGENT = Staff(TENANT, "agent-1", ("support",))
QUEUES = [
    {"name": "returns", "members": [{"user_id": "ana", "capacity": 2}, {"user_id": "ben", "capacity": 1}]},
    {"name": "vip", "members": [{"user_id": "cy", "capacity": 5}], "manager_id": "boss"},
    {"name": "general", "members": [{"user_id": "dee", "capacity": 5}]},
]
RULES = [
    {"match": {"type": ["return"]}, "queue": "returns"},
    {"match": {"account_tags": ["VIP"]}, "queue": "vip"},
    {"match": {"priority": ["urgent"], "channel": ["phone", "sms"]}, "queue": "vip"},
]


def put_settings(staff: Staff = MANAGER, **content: Any) -> Any:
    body = {"queues": QUEUES, "routing_rules": RULES, "default_queue": "general", **content}
    current = call("getServiceSettings", staff).etag
    return call("putServiceSettings", staff, body=body, headers={"If-Match": current})


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"routing_rules": [{"match": {}, "queue": "nowhere"}]}, "routing_rules[0].queue"),
        ({"default_queue": "nowhere"}, "default_queue"),
        ({"queues": [*QUEUES, {"name": "vip"}]}, "queues[3].name"),
        ({"queues": [{"name": "x", "members": [{"user_id": "a", "capacity": 1}] * 2}]}, "queues[0].members"),
        ({"queues": [{"name": "x", "members": [{"user_id": "a", "capacity": 0}]}]}, "queues[0].members[0].capacity"),
        ({"queues": [{"name": "x y"}]}, "queues[0].name"),
        ({"routing_rules": [{"match": {"type": ["refund"]}, "queue": "vip"}]}, "routing_rules[0].match.type[0]"),
        ({"queues": [{"name": "x", "strategy": "random"}]}, "queues[0].strategy"),
    ],
)
def test_settings_naming_an_unknown_queue_a_queue_twice_or_a_member_twice_are_422_naming_the_field(change, field):
    reply = put_settings(**change)
    assert reply.status == 422, reply.body
    assert field in [error["field"] for error in reply.body["errors"]]
    assert call("getServiceSettings", AGENT).body["version"] == 0


def test_settings_are_empty_until_saved_then_read_by_everyone_and_changed_by_managers():
    assert call("getServiceSettings", AGENT).body == {
        "queues": [],
        "routing_rules": [],
        "default_queue": None,
        "version": 0,
        "updated_at": None,
        "updated_by": None,
    }
    assert put_settings(AGENT).status == 403
    saved = put_settings()
    assert saved.status == 200 and saved.etag == '"1"'
    read = call("getServiceSettings", AGENT).body
    assert read["queues"][0]["strategy"] == "round_robin" and read["queues"][1]["manager_id"] == "boss"
    assert read["default_queue"] == "general"
