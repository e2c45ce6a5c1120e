from collections import Counter
from datetime import UTC, datetime

import pytest

from rapport.assignment.models import AssignmentRules
from rapport.assignment.picking import Load, deadline, rep_day, rotation, team_for, turns_from, unavailable
from rapport.users.models import UserProfile

pytestmark = pytest.mark.usefixtures("no_sockets")
NOW = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)


def rules() -> AssignmentRules:
    return AssignmentRules.model_validate(
        {
            "territories": [
                {"match": {"country": "US", "industry": "Robotics"}, "team": "amer-robots"},
                {"match": {"country": "US"}, "team": "amer"},
                {"match": {"source": "Referral"}, "team": "partners"},
            ],
            "default_team": "emea",
            "teams": {"amer-robots": ["a"], "amer": ["b"], "partners": ["c"], "emea": ["d"]},
        }
    )


@pytest.mark.parametrize(
    ("lead", "team"),
    [
        ({"country": "US", "industry": "robotics"}, "amer-robots"),
        ({"country": "US", "industry": "Retail"}, "amer"),
        ({"country": "GB", "source": "referral "}, "partners"),
        ({"country": "GB"}, "emea"),
        ({}, "emea"),
    ],
)
def test_the_first_matching_territory_picks_the_team(lead, team):
    assert team_for(lead, rules()) == team


def test_rules_refuse_teams_they_do_not_list():
    with pytest.raises(ValueError, match="teams without reps: x"):
        AssignmentRules.model_validate({"default_team": "x"})


def test_equal_weights_rotate_in_order_and_capacity_weights_the_share():
    assert rotation(["a", "b", "c"], {}) == ["a", "b", "c"]
    cycle = rotation(["a", "b"], {"a": 20, "b": 10})
    assert cycle == ["a", "b", "a"]
    assert Counter(rotation(["a", "b"], {"a": 5000, "b": 1})) == {"a": 999, "b": 1}


def test_turns_go_round_from_the_cursor_each_rep_once():
    assert turns_from(4, ["a", "b", "a"]) == [(4, "b"), (5, "a")]


def profile(**fields: object) -> UserProfile:
    return UserProfile.model_validate({"name": "A", "email": "a@x.example", **fields})


def test_who_cannot_take_a_lead_now():
    away = {"from": "2026-11-23T00:00:00Z", "until": "2026-11-24T00:00:00Z"}
    assert unavailable(profile(away=away), Load(), NOW) == "away"
    assert unavailable(profile(away=away), Load(), datetime(2026, 11, 24, tzinfo=UTC)) is None  # until is exclusive
    assert unavailable(profile(max_open_leads=2), Load(open_leads=2), NOW) == "at capacity"
    assert unavailable(profile(daily_quota=1), Load(today=1), NOW) == "daily quota reached"
    assert unavailable(profile(max_open_leads=0), Load(), NOW) == "at capacity"
    assert unavailable(None, Load(), NOW) == "no profile"
    assert unavailable(profile(), Load(open_leads=500, today=500), NOW) is None


def test_the_day_is_the_reps_and_the_deadline_is_what_a_wait_takes():
    assert rep_day(NOW, "UTC") == "2026-11-23"
    assert rep_day(NOW, "Asia/Tokyo") == "2026-11-24"
    assert deadline(NOW, 45) == "2026-11-24T00:15:00Z"


def test_a_profile_that_asks_for_sms_has_a_phone_and_a_real_time_zone():
    with pytest.raises(ValueError, match="sms needs a phone"):
        profile(notify_by=["sms"])
    with pytest.raises(ValueError, match="IANA"):
        profile(time_zone="Mars/Olympus")
