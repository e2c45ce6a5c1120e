"""Converting a lead: the contact, account and deal it becomes, in ONE transaction.

The lead links to what already exists instead of making duplicates: the contact that holds its email, the
account of that contact or the one whose domain is the email's (not for free-mail domains), or the ids given.
Existing records only get the lead's values for fields they lack. The lead's interactions move into the
contact's timeline. Everything — the lead closing as converted, new records with their guards, filled fields,
the deal with its summaries, the copied interactions — commits together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from rapport.accounts.models import AccountCreate
from rapport.accounts.service import accounts
from rapport.auth import Action, Caller
from rapport.contacts.models import ContactCreate
from rapport.contacts.service import contacts
from rapport.dal import keys, repository
from rapport.dal.keys import Kind, UniqueField
from rapport.dal.repository import (
    MAX_TRANSACTION_ITEMS,
    Guard,
    GuardTaken,
    Parent,
    ParentMissing,
    Record,
    StaleVersion,
    UnitOfWork,
)
from rapport.deals.models import DealCreate, DealFields
from rapport.deals.money import Money
from rapport.deals.service import deals
from rapport.errors import Conflict, FieldError, InvalidInput
from rapport.leads.models import Lead, LeadStatus
from rapport.leads.service import leads
from rapport.types import Name, RecordId, StrictModel

# Addresses at these domains say nothing about the company the person works for.
FREE_MAIL = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "hotmail.com", "outlook.com", "live.com",
        "msn.com", "icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.de", "gmx.net",
        "web.de", "yandex.ru", "mail.ru", "qq.com", "163.com",
    }
)  # fmt: skip
LEAD_ITEMS = 3  # the lead's own write and the guards it frees
CONTACT_FIELDS_FROM_LEAD = {"first_name": "first_name", "last_name": "last_name", "title": "job_title"}


class ConversionDeal(DealFields):
    """The deal to open for the converted lead; its account and contact are the conversion's."""

    name: Name
    amount: Money
    pipeline_id: RecordId
    close_date: date = Field(description="Expected close date")


class ConvertLead(StrictModel):
    account_id: RecordId | None = Field(default=None, description="Link to this account instead of finding one")
    contact_id: RecordId | None = Field(default=None, description="Link to this contact instead of finding one")
    create_account: bool = Field(default=True, description="Make an account from the lead's company if none fits")
    deal: ConversionDeal | None = Field(default=None, description="Open a deal for the new customer")


class Conversion(BaseModel):
    lead_id: str
    contact_id: str
    account_id: str | None
    deal_id: str | None
    created: list[str] = Field(description="Which of contact, account, deal were made (the others were linked)")
    interactions_carried: int = Field(description="The lead's interactions now in the contact's timeline")


@dataclass
class _Plan:
    work: UnitOfWork = field(default_factory=UnitOfWork)
    created: list[str] = field(default_factory=list)


def convert(caller: Caller, lead_id: str, request: ConvertLead) -> Conversion:
    lead = leads.get(caller, lead_id)
    if lead.status == LeadStatus.CONVERTED and lead.converted is not None:
        raise Conflict(
            "The lead is already converted.",
            existing_kind="contact",
            existing_id=lead.converted.contact_id,
        )
    _require_rights(caller, request)
    plan = _Plan()
    existing = _existing_contact(caller, lead, request)
    account = _account(caller, lead, request, existing, plan)
    contact = _contact(caller, lead, existing, account, plan)
    deal_id = _deal(caller, lead, request, contact, account, plan)
    carried = _carry_interactions(caller.tenant_id, lead_id, contact.id, plan.work)
    leads.mark_converted(
        plan.work,
        caller,
        lead_id,
        contact_id=contact.id,
        account_id=account.id if account else None,
        deal_id=deal_id,
        expected_version=lead.version,
    )
    _commit(plan.work)
    return Conversion(
        lead_id=lead_id,
        contact_id=contact.id,
        account_id=account.id if account else None,
        deal_id=deal_id,
        created=plan.created,
        interactions_carried=carried,
    )


def _require_rights(caller: Caller, request: ConvertLead) -> None:
    caller.require("leads", Action.UPDATE)
    caller.require("contacts", Action.CREATE)
    if request.deal is not None:
        caller.require("deals", Action.CREATE)


def _live(caller: Caller, kind: Kind, record_id: str, field_name: str) -> Record:
    record = repository.get(caller.tenant_id, kind, record_id)
    if record is None or record.deleted:
        raise InvalidInput.of(field_name, f"No live {kind.label} has the id {record_id}.", "unknown_reference")
    return record


def _existing_contact(caller: Caller, lead: Lead, request: ConvertLead) -> Record | None:
    if request.contact_id:
        return _live(caller, Kind.CONTACT, request.contact_id, "contact_id")
    if not lead.email:
        return None
    owner = repository.guard_owner(caller.tenant_id, Guard(UniqueField.EMAIL, lead.email))
    if owner is None:
        return None
    contact = repository.get(caller.tenant_id, Kind.CONTACT, owner[1])
    if contact is not None and contact.deleted:
        raise Conflict(
            f"A trashed contact holds {lead.email}: restore it, or name the contact to convert into.",
            [FieldError("contact_id", "a trashed contact holds the lead's email", "trashed")],
            existing_kind="contact",
            existing_id=contact.id,
        )
    return contact


def company_domain(email: str | None) -> str | None:
    domain = email.rpartition("@")[2] if email else ""
    return domain if domain and domain not in FREE_MAIL else None


def _account(caller: Caller, lead: Lead, request: ConvertLead, contact: Record | None, plan: _Plan) -> Record | None:
    account = _existing_account(caller, lead, request, contact)
    if account is not None:
        fill = _empty_fields(account.data, {"industry": lead.industry, "size": lead.company_size})
        if fill:
            accounts.stage_update(plan.work, caller, account, fill)
        return account
    if not (lead.company and request.create_account):
        return None
    address = {"country": lead.country} if lead.country else None
    payload = AccountCreate(
        name=lead.company, domain=company_domain(lead.email), industry=lead.industry, size=lead.company_size,
        address=address, owner_id=lead.owner_id,
    )  # fmt: skip
    account = accounts.stage_create(plan.work, caller.tenant_id, caller.user_id, payload)
    plan.created.append("account")
    return account


def _existing_account(caller: Caller, lead: Lead, request: ConvertLead, contact: Record | None) -> Record | None:
    if request.account_id:
        return _live(caller, Kind.ACCOUNT, request.account_id, "account_id")
    if contact is not None and contact.data.get("account_id"):
        account = repository.get(caller.tenant_id, Kind.ACCOUNT, contact.data["account_id"])
        return account if account is not None and not account.deleted else None
    domain = company_domain(lead.email)
    owner = repository.guard_owner(caller.tenant_id, Guard(UniqueField.DOMAIN, domain)) if domain else None
    if owner is None:
        return None
    account = repository.get(caller.tenant_id, Kind.ACCOUNT, owner[1])
    return account if account is not None and not account.deleted else None


def _contact(caller: Caller, lead: Lead, existing: Record | None, account: Record | None, plan: _Plan) -> Record:
    if existing is None:
        payload = ContactCreate(
            first_name=lead.first_name, last_name=lead.last_name or lead.company, email=lead.email,
            phone=lead.phone, job_title=lead.title, account_id=account.id if account else None,
            owner_id=lead.owner_id, consent=lead.consent,
            address={"country": lead.country} if lead.country else None,
        )  # fmt: skip
        contact = contacts.stage_create(plan.work, caller.tenant_id, caller.user_id, payload)
        plan.created.append("contact")
    else:
        contact = existing
        lead_values = {target: getattr(lead, source) for source, target in CONTACT_FIELDS_FROM_LEAD.items()}
        lead_values["account_id"] = account.id if account else None
        if lead.phone and lead.phone not in contact.data.get("phones", []):
            lead_values["phone"] = lead.phone
        fill = _empty_fields(contact.data, lead_values)
        if fill:
            contacts.stage_update(plan.work, caller, contact, fill)
    if account is not None:
        plan.work.require_live(caller.tenant_id, Parent(Kind.ACCOUNT, account.id))
    return contact


def _empty_fields(data: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None and not data.get(name)}


def _deal(
    caller: Caller, lead: Lead, request: ConvertLead, contact: Record, account: Record | None, plan: _Plan
) -> str | None:
    if request.deal is None:
        return None
    fields = request.deal.model_dump(mode="json", exclude_none=True)
    fields.setdefault("owner_id", lead.owner_id or caller.user_id)
    payload = DealCreate.model_validate(
        {**fields, "contact_ids": [contact.id], "account_id": account.id if account else None}
    )
    record, _ = deals.stage_deal(plan.work, caller, payload)
    plan.created.append("deal")
    return record.id


def _carry_interactions(tenant_id: str, lead_id: str, contact_id: str, work: UnitOfWork) -> int:
    """Copy the lead's interactions into the contact's timeline, as many as the transaction can take."""
    room = MAX_TRANSACTION_ITEMS - work.size - LEAD_ITEMS
    if room <= 0:
        return 0
    page = repository.read_partition(
        keys.record_pk(tenant_id, Kind.LEAD, lead_id),
        start=keys.INTERACTION_PREFIX,
        end=keys.INTERACTIONS_END,
        limit=room,
    )
    contact_partition = keys.record_pk(tenant_id, Kind.CONTACT, contact_id)
    for summary in page.summaries:
        item = repository.summary_item(tenant_id, contact_partition, summary.sk, Kind.LEAD, summary.ref_id, {})
        item.kind, item.data = summary.kind, summary.data
        work.put_item(item)
    return len(page.summaries)


def _commit(work: UnitOfWork) -> None:
    try:
        work.commit()
    except GuardTaken as error:
        kind = Kind(error.owner_kind).label if error.owner_kind else "record"
        raise Conflict(
            f"The {str(error.guard.field).lower()} {error.guard.value} was just taken by {kind} {error.owner_id}.",
            existing_kind=kind,
            existing_id=error.owner_id,
        ) from error
    except ParentMissing as error:
        field_name = f"{error.parent.kind.label}_id"
        raise InvalidInput.of(
            field_name, f"No live {error.parent.kind.label} has the id {error.parent.id}.", "unknown_reference"
        ) from error
    except StaleVersion as error:
        raise Conflict("The lead or a record it links changed during the conversion; convert again.") from error
