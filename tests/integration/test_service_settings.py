"""The service settings' calendars and SLA policies: what a save refuses, field by field (the settings rule
itself is tests/integration/test_settings_documents.py's)."""

from typing import Any

import pytest

from tools.lambda_api import Staff, call

ADMIN = Staff(user="boss", groups=("admin",))
SUPPORT = Staff(user="agent-1", groups=("support",))
PARIS = {"name": "paris", "time_zone": "Europe/Paris"}
POLICY = {"name": "standard", "calendar": "paris", "targets": {"normal": {"first_response": 60}}}


def save(content: dict[str, Any], staff: Staff = ADMIN) -> Any:
    return call("putServiceSettings", staff, body=content, headers={"If-Match": '"0"'})


def fields_at_fault(reply: Any) -> list[str]:
    assert reply.status == 422, reply.body
    assert reply.headers["content-type"] == "application/problem+json"
    return [error["field"] for error in reply.body["errors"]]


def test_before_the_first_save_a_weekday_nine_to_five_calendar_and_no_policy_apply() -> None:
    reply = call("getServiceSettings", SUPPORT)
    assert reply.status == 200, reply.body
    (calendar,) = reply.body["calendars"]
    assert (calendar["name"], calendar["time_zone"], calendar["holidays"]) == ("business_hours", "UTC", [])
    assert calendar["hours"]["monday"] == [{"start": "09:00", "end": "17:00"}]
    assert "saturday" not in calendar["hours"]
    assert reply.body["sla_policies"] == []


def test_split_shifts_holidays_and_policies_are_saved_and_read_back() -> None:
    calendar = {
        **PARIS,
        "hours": {"monday": [{"start": "13:30", "end": "24:00"}, {"start": "08:00", "end": "12:00"}]},
        "holidays": ["2026-12-25", "2026-11-11"],
    }
    policy = {
        **POLICY,
        "conditions": {"types": ["complaint"], "priorities": ["high", "urgent"], "account_tags": ["vip"]},
        "warn_before_minutes": 15,
        "escalation": {"notify_queue_manager": False, "raise_priority_to": "urgent", "move_to_queue": "tier2"},
    }
    tier2 = {"name": "tier2", "members": [{"user_id": "agent-9", "capacity": 5}]}
    saved = save({"queues": [tier2], "calendars": [calendar], "sla_policies": [policy]})
    assert saved.status == 200, saved.body
    read = call("getServiceSettings", SUPPORT).body
    assert read["calendars"][0]["holidays"] == ["2026-11-11", "2026-12-25"]
    assert read["calendars"][0]["hours"]["monday"][1] == {"start": "13:30", "end": "24:00"}
    assert read["sla_policies"][0]["escalation"] == {
        "notify_owner": True,
        "notify_queue_manager": False,
        "raise_priority_to": "urgent",
        "move_to_queue": "tier2",
    }


def test_an_escalation_into_a_queue_that_does_not_exist_is_refused_naming_it() -> None:
    policy = {**POLICY, "escalation": {"move_to_queue": "tier2"}}
    refused = save({"calendars": [PARIS], "sla_policies": [policy]})
    assert refused.status == 422
    assert [error["field"] for error in refused.body["errors"]] == ["sla_policies[0].escalation.move_to_queue"]


@pytest.mark.parametrize(
    ("calendar", "field"),
    [
        ({**PARIS, "time_zone": "Mars/Olympus"}, "calendars[0].time_zone"),
        ({**PARIS, "time_zone": "America"}, "calendars[0].time_zone"),  # a folder of zones, not a zone
        ({**PARIS, "time_zone": "../../etc/passwd"}, "calendars[0].time_zone"),
        (
            {**PARIS, "hours": {"monday": [{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "17:00"}]}},
            "calendars[0].hours",
        ),
        ({**PARIS, "hours": {"monday": [{"start": "17:00", "end": "09:00"}]}}, "calendars[0].hours.monday[0]"),
        ({**PARIS, "hours": {"monday": [{"start": "24:00", "end": "24:00"}]}}, "calendars[0].hours.monday[0].start"),
        ({**PARIS, "hours": {"funday": [{"start": "09:00", "end": "17:00"}]}}, "calendars[0].hours.funday.[key]"),
        ({**PARIS, "hours": {}}, "calendars[0].hours"),
        ({**PARIS, "holidays": ["2026-12-25", "2026-12-25"]}, "calendars[0].holidays"),
        ({**PARIS, "holidays": ["Christmas"]}, "calendars[0].holidays[0]"),
    ],
)
def test_a_calendar_that_cannot_be_kept_is_refused_naming_the_field(calendar: dict[str, Any], field: str) -> None:
    reply = save({"calendars": [calendar]})
    assert field in fields_at_fault(reply)
    assert call("getServiceSettings", ADMIN).body["version"] == 0


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ({"calendars": [PARIS], "sla_policies": [{**POLICY, "calendar": "london"}]}, "sla_policies[0].calendar"),
        ({"calendars": [], "sla_policies": [POLICY]}, "sla_policies[0].calendar"),
        ({"calendars": [PARIS, PARIS]}, "calendars[1].name"),
        ({"calendars": [PARIS], "sla_policies": [POLICY, POLICY]}, "sla_policies[1].name"),
        (
            {"calendars": [PARIS], "sla_policies": [{**POLICY, "targets": {"normal": {"first_response": 0}}}]},
            "sla_policies[0].targets.normal.first_response",
        ),
        (
            {"calendars": [PARIS], "sla_policies": [{**POLICY, "targets": {"whenever": {}}}]},
            "sla_policies[0].targets.whenever.[key]",
        ),
        (
            {"calendars": [PARIS], "sla_policies": [{**POLICY, "conditions": {"channels": ["pigeon"]}}]},
            "sla_policies[0].conditions.channels[0]",
        ),
        (
            {"calendars": [PARIS], "sla_policies": [{**POLICY, "escalation": {"raise_priority_to": "asap"}}]},
            "sla_policies[0].escalation.raise_priority_to",
        ),
    ],
)
def test_a_policy_that_cannot_apply_is_refused_naming_the_field(content: dict[str, Any], field: str) -> None:
    assert field in fields_at_fault(save(content))


def test_a_target_longer_than_a_year_of_its_calendar_s_hours_is_refused() -> None:
    mondays = {**PARIS, "hours": {"monday": [{"start": "09:00", "end": "10:00"}]}}
    year = 52 * 60
    fits = {**POLICY, "targets": {"normal": {"resolution": year}}}
    assert save({"calendars": [mondays], "sla_policies": [fits]}).status == 200
    too_long = {**POLICY, "targets": {"normal": {"first_response": 60, "resolution": year + 1}}}
    reply = call(
        "putServiceSettings",
        ADMIN,
        body={"calendars": [mondays], "sla_policies": [too_long]},
        headers={"If-Match": '"1"'},
    )
    assert fields_at_fault(reply) == ["sla_policies[0].targets.normal.resolution"]


def test_only_admins_and_managers_change_the_service_settings() -> None:
    assert save({"calendars": [PARIS]}, SUPPORT).status == 403
    assert save({"calendars": [PARIS]}, ADMIN.as_("manager")).status == 200
