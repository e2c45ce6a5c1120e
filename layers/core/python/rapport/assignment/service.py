"""Lead assignment: pick the owner by the tenant's rules and commit it in ONE transaction; check first contact;
reassign when the SLA passes; ask for the notifications.

The assignment transaction (`_try`) writes, all or nothing:
- the lead with `owner_id` over the version read (read unowned, so a concurrent run that set an owner first
  makes the write fail: two runs cannot both assign);
- the rep's open-lead counter `ADD 1` under the condition `< max_open_leads`, and their day's counter `ADD 1`
  under `< daily_quota` (a rep filled up meanwhile fails it);
- the team's round-robin turn set past the chosen slot, on the condition that it is still the turn read (two
  leads assigned at once: the second run fails here, reads again and takes the next rep);
- the first-contact task for the new owner, due at the SLA deadline (`TaskService.stage_create`);
- on reassignment, the previous owner's counter `ADD -1` and their first-contact task cancelled.
A failed condition anywhere reads everything again and retries (up to ATTEMPTS).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from rapport import normalize, timeline
from rapport.assignment import store
from rapport.assignment.models import (
    Assignment,
    Outcome,
)
from rapport.assignment.picking import (
    Load,
    deadline,
    rep_day,
    rotation,
    team_for,
    turns_from,
    unavailable,
    weight,
)
from rapport.assignment.settings import ASSIGNMENT_RULES
from rapport.auth import Action, Caller
from rapport.dal import repository
from rapport.dal.repository import Record, StaleVersion, UnitOfWork
from rapport.errors import Conflict, NotFound
from rapport.events.bus import PutEvents
from rapport.leads.manifest import LEAD
from rapport.leads.models import OPEN_STATUSES, LeadStatus
from rapport.leads.service import leads
from rapport.normalize import INSTANT_FORMAT
from rapport.notifications.requests import NotificationRequest, Recipient, RecipientType
from rapport.notifications.requests import request_notification as _request_notification
from rapport.tasks.manifest import TASK
from rapport.tasks.models import OPEN_STATUSES as OPEN_TASK_STATUSES
from rapport.tasks.models import Priority, TaskCreate, TaskStatus
from rapport.tasks.service import tasks
from rapport.timeline.models import ActivityEntry
from rapport.users.manifest import USER
from rapport.users.models import UserProfile

log = logging.getLogger(__name__)
ACTOR = "assignment"  # who the workflow's writes are by (updated_by, created_by)
ATTEMPTS = 8
INTERACTIONS_READ = 25  # the lead's record and its newest interactions, in one Query


class AssignmentContention(Exception):
    """Every attempt met a concurrent change; the state machine's retry tries again later."""


# --- rules ---------------------------------------------------------------------------------------------------


# --- assignment ----------------------------------------------------------------------------------------------


def assign(tenant_id: str, lead_id: str, *, now: datetime | None = None) -> Assignment:
    """Give an unowned, open lead an owner (a lead with an owner keeps it: ALREADY_OWNED)."""
    return _assign(tenant_id, lead_id, None, now or datetime.now(UTC))


def reassign(previous: Assignment, *, now: datetime | None = None) -> Assignment:
    """Move the lead from `previous.owner_id`, who missed the SLA, to the team's next available rep."""
    return _assign(previous.tenant_id, previous.lead_id, previous, now or datetime.now(UTC))


def _assign(tenant_id: str, lead_id: str, previous: Assignment | None, now: datetime) -> Assignment:
    for _ in range(ATTEMPTS):
        outcome = _try(tenant_id, lead_id, previous, now)
        if outcome is not None:
            return outcome
    raise AssignmentContention(f"lead {lead_id}: every attempt met a concurrent assignment")


def _try(tenant_id: str, lead_id: str, previous: Assignment | None, now: datetime) -> Assignment | None:
    """One attempt: the outcome, or None when a concurrent write got in first (read again and retry)."""
    base = Assignment(status=Outcome.CLOSED, tenant_id=tenant_id, lead_id=lead_id)
    lead = repository.get(tenant_id, LEAD, lead_id)
    if lead is None or lead.deleted or lead.data.get("status") not in OPEN_STATUSES:
        return base
    owner = lead.data.get("owner_id")
    if previous is None and owner:
        return base.model_copy(update={"status": Outcome.ALREADY_OWNED, "owner_id": owner})
    if previous is not None and owner != previous.owner_id:  # someone reassigned it meanwhile: theirs now
        return base.model_copy(update={"status": Outcome.ALREADY_OWNED, "owner_id": owner})
    rules = ASSIGNMENT_RULES.read(tenant_id).content
    if previous is not None and previous.reassignments >= rules.max_reassignments:
        return previous.model_copy(update={"status": Outcome.CAP_REACHED})
    team = team_for(lead.data, rules)
    if team is None or not rules.teams.get(team):
        return base.model_copy(update={"status": Outcome.NO_TEAM})
    reps = rules.teams[team]
    profiles, loads = _read_reps(tenant_id, reps, now)
    cursor = store.turn(tenant_id, team)
    cycle = rotation(reps, {rep: weight(profiles.get(rep)) for rep in reps})
    excluded = {previous.owner_id} if previous else set()
    for turn, rep in turns_from(cursor or 0, cycle):
        why = "missed the SLA" if rep in excluded else unavailable(profiles.get(rep), loads[rep], now)
        if why:
            log.info("lead %s: skipping %s (%s)", lead_id, rep, why)
            continue
        profile = profiles[rep]
        due_at = deadline(now, rules.response_sla_minutes)
        work = UnitOfWork()
        leads.stage_update(work, _system(tenant_id), lead, {"owner_id": rep})
        day = rep_day(now, profile.time_zone)
        caps = {"max_open_leads": profile.max_open_leads, "daily_quota": profile.daily_quota}
        store.stage_assigned(work, tenant_id, rep, day, **caps)
        store.stage_turn(work, tenant_id, team, cursor, turn + 1)
        task = _stage_first_contact(work, tenant_id, lead, rep, due_at)
        if previous is not None and previous.owner_id:
            _release(work, tenant_id, previous)
        try:
            work.commit()
        except StaleVersion:
            return None
        return Assignment(
            status=Outcome.ASSIGNED,
            tenant_id=tenant_id,
            lead_id=lead_id,
            owner_id=rep,
            previous_owner_id=previous.owner_id if previous else None,
            team=team,
            task_id=task.id,
            assigned_at=now.strftime(INSTANT_FORMAT),
            due_at=due_at,
            reassignments=previous.reassignments + 1 if previous else 0,
        )
    return base.model_copy(update={"status": Outcome.NO_REP, "team": team, "owner_id": owner})


def _system(tenant_id: str) -> Caller:
    return Caller(tenant_id=tenant_id, user_id=ACTOR, roles=frozenset())


def _read_reps(tenant_id: str, reps: list[str], now: datetime) -> tuple[dict[str, UserProfile], dict[str, Load]]:
    """Profiles and open-lead counters in one BatchGetItem, then each rep's day counter in another."""
    read = store.profiles(tenant_id, reps)
    profiles = {rep: UserProfile.model_validate(profile) for rep, (profile, _) in read.items() if profile is not None}
    today = store.assigned_on(tenant_id, {rep: rep_day(now, profile.time_zone) for rep, profile in profiles.items()})
    loads = {rep: Load(open_leads=read[rep][1], today=today.get(rep, 0)) for rep in reps}
    return profiles, loads


def _stage_first_contact(work: UnitOfWork, tenant_id: str, lead: Record, rep: str, due_at: str) -> Record:
    who = " ".join(part for part in (lead.data.get("first_name"), lead.data.get("last_name")) if part)
    name = who or lead.data.get("email") or lead.id
    company = lead.data.get("company")
    task = TaskCreate(
        title=f"First contact: {name}" + (f" ({company})" if company else ""),
        description="Assigned to you by the lead assignment rules: contact the lead before the task is due, or it "
        "moves to the next rep.",
        assignee_id=rep,
        due_at=due_at,  # validated into an Instant
        priority=Priority.HIGH,
        lead_id=lead.id,
    )
    return tasks.stage_create(work, tenant_id, ACTOR, task)


def _release(work: UnitOfWork, tenant_id: str, previous: Assignment) -> None:
    """The previous owner's open-lead counter down by one; their first-contact task cancelled if still open."""
    assert previous.owner_id is not None
    if store.open_leads(tenant_id, previous.owner_id) > 0:
        store.stage_released(work, tenant_id, previous.owner_id)
    task = repository.get(tenant_id, TASK, previous.task_id) if previous.task_id else None
    if task is not None and not task.deleted and task.data.get("status") in OPEN_TASK_STATUSES:
        tasks.stage_update(work, _system(tenant_id), task, {"status": TaskStatus.CANCELLED.value})


# --- first contact -------------------------------------------------------------------------------------------


def contacted(assignment: Assignment) -> tuple[bool, str]:
    """Whether the owner dealt with the lead since it was assigned, and how: ONE Query on the lead's partition
    (its record and newest interactions). Anything that settles it counts: an activity on the lead since the
    assignment, a status beyond new, another owner, a closed or trashed lead."""
    read = timeline.store.timeline(assignment.tenant_id, LEAD, assignment.lead_id, timeline.ITEM_KINDS)
    page = repository.read_partition(read, limit=INTERACTIONS_READ)
    lead = page.record
    if lead is None or lead.deleted:
        return True, "the lead is gone"
    if lead.data.get("status") != LeadStatus.NEW:
        return True, f"the lead is {lead.data.get('status')}"
    if lead.data.get("owner_id") != assignment.owner_id:
        return True, "the lead has another owner"
    since = assignment.assigned_at or ""
    for entry in (timeline.read_entry(summary) for summary in page.summaries if timeline.is_entry(summary)):
        if isinstance(entry, ActivityEntry) and normalize.instant(entry.occurred_at) >= since:
            return True, f"activity {entry.id}"
    return False, "no activity since the assignment"


# --- notifications -------------------------------------------------------------------------------------------


def notify(assignment: Assignment, put_events: PutEvents | None = None) -> list[NotificationRequest]:
    """Ask the notifier to tell the new owner (and, on reassignment, the previous owner and their manager)."""
    if assignment.status != Outcome.ASSIGNED or not assignment.owner_id:
        return []
    lead = repository.get(assignment.tenant_id, LEAD, assignment.lead_id)
    context = notification_context(
        assignment,
        lead.data if lead else {},
        owner_name=_user_name(assignment.tenant_id, assignment.owner_id),
        previous_owner_name=_user_name(assignment.tenant_id, assignment.previous_owner_id),
    )
    wanted: list[tuple[str, str]] = []
    if assignment.previous_owner_id is None:
        wanted.append(("lead_assigned", assignment.owner_id))
    else:
        wanted.append(("lead_reassigned", assignment.owner_id))
        wanted.append(("lead_sla_missed", assignment.previous_owner_id))
        manager = _manager_of(assignment.tenant_id, assignment.previous_owner_id)
        if manager and manager not in (assignment.owner_id, assignment.previous_owner_id):
            wanted.append(("lead_sla_missed", manager))
    requests = [
        NotificationRequest(
            tenant_id=assignment.tenant_id,
            recipient=Recipient(type=RecipientType.USER, id=user_id),
            template=template,
            context={**context, "recipient_role": _role(assignment, user_id)},
            dedupe_key=f"assignment:{assignment.lead_id}:{assignment.assigned_at}:{template}:{user_id}",
        )
        for template, user_id in wanted
    ]
    for request in requests:
        if put_events is None:
            _request_notification(request)
        else:
            _request_notification(request, put_events)
    return requests


def notification_context(
    assignment: Assignment, lead: dict[str, Any], *, owner_name: str, previous_owner_name: str
) -> dict[str, Any]:
    """What the lead_assigned, lead_reassigned and lead_sla_missed templates use (rapport.notifications.catalog)."""
    return {
        "lead": {
            "id": assignment.lead_id,
            "name": _lead_name(lead),
            **{field: lead.get(field) or "" for field in ("company", "email", "phone", "source")},
            "score": lead.get("score", 0),
        },
        "assigned_by": {"name": "the assignment rules"},
        "owner": {"name": owner_name},
        "previous_owner": {"name": previous_owner_name},
        "sla": {"due_at": assignment.due_at or ""},
        "reason": "not contacted within the response SLA",
        "link": f"/leads/{assignment.lead_id}",
        "team": assignment.team,
        "task_id": assignment.task_id,
    }


def _user_name(tenant_id: str, user_id: str | None) -> str:
    if not user_id:
        return ""
    record = repository.get(tenant_id, USER, user_id)
    return str(record.data.get("name") or user_id) if record else user_id


def _role(assignment: Assignment, user_id: str) -> str:
    if user_id == assignment.owner_id:
        return "owner"
    if user_id == assignment.previous_owner_id:
        return "previous_owner"
    return "manager"


def _manager_of(tenant_id: str, user_id: str) -> str | None:
    record = repository.get(tenant_id, USER, user_id)
    manager = record.data.get("manager_id") if record else None
    return str(manager) if manager else None


def _lead_name(data: dict[str, Any]) -> str:
    who = " ".join(part for part in (data.get("first_name"), data.get("last_name")) if part)
    return who or str(data.get("email") or "")


# --- explicit requests ---------------------------------------------------------------------------------------


def check_assignable(caller: Caller, lead_id: str) -> Record:
    """`POST /leads/{id}/assign`: a caller who may update leads, an open, live lead of theirs."""
    caller.require("leads", Action.UPDATE)
    lead = repository.get(caller.tenant_id, LEAD, lead_id)
    if lead is None:
        raise NotFound(f"No lead has the id {lead_id}.")
    if lead.deleted or lead.data.get("status") not in OPEN_STATUSES:
        raise Conflict("Only an open, live lead is assigned.")
    if lead.data.get("owner_id"):
        raise Conflict(f"The lead is owned by {lead.data['owner_id']}; clear owner_id to have it assigned anew.")
    return lead
