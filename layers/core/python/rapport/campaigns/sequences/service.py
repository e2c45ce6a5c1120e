"""Sequences as the API serves them: their records (RecordService), activating and pausing them, enrolling contacts
(by hand here; on entering a segment, rapport.campaigns.sequences.signals), ending enrollments, and the report.

What a sequence may be is checked when it is written: its steps walk forward (rapport.campaigns.sequences.models),
each send step's content renders as a message of its channel, its topic is one of the tenant's, its segment exists.
Its fields change only while it is a draft or paused, so the steps an enrollment walks do not change under it; an
enrollment at a step removed by an edit exits when it goes on (`step_removed`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from rapport import normalize
from rapport.auth import Action, Caller
from rapport.campaigns.manifest import SEQUENCE
from rapport.campaigns.sequences import store
from rapport.campaigns.sequences.models import (
    EDITABLE,
    Enrolled,
    Enrollment,
    EnrollmentStatus,
    NotEnrolled,
    Sequence,
    SequenceCreate,
    SequenceReport,
    SequenceStatus,
    SequenceStored,
    StepReport,
)
from rapport.campaigns.sequences.runs import EnrollmentRun, StartRun
from rapport.campaigns.service import MESSAGE, OUTCOMES, all_at_once, check_topic, require_postal_address
from rapport.contacts.manifest import CONTACT
from rapport.dal import access, repository
from rapport.dal.repository import Guard, IndexKeys, Record
from rapport.errors import Conflict, FieldError, InvalidInput, NotFound
from rapport.notifications.catalog import Channel as MessageChannel
from rapport.notifications.models import TemplateContent
from rapport.notifications.templates import check
from rapport.pagination import Page
from rapport.records import RecordService
from rapport.segments.manifest import SEGMENT
from rapport.types import utc_now

FIELDS = frozenset(SequenceCreate.model_fields)
ENROLLABLE = frozenset({SequenceStatus.ACTIVE, SequenceStatus.PAUSED})
SEGMENT_ACTOR = "segment:"
SEND_COUNTS = ("sent", "skipped", "failed", *OUTCOMES)


class SequenceService(RecordService[SequenceCreate, Sequence]):
    kind = SEQUENCE
    resource = "sequences"
    label = "sequence"
    create_model = SequenceStored
    out_model = Sequence

    def guards(self, data: Mapping[str, Any]) -> dict[Guard, str]:
        return {}

    def index_keys(self, tenant_id: str, record_id: str, data: Mapping[str, Any], *, deleted: bool) -> IndexKeys:
        enrolling = data.get("status") == SequenceStatus.ACTIVE
        name_key = normalize.name_key(data["name"])
        return store.index_keys(
            tenant_id, record_id, name_key, data.get("segment"), enrolling=enrolling, deleted=deleted
        )

    def derive(self, tenant_id: str, data: dict[str, Any], before: Record | None) -> dict[str, Any]:
        """A sequence's fields change only while it is editable; what changed is checked, every fault at once."""
        previous = self._validated(before.data) if before is not None else {}
        changed = {name for name in FIELDS if data.get(name) != previous.get(name)}
        if before is not None and changed and SequenceStatus(previous["status"]) not in EDITABLE:
            raise Conflict(f"The sequence is {previous['status']}: pause it to edit it.")
        checks: list[Callable[[], object]] = []
        if "steps" in changed:
            checks += [
                _content_check(index, step) for index, step in enumerate(data["steps"]) if step["type"] == "send"
            ]
        if "topic" in changed:
            checks.append(lambda: check_topic(tenant_id, data["topic"]))
        if "segment" in changed and data.get("segment"):
            checks.append(lambda: _check_segment(tenant_id, data["segment"]))
        all_at_once(checks)
        return data

    def erase(self, caller: Caller, record_id: str, expected_version: int | None) -> None:
        """For good: the sequence, then its enrollments, sends and counts (its runs end at their next step)."""
        super().erase(caller, record_id, expected_version)
        repository.delete_items(store.sequence_items(caller.tenant_id, record_id))

    def search(self, caller: Caller, *, deleted: bool, limit: int, cursor: str | None) -> Page[Sequence]:
        """The sequences by name, or the trash: ONE Query."""
        found = access.listed(caller.tenant_id, SEQUENCE, deleted=deleted)
        return self.list(caller, found, limit=limit, cursor=cursor, bound_to={"deleted": deleted})

    def activate(self, caller: Caller, sequence_id: str, expected_version: int | None) -> Sequence:
        """A draft or a paused sequence enrolls (by hand, and from its segment) and its enrollments go on."""
        caller.require(self.resource, Action.UPDATE)
        record = self._load(caller, sequence_id, expected_version)
        if any(step["channel"] == MessageChannel.EMAIL for step in _sends(record.data)):
            require_postal_address(caller.tenant_id)
        changes = {"status": SequenceStatus.ACTIVE.value, "activated_at": utc_now(), "paused_at": None}
        return self.move_status(caller, record, EDITABLE, changes)

    def pause(self, caller: Caller, sequence_id: str, expected_version: int | None) -> Sequence:
        """Its enrollments stop where they are (each at its next step) until it is active again; it is editable."""
        caller.require(self.resource, Action.UPDATE)
        record = self._load(caller, sequence_id, expected_version)
        changes = {"status": SequenceStatus.PAUSED.value, "paused_at": utc_now()}
        return self.move_status(caller, record, frozenset({SequenceStatus.ACTIVE}), changes)

    def enroll(self, caller: Caller, sequence_id: str, contact_ids: list[str], start: StartRun) -> Enrolled:
        """Enroll the contacts (each goes through a sequence once); an active or paused sequence only."""
        caller.require(self.resource, Action.UPDATE)
        record = self._load(caller, sequence_id)
        _require_enrollable(record)
        contacts = repository.get_many(caller.tenant_id, CONTACT, contact_ids)
        answer = Enrolled(enrolled=[], already=[], refused=[])
        for contact_id in contact_ids:
            contact = contacts.get(contact_id)
            if contact is None or contact.deleted:
                answer.refused.append(NotEnrolled(contact_id=contact_id, reason="no live contact has this id"))
            elif _enroll(record, contact, caller.user_id, start):
                answer.enrolled.append(contact_id)
            else:
                answer.already.append(contact_id)
        return answer

    def enroll_from_segment(self, tenant_id: str, segment_id: str, contact_id: str, start: StartRun) -> list[str]:
        """The contact entered the segment: enrolled in each active sequence enrolling from it (the ids)."""
        sequences = list(repository.records(store.enrolling_from(tenant_id, segment_id)))
        contact = repository.get(tenant_id, CONTACT, contact_id) if sequences else None
        if contact is None or contact.deleted:
            return []
        actor = f"{SEGMENT_ACTOR}{segment_id}"
        return [record.id for record in sequences if _enroll(record, contact, actor, start)]

    def enrollments(self, caller: Caller, sequence_id: str, *, limit: int, cursor: str | None) -> Page[Enrollment]:
        """A page of its enrollments by contact id: ONE Query (the first with the sequence, or 404)."""
        pattern = store.enrollments(caller.tenant_id, sequence_id)
        found, next_cursor = self.child_summaries(
            caller, sequence_id, pattern, store.ENROLLMENT_KIND, limit=limit, cursor=cursor
        )
        items = [Enrollment.model_validate({**summary.data, "contact_id": summary.ref_id}) for summary in found]
        return Page(items=items, next_cursor=next_cursor)

    def end_enrollment(self, caller: Caller, sequence_id: str, contact_id: str) -> Enrollment:
        """End the contact's enrollment now (`exited`, by the caller): 404 if not enrolled, 409 if it ended."""
        caller.require(self.resource, Action.UPDATE)
        self._load(caller, sequence_id)
        if store.enrollment_of(caller.tenant_id, sequence_id, contact_id) is None:
            raise NotFound(f"Contact {contact_id} is not enrolled in sequence {sequence_id}.")
        if not end(caller.tenant_id, sequence_id, contact_id, None, f"ended by {caller.user_id}"):
            raise Conflict(f"The enrollment of contact {contact_id} has ended already.")
        ended = store.enrollment_of(caller.tenant_id, sequence_id, contact_id)
        return Enrollment.model_validate({**(ended or {}), "contact_id": contact_id})

    def report(self, caller: Caller, sequence_id: str) -> SequenceReport:
        """Its enrollments by state, and each step's sends and outcomes (or a branch's ways): ONE Query."""
        caller.require(self.resource, Action.READ)
        read = store.read_sequence(caller.tenant_id, sequence_id)
        if read.record is None:
            raise NotFound(f"No sequence has the id {sequence_id}.")
        counts = {name: int(value) for name, value in read.counts.items()}
        exited = {name.removeprefix("exited@"): n for name, n in counts.items() if name.startswith("exited@")}
        enrolled, completed = counts.get("enrolled", 0), counts.get("completed", 0)
        steps = [_step_report(step, counts) for step in read.record.data["steps"]]
        return SequenceReport(
            sequence_id=sequence_id,
            status=read.record.data["status"],
            enrolled=enrolled,
            active=enrolled - completed - sum(exited.values()),
            completed=completed,
            exited=exited,
            steps=steps,
        )


def end(
    tenant_id: str, sequence_id: str, contact_id: str, step: str | None, reason: str | None, counts: Iterable[str] = ()
) -> bool:
    """End the enrollment (at `step`, or wherever it is when None): completed without a `reason`, else exited with
    it; counted once, with `counts`. False when it was not active (there)."""
    now, reason = utc_now(), str(reason) if reason else None
    status = EnrollmentStatus.EXITED if reason else EnrollmentStatus.COMPLETED
    changes = {"status": status.value, "step": None, "waiting_until": None, "ended_at": now, "reason": reason}
    count = f"exited@{_reason_key(reason)}" if reason else "completed"
    return store.move(tenant_id, sequence_id, contact_id, step, changes, [*counts, count])


def _reason_key(reason: str) -> str:
    """A reason's counter name: `ended by <user>` counts as `ended_by_hand`."""
    return "ended_by_hand" if reason.startswith("ended by ") else reason


def _enroll(sequence: Record, contact: Record, actor: str, start: StartRun) -> bool:
    """Enroll the contact at the first step and start its run: False when it was enrolled before (its run started
    again if still active: a retried enrollment that had not started it)."""
    data = {
        "status": EnrollmentStatus.ACTIVE.value,
        "step": sequence.data["steps"][0]["key"],
        "enrolled_at": utc_now(),
        "enrolled_by": actor,
    }
    enrolled = store.enroll(sequence.tenant_id, sequence.id, contact, data)
    if not enrolled:
        existing = store.enrollment_of(sequence.tenant_id, sequence.id, contact.id)
        if existing is None or existing.get("status") != EnrollmentStatus.ACTIVE:
            return False
    start(EnrollmentRun(sequence.tenant_id, sequence.id, contact.id))
    return enrolled


def _require_enrollable(record: Record) -> None:
    if record.deleted:
        raise Conflict("The sequence is deleted; restore it first.")
    if SequenceStatus(record.data["status"]) not in ENROLLABLE:
        raise Conflict(f"The sequence is {record.data['status']}: activate it before enrolling contacts.")


def _sends(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [step for step in data["steps"] if step["type"] == "send"]


def _content_check(index: int, step: Mapping[str, Any]) -> Callable[[], object]:
    content = TemplateContent.model_validate(step["content"])
    return lambda: check(MESSAGE, MessageChannel(step["channel"]), content, location=f"steps[{index}].content")


def _check_segment(tenant_id: str, segment_id: str) -> None:
    segment = repository.get(tenant_id, SEGMENT, segment_id)
    if segment is None or segment.deleted:
        raise InvalidInput(
            "The segment does not exist.",
            [FieldError("segment", f"No live segment has the id {segment_id}.", "unknown_reference")],
        )


def _step_report(step: Mapping[str, Any], counts: Mapping[str, int]) -> StepReport:
    names = SEND_COUNTS if step["type"] == "send" else ("taken", "not_taken") if step["type"] == "branch" else ()
    return StepReport.model_validate(
        {"key": step["key"], "type": step["type"], **{name: counts.get(f"{step['key']}#{name}", 0) for name in names}}
    )


sequences = SequenceService()
