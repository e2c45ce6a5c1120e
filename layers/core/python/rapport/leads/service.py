"""Leads: create (refusing or attaching duplicates), read, change, list by score; scoring rules; engagement.

A lead's score is derived on every write from its fields, its engagement counters and the tenant's rules,
so the stored score (and the index keys that sort by it) is always the one its inputs give.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from ulid import ULID

from rapport import normalize, timeline
from rapport.api.filters import Combinations
from rapport.auth import Action, Caller
from rapport.contacts import store as contact_store
from rapport.contacts.manifest import CONTACT
from rapport.dal import repository
from rapport.dal.repository import Guard, IndexKeys, Parent, Record, StaleVersion, UnitOfWork
from rapport.errors import Conflict, InvalidInput, NotFound
from rapport.leads import store
from rapport.leads.manifest import LEAD, SCORING_RULES
from rapport.leads.models import (
    OPEN_STATUSES,
    AttachedTo,
    Lead,
    LeadAttached,
    LeadCreate,
    LeadStatus,
    LeadStored,
    OnDuplicate,
    PublicLeadCreate,
)
from rapport.leads.scoring import DEFAULT_RULES, ENGAGEMENT_ATTEMPTS, Engagement, EngagementKind, ScoringRules, score
from rapport.pagination import Page
from rapport.records import RecordService, field_errors, normalized_filter
from rapport.settings import Saved, SettingsDocument
from rapport.timeline.models import LeadSubmissionEntry
from rapport.types import utc_now
from rapport.users import teams
from rapport.web_forms.store import WebFormKey

_ATTACHABLE = {CONTACT.label: CONTACT, LEAD.label: LEAD}


# The filters of GET /leads, each one Query (see `LeadService.search`); `min_score` goes with those sorted by score.
_BY_SCORE = ((), ("status",), ("owner_id",), ("owner_id", "status"), ("deleted",), ("email",))
FILTERS = Combinations("Leads", (*_BY_SCORE, *((*filters, "min_score") for filters in _BY_SCORE), ("q",)))


class LeadService(RecordService[LeadCreate, Lead]):
    kind = LEAD
    resource = "leads"
    label = "lead"
    create_model = LeadStored
    out_model = Lead
    owner_fields = ("owner_id",)
    ownership = teams.STAFF

    def __init__(self, rules: SettingsDocument[ScoringRules]) -> None:
        self._rules = rules

    def guards(self, data: Mapping[str, Any]) -> dict[Guard, str]:
        """An open lead holds its email, so a second open lead with it is a duplicate."""
        email = data.get("email")
        return {store.email_guard(email): "email"} if email and _is_open(data) else {}

    def exclusions(self, data: Mapping[str, Any]) -> dict[Guard, str]:
        """An open lead may not have a contact's email: that person is known already."""
        email = data.get("email")
        return {contact_store.email_guard(email): "email"} if email and _is_open(data) else {}

    def derive(self, tenant_id: str, data: dict[str, Any], before: Record | None) -> dict[str, Any]:
        if before is not None and before.data.get("status") == LeadStatus.CONVERTED:
            raise Conflict("The lead is converted; change the contact (or deal) it became instead.")
        return _scored(data, self._rules.read(tenant_id))

    def index_keys(self, tenant_id: str, record_id: str, data: Mapping[str, Any], *, deleted: bool) -> IndexKeys:
        """By score (all, per status, owner, or both); found by its email and the words of its name and company."""
        return store.index_keys(
            tenant_id,
            record_id,
            int(data.get("score", 0)),
            data["status"],
            data.get("owner_id"),
            email=data.get("email"),
            words=normalize.search_words(data.get("first_name"), data.get("last_name"), data.get("company")),
            deleted=deleted,
        )

    def create_or_attach(self, caller: Caller, payload: LeadCreate, on_duplicate: OnDuplicate) -> Lead | LeadAttached:
        """A new lead; or, with `attach`, a duplicate recorded as an interaction of the contact or lead it meets."""
        try:
            return self.create(caller, payload)
        except Conflict as duplicate:
            if on_duplicate != OnDuplicate.ATTACH or not duplicate.existing_id:
                raise
            submitted = payload.model_dump(mode="json", exclude_none=True)
            return self._attach(caller.tenant_id, caller.user_id, duplicate, submitted, channel="api")

    def submit(self, form: WebFormKey, payload: PublicLeadCreate) -> None:
        """A website form's submission: a new lead, or an interaction of the contact or lead it duplicates.

        Either way the submitter learns nothing of the tenant's data.
        """
        fields = {**payload.lead_fields(form.form_id, form.defaults), "web_form_id": form.form_id}
        try:
            lead = LeadStored.model_validate(fields)
        except ValidationError as error:
            raise InvalidInput("The submission is not valid.", field_errors(error)) from error
        actor = f"web-form:{form.form_id}"
        try:
            self.create_as(form.tenant_id, actor, lead)
        except Conflict as duplicate:
            if not duplicate.existing_id:
                raise
            submitted = lead.model_dump(mode="json", exclude_none=True, exclude={"score", "score_reasons"})
            try:
                self._attach(form.tenant_id, actor, duplicate, submitted, channel="web_form")
            except (Conflict, NotFound) as error:  # says nothing of the record it met
                raise Conflict("The submission could not be recorded just now; send it again.") from error

    def search(
        self,
        caller: Caller,
        *,
        status: LeadStatus | None,
        owner_id: str | None,
        min_score: int | None,
        email: str | None,
        q: str | None,
        deleted: bool,
        limit: int,
        cursor: str | None,
    ) -> Page[Lead]:
        """One Query on the index partition that serves the filters given (see its store): highest score
        first, `min_score` being a key condition; `q` finds the words of names and companies by their start."""
        tenant = caller.tenant_id
        email = normalized_filter("email", normalize.email, email)
        filters = {
            "status": status, "owner_id": owner_id, "min_score": min_score, "email": email, "q": q, "deleted": deleted,
        }  # fmt: skip
        FILTERS.check(filters)
        if q is not None:
            return self.find_by_name(caller, q, limit=limit, cursor=cursor, bound_to=filters)
        if deleted:
            found = store.all_leads(tenant, deleted=True)
        elif email is not None:
            found = store.by_email(tenant, email)
        elif status is not None and owner_id is not None:
            found = store.of_owner_in_status(tenant, owner_id, status)
        elif owner_id is not None:
            found = store.of_owner(tenant, owner_id)
        elif status is not None:
            found = store.in_status(tenant, status)
        else:
            found = store.all_leads(tenant)
        return self.list(caller, store.scoring_at_least(found, min_score), limit=limit, cursor=cursor, bound_to=filters)

    def record_engagement(
        self,
        work: UnitOfWork,
        tenant_id: str,
        lead_id: str,
        changes: Mapping[EngagementKind, int],
        *,
        actor: str,
    ) -> Lead:
        """Add `changes` to the lead's engagement counts (negative to take one back, never below zero) and rescore
        it, as part of `work` (e.g. an activity's write): a change of the lead by `actor` (who logged the activity,
        sent the submission). `last_at` moves only when something is added.

        Reads the lead and the rules; `work` then writes the lead over the version read, so a concurrent
        change of the lead makes `work.commit()` raise `StaleVersion`: read again and retry (see `engage`).
        Returns the lead as it will be once `work` commits (its version is the one read until then).
        """
        record = repository.get(tenant_id, LEAD, lead_id)
        if record is None:
            raise NotFound(f"No lead has the id {lead_id}.")
        engagement = Engagement.model_validate(record.data.get("engagement") or {})
        for kind, change in changes.items():
            setattr(engagement, kind.value, max(0, getattr(engagement, kind.value) + change))
        record.updated_at, record.updated_by = utc_now(), actor
        if any(change > 0 for change in changes.values()):
            engagement.last_at = record.updated_at
        counted = {**record.data, "engagement": engagement.model_dump(exclude_none=True)}
        record.data = _scored(counted, self._rules.read(tenant_id))
        work.put_record(record, self.index_keys(tenant_id, lead_id, record.data, deleted=record.deleted))
        return self.out(record)

    def engage(self, tenant_id: str, lead_id: str, kind: EngagementKind, *, actor: str) -> Lead:
        """One engagement of `kind` on its own (`record_engagement`), retried when the lead changes meanwhile."""
        for attempt in range(ENGAGEMENT_ATTEMPTS):
            work = UnitOfWork()
            self.record_engagement(work, tenant_id, lead_id, {kind: 1}, actor=actor)
            try:
                work.commit()
            except StaleVersion:
                if attempt == ENGAGEMENT_ATTEMPTS - 1:
                    raise
                continue
            return self.get_as(tenant_id, lead_id)
        raise AssertionError("unreachable")

    def to_convert(self, caller: Caller, lead_id: str, expected_version: int | None) -> Record:
        """The lead to convert, as read now: only an open, live lead converts, by a caller who may change it.

        A converted lead is a 409 naming the contact it became (also for a conversion that lost a race to another);
        with `expected_version` (If-Match), a lead that moved on is a 412.
        """
        caller.require(self.resource, Action.UPDATE)
        record = self._load(caller, lead_id)
        self.require_owner(caller, Action.UPDATE, record)
        converted = record.data.get("converted")
        if converted:
            raise Conflict(
                f"The lead is already converted, into contact {converted['contact_id']}.",
                existing_kind=CONTACT.label,
                existing_id=converted["contact_id"],
            )
        if expected_version is not None and record.version != expected_version:
            raise self._stale(record.version)
        if record.deleted or record.data.get("status") not in OPEN_STATUSES:
            raise Conflict(f"Only an open lead converts; this one is {'trashed' if record.deleted else 'closed'}.")
        return record

    def mark_converted(
        self,
        work: UnitOfWork,
        caller: Caller,
        record: Record,
        *,
        contact_id: str,
        account_id: str | None = None,
        deal_id: str | None = None,
    ) -> Lead:
        """The lead's part of a conversion, added to `work` (the conversion's one transaction, which also
        creates the contact, account or deal): status converted, the links set, its email guard freed.

        `record` is the lead as `to_convert` read it, written over that version: a conversion that another one
        beat fails. Returns the lead as it will be.
        """
        for guard in self.guards(record.data):
            work.free(record, guard)
        links = {"contact_id": contact_id, "account_id": account_id, "deal_id": deal_id}
        converted = {**links, "at": utc_now(), "by": caller.user_id}
        record.data = {**record.data, "status": LeadStatus.CONVERTED.value, "converted": converted}
        self._touch(record, caller)
        work.put_record(record, self.index_keys(caller.tenant_id, record.id, record.data, deleted=False))
        return self.out(record)

    def get_as(self, tenant_id: str, lead_id: str) -> Lead:
        record = repository.get(tenant_id, LEAD, lead_id)
        if record is None:
            raise NotFound(f"No lead has the id {lead_id}.")
        return self.out(record)

    def _attach(
        self, tenant_id: str, actor: str, duplicate: Conflict, submitted: dict[str, Any], *, channel: str
    ) -> LeadAttached:
        """The submission as a new entry in the existing record's timeline (and, for a contact, its account's); a
        lead also counts it as engagement."""
        kind = _ATTACHABLE.get(duplicate.existing_kind or "")
        if kind is None or duplicate.existing_id is None:
            raise duplicate
        owner = Parent(kind, duplicate.existing_id)
        at = utc_now()
        entry = LeadSubmissionEntry(
            id=str(ULID.from_datetime(datetime.fromisoformat(at))),
            occurred_at=datetime.fromisoformat(at),
            created_by=actor,
            channel=channel,
            submitted=submitted,
            contact_id=owner.id if kind == CONTACT else None,
            lead_id=owner.id if kind == LEAD else None,
        )
        for attempt in range(ENGAGEMENT_ATTEMPTS):
            work = UnitOfWork()
            if kind == LEAD:
                try:
                    self.record_engagement(work, tenant_id, owner.id, {EngagementKind.ACTIVITY: 1}, actor=actor)
                except NotFound as error:  # erased since its guard was read
                    raise duplicate from error
                owners = [owner]
            else:
                contact = repository.get(tenant_id, kind, owner.id)
                if contact is None:  # erased since its guard was read
                    raise duplicate
                work.require_live(tenant_id, owner, trashed_ok=True)
                owners = timeline.timelines_of(kind, contact)
            for item in timeline.entry_items(tenant_id, entry, owners):
                work.put_item(item)
            try:
                work.commit()
            except StaleVersion:
                if attempt == ENGAGEMENT_ATTEMPTS - 1:
                    raise Conflict("The existing lead kept changing; retry.") from None
                continue
            except repository.ParentMissing as error:  # erased since its guard was read
                raise duplicate from error
            break
        return LeadAttached(attached_to=AttachedTo(type=kind.label, id=owner.id), interaction_id=entry.id, at=at)


def _is_open(data: Mapping[str, Any]) -> bool:
    return data.get("status", LeadStatus.NEW) in OPEN_STATUSES


def _scored(data: dict[str, Any], rules: Saved[ScoringRules]) -> dict[str, Any]:
    result = score(data, rules.content)
    return {
        **data,
        "score": result.value,
        "score_reasons": [reason.model_dump(mode="json") for reason in result.reasons],
        "score_rules_version": rules.meta.version,
    }


scoring_rules = SettingsDocument(
    SCORING_RULES,
    ScoringRules,
    resource="scoring_rules",
    default=lambda _: DEFAULT_RULES,
    stored_as="rules",  # the scoring rules were a record of this id before they were a settings document
)
leads = LeadService(scoring_rules)
