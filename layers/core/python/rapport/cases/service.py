"""Cases: records `T#<t>#CASE#<id>` numbered `CS-<n>` per tenant, listed by queue, owner, contact and account
(its store), their conversation in their own partition, an open case's summary in its contact's partition (the
360 view) and its opening and status changes in the timelines of the case, its contact and its account.

Every case write is one transaction: the case, its search entries, its summary and its timeline entries, and
when it moves to another contact, is trashed, restored or erased, its linked articles' entries in its contacts'
partitions (rapport.kb.linking.stage_reach). A message is one more item in that transaction, with the case's own
change (its count, its first response).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from ulid import ULID

from rapport import normalize, pagination, timeline
from rapport.accounts.manifest import ACCOUNT
from rapport.api.filters import Combinations
from rapport.assignment import store as assignment_store
from rapport.auth import Action, Caller
from rapport.cases import attachments, sla, store
from rapport.cases.manifest import CASE
from rapport.cases.models import (
    DONE_STATUSES,
    Author,
    Case,
    CaseCreate,
    CaseMessage,
    CaseMessageCreate,
    CaseStatus,
    CaseStored,
    MessageAttachment,
    Visibility,
)
from rapport.cases.notices import CASE_REPLY
from rapport.cases.settings import SERVICE_SETTINGS
from rapport.cases.timeline import CaseEntry
from rapport.contacts.manifest import CONTACT
from rapport.dal import repository
from rapport.dal.repository import Guard, IndexKeys, Parent, Record, Summary, TableItem, UnitOfWork
from rapport.deals.manifest import DEAL
from rapport.errors import Busy, InvalidInput, NotFound, PreconditionFailed
from rapport.events.models import DomainEvent
from rapport.kb import linking
from rapport.notifications.requests import NotificationRequest, Recipient, RecipientType
from rapport.pagination import Page
from rapport.records import RecordService, new_id, normalized_filter
from rapport.users import teams

ME = "me"
REOPENED_BY_AN_ANSWER = frozenset({CaseStatus.PENDING, CaseStatus.RESOLVED})
# Of a message: what its item's keys say, and the attachments' download URLs, made at each read.
NOT_STORED: dict[str, Any] = {"id": True, "case_id": True, "attachments": {"__all__": {"url"}}}
SUMMARY_FIELDS = ("number", "subject", "status", "priority", "type", "owner_id", "queue")

# The filter combinations of GET /cases, each one Query (see `CaseService.search`).
FILTERS = Combinations(
    "Cases",
    (
        (),
        ("number",),
        ("queue", "status"),
        ("owner_id",),
        ("owner_id", "status"),
        ("contact_id",),
        ("account_id",),
        ("breach_before",),
    ),
)

Clock = Callable[[], datetime]
# More for a message's transaction: a received email's receipt (rapport.cases.mailbox).
Staging = Callable[[UnitOfWork, CaseMessage], None]


def _nothing_more(work: UnitOfWork, message: CaseMessage) -> None:
    """Stages nothing more."""


def _utc_clock() -> datetime:
    return datetime.now(UTC)


class CaseService(RecordService[CaseCreate, Case]):
    kind = CASE
    resource = "cases"
    label = "case"
    create_model = CaseStored
    out_model = Case
    owner_fields = ("owner_id",)
    ownership = teams.STAFF

    def __init__(self, clock: Clock = _utc_clock) -> None:
        """`clock`: the instant SLA clocks start, stop and are read at."""
        self.clock = clock

    def guards(self, data: Mapping[str, Any]) -> dict[Guard, str]:
        return {}

    def parents(self, data: Mapping[str, Any]) -> dict[Parent, str]:
        linked = {Parent(CONTACT, data["contact_id"]): "contact_id"}
        if data.get("account_id"):
            linked[Parent(ACCOUNT, data["account_id"])] = "account_id"
        if data.get("deal_id"):
            linked[Parent(DEAL, data["deal_id"])] = "deal_id"
        return linked

    def index_keys(self, tenant_id: str, record_id: str, data: Mapping[str, Any], *, deleted: bool) -> IndexKeys:
        return store.index_keys(
            tenant_id,
            record_id,
            number=data["number"],
            status=data["status"],
            contact_id=data["contact_id"],
            account_id=data.get("account_id"),
            owner_id=data.get("owner_id"),
            queue=data.get("queue"),
            sla_due=self._next_due(data),
            resolved_at=data.get("resolved_at") if data["status"] in DONE_STATUSES else None,
            deleted=deleted,
        )

    def derive(self, tenant_id: str, data: dict[str, Any], before: Record | None) -> dict[str, Any]:
        """A new case gets its number, without an account its contact's, and the SLA policy that applies to it.
        Status changes stamp `resolved_at` and `closed_at`, and stop or restart the SLA clock."""
        if before is None:
            if not data.get("account_id"):
                data.pop("account_id", None)
                data.update(self._account_of(tenant_id, data["contact_id"]))
            data["number"] = store.next_number(tenant_id)
            data.update(self._sla_basis(tenant_id, data))
        elif data.get("sla_basis") and data["status"] != before.data["status"]:
            facts = sla.SlaBasis.model_validate(data["sla_basis"])
            moved = sla.status_changed(facts, before.data["status"], data["status"], self.clock())
            data["sla_basis"] = moved.model_dump(mode="json")
        return _stamped(data, before.data["status"] if before else None, normalize.instant(self.clock()))

    def _sla_basis(self, tenant_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """The SLA policy that applies to a new case, as its clock's facts (none when no policy applies); a case
        created pending, on hold or resolved starts with its clock stopped."""
        settings = SERVICE_SETTINGS.read(tenant_id).content
        policy = sla.applicable(settings, data, lambda: self._account_tags(tenant_id, data.get("account_id")))
        if policy is None:
            return {}
        now = self.clock()
        facts = sla.status_changed(sla.basis(settings, policy, now), CaseStatus.NEW, data["status"], now)
        return {"sla_basis": facts.model_dump(mode="json")}

    @staticmethod
    def _account_tags(tenant_id: str, account_id: str | None) -> list[str]:
        account = repository.get(tenant_id, ACCOUNT, account_id) if account_id else None
        return list(account.data.get("tags", [])) if account is not None and not account.deleted else []

    def _next_due(self, data: Mapping[str, Any]) -> str | None:
        if not data.get("sla_basis"):
            return None
        due = sla.next_due(sla.SlaBasis.model_validate(data["sla_basis"]), data, self.clock())
        return normalize.instant(due) if due else None

    def out(self, record: Record) -> Case:
        """The case with its SLA figures as of now."""
        case = super().out(record)
        if record.data.get("sla_basis"):
            facts = sla.SlaBasis.model_validate(record.data["sla_basis"])
            case.sla = sla.figures(facts, record.data, self.clock())
        return case

    def stage_update(self, work: UnitOfWork, caller: Caller, record: Record, changes: Mapping[str, Any]) -> None:
        """A case moved to another contact takes that contact's account, unless the change names one."""
        contact_id = changes.get("contact_id")
        moved = isinstance(contact_id, str) and contact_id != record.data["contact_id"]
        if moved and "account_id" not in changes and not record.deleted:
            account = self._account_of(caller.tenant_id, str(contact_id))
            changes = {**changes, "account_id": account.get("account_id")}
        super().stage_update(work, caller, record, changes)

    @staticmethod
    def _account_of(tenant_id: str, contact_id: str) -> dict[str, str]:
        """The contact's account, as a case's `account_id` (none when the contact has none)."""
        contact = repository.get(tenant_id, CONTACT, contact_id)
        if contact is None or contact.deleted:
            raise InvalidInput.of("contact_id", f"No live contact has the id {contact_id}.", "unknown_reference")
        account_id = contact.data.get("account_id")
        return {"account_id": account_id} if account_id else {}

    def linked_writes(self, work: UnitOfWork, before: Record | None, after: Record | None) -> None:
        work.replace_items(self._summaries(before), self._summaries(after))
        _count_open_cases(work, before, after)
        linking.stage_reach(work, before, after)
        if after is None or after.deleted or (before is not None and before.data["status"] == after.data["status"]):
            return
        entry = _case_entry(after, None if before is None else before.data["status"])
        for item in timeline.entry_items(after.tenant_id, entry, _timelines(after)):
            work.put_item(item)

    @staticmethod
    def _summaries(case: Record | None) -> list[TableItem]:
        """The open case's summary in its contact's partition."""
        if case is None or case.deleted or case.data["status"] in DONE_STATUSES:
            return []
        data = {**{field: case.data.get(field) for field in SUMMARY_FIELDS}, "created_at": case.created_at}
        return [store.summary(case.tenant_id, case.data["contact_id"], case.id, data)]

    def erase(self, caller: Caller, record_id: str, expected_version: int | None) -> None:
        """For good: the case, its summary and its links' reach in one transaction, then its messages, its linked
        articles and its timeline entries."""
        super().erase(caller, record_id, expected_version)
        messages = repository.partition_summaries(store.messages(caller.tenant_id, record_id))
        repository.delete_items(store.message_key(caller.tenant_id, record_id, message.sk) for message in messages)
        linking.erase_links(caller.tenant_id, record_id)
        timeline.delete_entries(caller.tenant_id, Parent(CASE, record_id), CaseEntry)

    # Lists

    def search(
        self,
        caller: Caller,
        *,
        number: str | None,
        queue: str | None,
        owner_id: str | None,
        status: str | None,
        contact_id: str | None,
        account_id: str | None,
        breach_before: str | None = None,
        limit: int,
        cursor: str | None,
    ) -> Page[Case]:
        """One Query per filter combination in FILTERS (none: the tenant's cases), newest first (the SLA work list
        `breach_before`: soonest due first); any other combination is a 400."""
        tenant = caller.tenant_id
        owner = caller.user_id if owner_id == ME else owner_id
        filters: dict[str, Any] = {
            "number": number,
            "queue": queue,
            "owner_id": owner,
            "status": status,
            "contact_id": contact_id,
            "account_id": account_id,
            "breach_before": normalized_filter("breach_before", normalize.instant, breach_before),
        }
        FILTERS.check(filters)
        if number is not None:
            found = store.by_number(tenant, number)
        elif queue is not None and status is not None:
            found = store.in_queue(tenant, queue, status)
        elif owner is not None:
            found = store.of_owner(tenant, owner, status)
        elif contact_id is not None:
            found = store.of_contact(tenant, contact_id)
        elif filters["breach_before"] is not None:
            found = store.due_before(tenant, filters["breach_before"])
        elif account_id is not None:
            found = store.of_account(tenant, account_id)
        else:
            found = store.of_tenant(tenant)
        return self.list(caller, found, limit=limit, cursor=cursor, bound_to=filters)

    # The conversation

    def add_message(
        self,
        caller: Caller,
        case_id: str,
        payload: CaseMessageCreate,
        *,
        attachments: Sequence[MessageAttachment] = (),
        staging: Staging = _nothing_more,
        answers: bool = False,
    ) -> CaseMessage:
        """Add a staff message to the case's conversation, in one transaction with the case's change (a public one
        is emailed from the `case.message_added` event this yields: `reply_of`) and what `staging` adds to it.
        `answers`: the customer answers in person (their email), which moves a case waiting on them (pending) or
        resolved back to open."""
        caller.require(self.resource, Action.UPDATE)
        for remaining in reversed(range(self.write_attempts)):
            try:
                return self._post(caller, case_id, payload, attachments, staging, answers)
            except PreconditionFailed as error:  # the case changed between its read and the message's write
                if not remaining:
                    raise Busy("The case kept changing while the message was written; retry.") from error
        raise AssertionError("write_attempts is at least 1")

    def _post(
        self,
        caller: Caller,
        case_id: str,
        payload: CaseMessageCreate,
        attachments: Sequence[MessageAttachment],
        staging: Staging,
        answers: bool,
    ) -> CaseMessage:
        record = self._load(caller, case_id)
        self.require_owner(caller, Action.UPDATE, record)
        now = normalize.instant(self.clock())
        message = CaseMessage(
            id=new_id(),
            case_id=case_id,
            body=payload.body,
            visibility=payload.visibility,
            author=payload.author,
            created_at=datetime.fromisoformat(now),
            created_by=caller.user_id,
            attachments=list(attachments),
        )
        changes: dict[str, Any] = {
            "message_count": record.data.get("message_count", 0) + 1,
            "last_message": {
                "id": message.id,
                "visibility": message.visibility,
                "created_at": now,
                "created_by": caller.user_id,
            },
        }
        responded = message.visibility is Visibility.PUBLIC and message.author is Author.STAFF
        if responded and not record.data.get("first_response_at"):
            changes["first_response_at"] = now
        if answers and record.data["status"] in REOPENED_BY_AN_ANSWER:
            changes["status"] = CaseStatus.OPEN
        if record.data.get("sla_basis"):
            changes["sla_basis"] = _conversed(record.data["sla_basis"], message.author, responded, message.created_at)
        work = UnitOfWork()
        self.stage_update(work, caller, record, changes)
        stored = message.model_dump(mode="json", exclude=NOT_STORED)
        work.put_item(store.message_item(caller.tenant_id, case_id, message.id, stored))
        staging(work, message)
        self.commit(work, record)
        return message

    def messages(
        self,
        caller: Caller,
        case_id: str,
        *,
        limit: int,
        cursor: str | None,
        presigner: attachments.Presigner = attachments.INBOUND_MAIL_BUCKET,
    ) -> Page[CaseMessage]:
        """The case's conversation, oldest first: ONE Query, which also reads the case on the first page (a 404
        for a case the tenant does not have); each kept attachment with its download URL (`presigner`)."""
        caller.require(self.resource, Action.READ)
        binding = pagination.fingerprint(caller.tenant_id, "cases:messages", {"case_id": case_id})
        position = pagination.decode_cursor(cursor, binding)
        read = store.conversation(caller.tenant_id, case_id)
        page = repository.read_partition(read, limit=limit if position else limit + 1, position=position)
        if position is None and page.record is None:
            raise NotFound(f"No case has the id {case_id}.")
        items = [
            message_of(caller.tenant_id, case_id, summary, presigner)
            for summary in page.summaries
            if summary.kind == store.MESSAGE_KIND
        ]
        return Page(items=items, next_cursor=pagination.encode_cursor(page.next_position, binding))


def message_of(tenant_id: str, case_id: str, summary: Summary, presigner: attachments.Presigner) -> CaseMessage:
    """The message a conversation's item holds, its kept attachments with their download URLs."""
    message = CaseMessage.model_validate({**summary.data, "id": summary.ref_id, "case_id": case_id})
    linked = attachments.with_urls(tenant_id, message.attachments, presigner)
    return message.model_copy(update={"attachments": linked})


def _stamped(data: dict[str, Any], before: str | None, now: str) -> dict[str, Any]:
    """`data` with the stamps its status change (from `before`, None for a new case) makes: resolving stamps
    `resolved_at`, closing `closed_at` (and `resolved_at` if it was not resolved), reopening clears both and counts
    in `reopened_count`. A case never goes back to new."""
    status = data["status"]
    if status == before:
        return data
    if status == CaseStatus.NEW and before is not None:
        raise InvalidInput.of("status", "a case does not go back to new; reopen it as open", "invalid_transition")
    if status == CaseStatus.RESOLVED:
        data["resolved_at"] = now
        data.pop("closed_at", None)
    elif status == CaseStatus.CLOSED:
        data["closed_at"] = now
        data.setdefault("resolved_at", now)
    else:
        if before in DONE_STATUSES:
            data["reopened_count"] = int(data.get("reopened_count") or 0) + 1
        data.pop("resolved_at", None)
        data.pop("closed_at", None)
    return data


def _conversed(basis: dict[str, Any], author: Author, responded: bool, at: datetime) -> dict[str, Any]:
    """The SLA facts after a message: a customer's restarts the next-response clock, a public staff reply meets it."""
    facts = sla.SlaBasis.model_validate(basis)
    if author is Author.CUSTOMER:
        facts = sla.customer_wrote(facts, at)
    elif responded:
        facts = sla.staff_replied(facts, at)
    return facts.model_dump(mode="json")


def _open_owner(case: Record | None) -> str | None:
    """Whose open case it is: its owner while it is live and not resolved or closed."""
    if case is None or case.deleted or case.data["status"] in DONE_STATUSES:
        return None
    owner = case.data.get("owner_id")
    return str(owner) if owner else None


def _count_open_cases(work: UnitOfWork, before: Record | None, after: Record | None) -> None:
    """Each owner's open cases (what routing by least open cases and capacity reads) follow every case write."""
    was, now = _open_owner(before), _open_owner(after)
    case = after or before
    if was == now or case is None:
        return
    for owner, delta in ((was, -1), (now, 1)):
        if owner is not None:
            assignment_store.stage_case_load(work, case.tenant_id, owner, delta)


def _timelines(case: Record) -> list[Parent]:
    """The timelines a case's entry goes to: the case's, its contact's and its account's."""
    owners = [Parent(CASE, case.id), Parent(CONTACT, case.data["contact_id"])]
    if case.data.get("account_id"):
        owners.append(Parent(ACCOUNT, case.data["account_id"]))
    return owners


def _case_entry(case: Record, from_status: str | None) -> CaseEntry:
    at = datetime.fromisoformat(case.updated_at)
    return CaseEntry(
        id=str(ULID.from_datetime(at)),
        occurred_at=at,
        created_by=case.updated_by,
        contact_id=case.data["contact_id"],
        account_id=case.data.get("account_id"),
        case_id=case.id,
        number=case.data["number"],
        subject=case.data["subject"],
        status=case.data["status"],
        from_status=from_status,
    )


def reply_of(event: DomainEvent) -> NotificationRequest | None:
    """The customer's email of the public reply a `case.message_added` event announces (None for an internal note,
    or a message erased since): its subject carries the case number (`[CS-1042] Re: ...`) and its id is kept for the
    case, so their answer is threaded back to the case by either. The body is read from the table (events do not
    carry it): ONE Query."""
    case, added = event.record, event.record["last_message"]
    if added["visibility"] != Visibility.PUBLIC:
        return None
    found = repository.partition_summaries(store.message(event.tenant_id, event.entity_id, added["id"]))
    message = next(found, None)
    if message is None:
        return None
    return NotificationRequest(
        tenant_id=event.tenant_id,
        recipient=Recipient(type=RecipientType.CONTACT, id=case["contact_id"]),
        template=CASE_REPLY.name,
        channel="email",
        context={
            "case": {"id": event.entity_id, **{field: case[field] for field in ("number", "subject", "status")}},
            "message": {"body": message.data["body"]},
        },
        dedupe_key=f"case-message:{added['id']}",
        thread_id=event.entity_id,
    )


cases = CaseService()
