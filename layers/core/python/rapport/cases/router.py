"""Routing a new case without an owner (on `case.created`, by the case events worker): the queue of the first routing
rule it matches (unless it names one), else the default queue; then an owner within the queue, by the assignment
engine (rapport.assignment.picking): turns weighted by capacity, or the fewest open cases first, skipping members
who are away or hold `capacity` open cases.

Once per case, in ONE transaction: the case's queue, owner and `routed_at` (over the version read, so a case given
an owner meanwhile fails the write and is read again and left alone), and the queue's round-robin turn (only if
still the turn read: two cases routed at once take two turns). A redelivered `case.created` finds `routed_at` and
changes nothing. The write goes through the cases' service, so it is `case.updated` like any other.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

from rapport import normalize
from rapport.accounts.manifest import ACCOUNT
from rapport.assignment import store as assignment_store
from rapport.assignment.picking import is_away, least_loaded, rotation, turns_from
from rapport.auth import Caller
from rapport.cases.manifest import CASE
from rapport.cases.models import DONE_STATUSES
from rapport.cases.routing import RoutingRule, ServiceQueue, Strategy, needs_account_tags, queue_for
from rapport.cases.service import cases
from rapport.cases.settings import SERVICE_SETTINGS
from rapport.dal import repository
from rapport.dal.repository import Record, StaleVersion, UnitOfWork
from rapport.users.models import UserProfile

log = logging.getLogger(__name__)
ACTOR = "routing"  # who the routing's writes are by (updated_by)
ATTEMPTS = 8


class RoutingContention(Exception):
    """Every attempt met a concurrent change; the bus's retry tries again later."""


class Outcome(StrEnum):
    ROUTED = "routed"  # a queue and an owner in it
    QUEUED = "queued"  # a queue, but no member of it could take the case
    NO_QUEUE = "no_queue"  # no rule matched and there is no default queue: left as it is
    LEFT_ALONE = "left_alone"  # gone, done, owned or routed already


class Routed(NamedTuple):
    outcome: Outcome
    queue: str | None = None
    owner_id: str | None = None


def route(tenant_id: str, case_id: str, now: datetime) -> Routed:
    for _ in range(ATTEMPTS):
        routed = _try(tenant_id, case_id, now)
        if routed is not None:
            return routed
    raise RoutingContention(f"case {case_id}: every attempt met a concurrent change")


def _try(tenant_id: str, case_id: str, now: datetime) -> Routed | None:
    """One attempt: the outcome, or None when a concurrent write got in first (read again and retry)."""
    case = repository.get(tenant_id, CASE, case_id)
    if case is None or not _routable(case):
        return Routed(Outcome.LEFT_ALONE)
    settings = SERVICE_SETTINGS.read(tenant_id).content
    rules = settings.routing_rules
    queue_name = case.data.get("queue") or queue_for(
        case.data, _account_tags(tenant_id, case, rules), rules, settings.default_queue
    )
    if queue_name is None:
        return Routed(Outcome.NO_QUEUE)
    work = UnitOfWork()
    changes: dict[str, Any] = {"queue": queue_name, "routed_at": normalize.instant(now)}
    queue = next((queue for queue in settings.queues if queue.name == queue_name), None)
    owner = _stage_owner(work, tenant_id, queue, now) if queue is not None else None
    if owner is not None:
        changes["owner_id"] = owner
    cases.stage_update(work, Caller(tenant_id=tenant_id, user_id=ACTOR, roles=frozenset()), case, changes)
    try:
        work.commit()
    except StaleVersion:
        return None
    return Routed(Outcome.ROUTED if owner else Outcome.QUEUED, queue_name, owner)


def _routable(case: Record) -> bool:
    """A live, open case nobody owns, not routed before."""
    data = case.data
    return not (case.deleted or data["status"] in DONE_STATUSES or data.get("owner_id") or data.get("routed_at"))


def _account_tags(tenant_id: str, case: Record, rules: Sequence[RoutingRule]) -> list[str]:
    """The case's account's tags, read only when a rule matches on them."""
    account_id = case.data.get("account_id")
    if not account_id or not needs_account_tags(rules):
        return []
    account = repository.get(tenant_id, ACCOUNT, account_id)
    return list(account.data.get("tags", [])) if account is not None and not account.deleted else []


def _stage_owner(work: UnitOfWork, tenant_id: str, queue: ServiceQueue, now: datetime) -> str | None:
    """The member who takes the case, with the queue's turn moved past them in `work`; None when nobody can."""
    members = [member.user_id for member in queue.members]
    capacity = {member.user_id: member.capacity for member in queue.members}
    read = assignment_store.profiles(tenant_id, members, assignment_store.CASE_LOAD_SK)
    profiles = {member: UserProfile.model_validate(profile) for member, (profile, _) in read.items() if profile}
    loads = {member: load for member, (_, load) in read.items()}
    pool = assignment_store.queue_pool(queue.name)
    cursor = assignment_store.turn(tenant_id, pool)
    turns = turns_from(cursor or 0, rotation(members, capacity))
    if queue.strategy is Strategy.LEAST_OPEN:
        turns = least_loaded(turns, loads)
    for turn, member in turns:
        if is_away(profiles.get(member), now) or loads[member] >= capacity[member]:
            log.info("queue %s: skipping %s (away or at capacity)", queue.name, member)
            continue
        assignment_store.stage_turn(work, tenant_id, pool, cursor, turn + 1)
        return member
    return None
