"""Which queue a case goes to, and the least loaded first: the pure rules of routing (rapport.cases.routing and
rapport.assignment.picking)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rapport.assignment.picking import is_away, least_loaded, rotation, turns_from
from rapport.cases.routing import RoutingRule, needs_account_tags, queue_for
from rapport.users.models import UserProfile

pytestmark = pytest.mark.usefixtures("no_sockets")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
RULES = [
    RoutingRule.model_validate({"match": {"type": ["return"], "channel": ["web"]}, "queue": "web-returns"}),
    RoutingRule.model_validate({"match": {"type": ["return"]}, "queue": "returns"}),
    RoutingRule.model_validate({"match": {"account_tags": ["Gold", "vip"]}, "queue": "vip"}),
    RoutingRule.model_validate({"match": {"priority": ["high", "urgent"]}, "queue": "fast"}),
]


@pytest.mark.parametrize(
    ("case", "tags", "queue"),
    [
        ({"type": "return", "channel": "web", "priority": "urgent"}, ["vip"], "web-returns"),
        ({"type": "return", "channel": "email"}, [], "returns"),
        ({"type": "return"}, [], "returns"),  # a case without a channel matches no rule that names channels
        ({"type": "question", "priority": "low"}, ["VIP"], "vip"),
        ({"type": "question", "priority": "low"}, ["gold"], "vip"),
        ({"type": "question", "priority": "high"}, ["silver"], "fast"),
        ({"type": "question", "priority": "normal"}, [], "default"),
    ],
)
def test_the_first_rule_whose_every_field_matches_picks_the_queue_else_the_default(case, tags, queue):
    assert queue_for(case, tags, RULES, "default") == queue


def test_without_a_matching_rule_or_a_default_there_is_no_queue():
    assert queue_for({"type": "question"}, [], RULES, None) is None
    assert queue_for({"type": "question"}, [], [], None) is None


def test_account_tags_are_read_only_when_a_rule_matches_on_them():
    assert needs_account_tags(RULES)
    assert not needs_account_tags([rule for rule in RULES if rule.match.account_tags is None])


def test_the_least_loaded_come_first_equals_in_their_turn_order():
    turns = turns_from(1, rotation(["a", "b", "c"], {}))
    assert turns == [(1, "b"), (2, "c"), (3, "a")]
    assert least_loaded(turns, {"a": 0, "b": 2, "c": 0}) == [(2, "c"), (3, "a"), (1, "b")]
    assert least_loaded(turns, {}) == turns


def test_only_a_profile_with_a_window_covering_now_is_away():
    profile = {"name": "Ana", "email": "ana@service.example"}
    assert not is_away(None, NOW)
    assert not is_away(UserProfile.model_validate(profile), NOW)
    window = {"from": "2026-11-20T00:00:00Z", "until": "2026-11-23T09:00:00Z"}
    assert not is_away(UserProfile.model_validate({**profile, "away": window}), NOW)  # until is exclusive
    assert is_away(UserProfile.model_validate({**profile, "away": {**window, "until": "2026-11-24T00:00:00Z"}}), NOW)
