"""Queues and routing rules of the service settings (rapport.cases.settings), and which queue a case goes to."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from pydantic import Field, StrictInt, field_validator

from rapport.cases.models import CaseChannel, CasePriority, CaseType, Queue
from rapport.types import StrictModel, Tag, UserId

MAX_QUEUES = 100
MAX_MEMBERS = 200
MAX_RULES = 200


class Strategy(StrEnum):
    ROUND_ROBIN = "round_robin"  # turns weighted by capacity
    LEAST_OPEN = "least_open"  # the member with the fewest open cases


class QueueMember(StrictModel):
    user_id: UserId = Field(description="A staff user id (a token's subject)")
    capacity: StrictInt = Field(
        ge=1, le=1000, description="Most open cases the member holds; also their weight in the round robin"
    )


class ServiceQueue(StrictModel):
    name: Queue
    members: list[QueueMember] = Field(
        default_factory=list, max_length=MAX_MEMBERS, description="Who takes the queue's cases, in turn order"
    )
    manager_id: UserId | None = Field(default=None, description="Who answers for the queue (escalations)")
    strategy: Strategy = Strategy.ROUND_ROBIN

    @field_validator("members")
    @classmethod
    def _once_each(cls, members: list[QueueMember]) -> list[QueueMember]:
        seen: set[str] = set()
        for member in members:
            if member.user_id in seen:
                raise ValueError(f"lists {member.user_id} twice")
            seen.add(member.user_id)
        return members


class RuleMatch(StrictModel):
    """Each field given lists values, one of which the case must have; a rule with none matches every case."""

    type: list[CaseType] | None = Field(default=None, min_length=1)
    priority: list[CasePriority] | None = Field(default=None, min_length=1)
    channel: list[CaseChannel] | None = Field(default=None, min_length=1)
    account_tags: list[Tag] | None = Field(
        default=None, min_length=1, max_length=50, description="The case's account has one of them (ignoring case)"
    )


class RoutingRule(StrictModel):
    match: RuleMatch
    queue: Queue = Field(description="One of `queues`")


def queue_for(
    case: Mapping[str, Any], account_tags: Sequence[str], rules: Sequence[RoutingRule], default: str | None
) -> str | None:
    """The queue of the first rule the case matches, else `default`."""
    tags = {tag.casefold() for tag in account_tags}
    for rule in rules:
        match = rule.match
        if match.type is not None and case.get("type") not in match.type:
            continue
        if match.priority is not None and case.get("priority") not in match.priority:
            continue
        if match.channel is not None and case.get("channel") not in match.channel:
            continue
        if match.account_tags is not None and not tags & {tag.casefold() for tag in match.account_tags}:
            continue
        return rule.queue
    return default


def needs_account_tags(rules: Sequence[RoutingRule]) -> bool:
    return any(rule.match.account_tags is not None for rule in rules)
