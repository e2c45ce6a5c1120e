"""Converting a lead (rapport.conversion says how): the plan, its one transaction, and its retries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from rapport import contexts
from rapport.accounts import store as account_store
from rapport.accounts.manifest import ACCOUNT
from rapport.accounts.models import AccountCreate
from rapport.accounts.service import accounts
from rapport.activities.service import activities
from rapport.auth import Action, Caller
from rapport.contacts import store as contact_store
from rapport.contacts.manifest import CONTACT
from rapport.contacts.models import ContactCreate
from rapport.contacts.service import contacts
from rapport.contexts import Kind
from rapport.conversion.models import Conversion, ConvertLead
from rapport.dal import repository
from rapport.dal.repository import (
    MAX_TRANSACTION_ITEMS,
    GuardTaken,
    Parent,
    ParentMissing,
    Record,
    StaleVersion,
    TooManyWrites,
    UnitOfWork,
)
from rapport.deals.models import DealCreate
from rapport.deals.service import deals
from rapport.errors import Busy, Conflict, FieldError, InvalidInput, RapportError
from rapport.leads.models import LeadStored
from rapport.leads.service import leads
from rapport.records import field_errors, too_many_writes

# Addresses at these domains say nothing about the company the person works for.
FREE_MAIL = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "hotmail.com", "outlook.com", "live.com",
        "msn.com", "icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.de", "gmx.net",
        "web.de", "yandex.ru", "mail.ru", "qq.com", "163.com",
    }
)  # fmt: skip
CONTACT_FIELDS_FROM_LEAD = {"first_name": "first_name", "last_name": "last_name", "title": "job_title"}
# A conversion that meets a concurrent change is planned again from fresh reads at most this often in all.
CONVERSION_ATTEMPTS = 3
_RACES = (StaleVersion, GuardTaken, ParentMissing, Busy)
ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass
class _Plan:
    work: UnitOfWork = field(default_factory=UnitOfWork)
    created: list[str] = field(default_factory=list)


def convert(caller: Caller, lead_id: str, request: ConvertLead, expected_version: int | None = None) -> Conversion:
    """Convert the lead; `expected_version` (If-Match) makes a lead that changed since it was read a 412."""
    _require_rights(caller, request)
    lost: Exception | None = None
    for _ in range(CONVERSION_ATTEMPTS):
        record = leads.to_convert(caller, lead_id, expected_version)
        try:
            return _convert(caller, record, request)
        except _RACES as error:
            lost = error
    leads.to_convert(caller, lead_id, expected_version)  # converted meanwhile: the 409 that names its contact
    assert lost is not None
    raise _client_error(lost) from lost


def _require_rights(caller: Caller, request: ConvertLead) -> None:
    caller.require("contacts", Action.CREATE)
    if request.deal is not None:
        caller.require("deals", Action.CREATE)


def _convert(caller: Caller, record: Record, request: ConvertLead) -> Conversion:
    lead = LeadStored.model_validate(record.data)
    plan = _Plan()
    existing = _existing_contact(caller, lead, request)
    account = _account(caller, lead, request, existing, plan)
    contact = _contact(caller, lead, existing, account, plan)
    deal_id = _deal(caller, lead, request, contact, account, plan)
    account_id = account.id if account else None
    leads.mark_converted(plan.work, caller, record, contact_id=contact.id, account_id=account_id, deal_id=deal_id)
    owners = [Parent(CONTACT, contact.id), *([Parent(ACCOUNT, account.id)] if account else [])]
    room = MAX_TRANSACTION_ITEMS - plan.work.size
    carried, rest = activities.carry(plan.work, caller.tenant_id, record.id, owners, room)
    try:
        plan.work.commit()
    except TooManyWrites as error:
        raise too_many_writes("conversion", {}, error) from error
    carried += activities.carry_rest(caller.tenant_id, record.id, owners, rest)
    return Conversion(
        lead_id=record.id,
        contact_id=contact.id,
        account_id=account_id,
        deal_id=deal_id,
        created=plan.created,
        interactions_carried=carried,
    )


def _live(caller: Caller, kind: Kind, record_id: str, field_name: str) -> Record:
    record = repository.get(caller.tenant_id, kind, record_id)
    if record is None or record.deleted:
        raise InvalidInput.of(field_name, f"No live {kind.label} has the id {record_id}.", "unknown_reference")
    return record


def _existing_contact(caller: Caller, lead: LeadStored, request: ConvertLead) -> Record | None:
    if request.contact_id:
        return _live(caller, CONTACT, request.contact_id, "contact_id")
    if not lead.email:
        return None
    owner = repository.guard_owner(caller.tenant_id, contact_store.email_guard(lead.email))
    if owner is None:
        return None
    contact = repository.get(caller.tenant_id, CONTACT, owner[1])
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


def _account(
    caller: Caller, lead: LeadStored, request: ConvertLead, contact: Record | None, plan: _Plan
) -> Record | None:
    creates = bool(lead.company and request.create_account)
    account = _chosen_account(caller, request, contact) or _account_of_domain(caller, lead, creates=creates)
    if account is not None:
        fill = _empty_fields(account.data, {"industry": lead.industry, "size": lead.company_size})
        if fill:
            accounts.stage_update(plan.work, caller, account, fill)
        plan.work.require_live(caller.tenant_id, Parent(ACCOUNT, account.id))
        return account
    if not creates:
        return None
    address = {"country": lead.country} if lead.country else None
    payload = _made_from_lead(
        AccountCreate,
        name=lead.company, domain=company_domain(lead.email), industry=lead.industry, size=lead.company_size,
        address=address, owner_id=lead.owner_id,
    )  # fmt: skip
    account = accounts.stage_create(plan.work, caller.tenant_id, caller.user_id, payload)
    plan.created.append("account")
    return account


def _chosen_account(caller: Caller, request: ConvertLead, contact: Record | None) -> Record | None:
    """The account named by `account_id`, else the existing contact's; a contact stays at its own account."""
    current_id = contact.data.get("account_id") if contact is not None else None
    current = repository.get(caller.tenant_id, ACCOUNT, current_id) if current_id else None
    current_live = current is not None and not current.deleted
    if request.account_id:
        if current_live and current_id != request.account_id:
            assert contact is not None
            raise Conflict(
                f"The contact {contact.id} belongs to account {current_id}: convert into that account, or move the "
                "contact first.",
                [FieldError("account_id", f"the contact belongs to account {current_id}", "other_account")],
                existing_kind=ACCOUNT.label,
                existing_id=current_id,
            )
        return _live(caller, ACCOUNT, request.account_id, "account_id")
    if current_id and not current_live:
        raise Conflict(
            f"The contact's account {current_id} is trashed or erased: restore it, or name the account to convert "
            "into.",
            [FieldError("account_id", "the contact's account is not live", "trashed")],
            existing_kind=ACCOUNT.label,
            existing_id=current_id,
        )
    return current


def _account_of_domain(caller: Caller, lead: LeadStored, *, creates: bool) -> Record | None:
    """The live account whose domain is the email's. One that is trashed holds the domain: making another with
    it would fail, so when the conversion would make one, that is a 409 naming the trashed one."""
    domain = company_domain(lead.email)
    owner = repository.guard_owner(caller.tenant_id, account_store.domain_guard(domain)) if domain else None
    account = repository.get(caller.tenant_id, ACCOUNT, owner[1]) if owner else None
    if account is None or not account.deleted:
        return account
    if creates:
        raise Conflict(
            f"The trashed account {account.id} holds the domain {domain}: restore it, or name the account to convert "
            "into.",
            [FieldError("account_id", f"a trashed account holds the domain {domain}", "trashed")],
            existing_kind=ACCOUNT.label,
            existing_id=account.id,
        )
    return None


def _contact(caller: Caller, lead: LeadStored, existing: Record | None, account: Record | None, plan: _Plan) -> Record:
    if existing is None:
        payload = _made_from_lead(
            ContactCreate,
            first_name=lead.first_name, last_name=lead.last_name or lead.company, email=lead.email,
            phone=lead.phone, job_title=lead.title, account_id=account.id if account else None,
            owner_id=lead.owner_id,
            consent=lead.consent.model_dump(mode="json", exclude_none=True) if lead.consent else None,
            address={"country": lead.country} if lead.country else None,
        )  # fmt: skip
        contact = contacts.stage_create(plan.work, caller.tenant_id, caller.user_id, payload)
        plan.created.append("contact")
        return contact
    lead_values = {target: getattr(lead, source) for source, target in CONTACT_FIELDS_FROM_LEAD.items()}
    if lead.phone and lead.phone not in existing.data.get("phones", []):
        lead_values["phone"] = lead.phone
    fill = _empty_fields(existing.data, lead_values)
    if account is not None and existing.data.get("account_id") != account.id:
        fill["account_id"] = account.id  # none yet, or a trashed one replaced by the account named
    if fill:
        contacts.stage_update(plan.work, caller, existing, fill)
    else:
        plan.work.require_live(caller.tenant_id, Parent(CONTACT, existing.id))
    return existing


def _made_from_lead(model: type[ModelT], **fields: Any) -> ModelT:
    """A record made from the lead's fields; a lead that cannot make one is a 409 naming its fields at fault."""
    try:
        return model.model_validate(fields)
    except ValidationError as error:
        what = model.__name__.removesuffix("Create").lower()
        faults = [FieldError(fault.field, fault.message, fault.code, "lead") for fault in field_errors(error)]
        if any(fault.field == "last_name" for fault in faults):
            detail = "The lead has no name to make a contact of: give it a first_name, last_name or company."
        else:
            detail = f"The lead's fields do not make a valid {what}; change the lead first."
        raise Conflict(detail, faults) from error


def _empty_fields(data: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None and not data.get(name)}


def _deal(
    caller: Caller, lead: LeadStored, request: ConvertLead, contact: Record, account: Record | None, plan: _Plan
) -> str | None:
    if request.deal is None:
        return None
    fields = request.deal.model_dump(mode="json", exclude_none=True, exclude={"contact_role"})
    fields.setdefault("owner_id", lead.owner_id or caller.user_id)
    fields["contact_ids"] = [contact.id]
    if request.deal.contact_role is not None:
        fields["contact_roles"] = {contact.id: request.deal.contact_role.value}
    if account is not None:
        fields["account_id"] = account.id
    try:
        record, _ = deals.stage_deal(plan.work, caller, DealCreate.model_validate(fields))
    except InvalidInput as error:
        raise InvalidInput(error.detail, [_in_deal(fault) for fault in error.errors]) from error
    plan.created.append("deal")
    return record.id


def _in_deal(fault: FieldError) -> FieldError:
    return FieldError(f"deal.{fault.field}", fault.message, fault.code, fault.location)


_GUARDED_FIELDS = {contact_store.EMAIL: "email", contact_store.PHONE: "phone", account_store.DOMAIN: "company"}


def _client_error(error: Exception) -> Exception:
    """What the last attempt's failure means to the client, once the lead is known not to be converted."""
    if isinstance(error, GuardTaken):
        kind = contexts.kind(error.owner_kind).label if error.owner_kind else "record"
        name = _GUARDED_FIELDS.get(error.guard.field, str(error.guard.field).lower())
        message = f"{error.guard.value} belongs to {kind} {error.owner_id}"
        return Conflict(
            f"The lead's {name}: {message}.",
            [FieldError(name, message, "duplicate", "lead")],
            existing_kind=kind,
            existing_id=error.owner_id,
        )
    if isinstance(error, ParentMissing):
        label = error.parent.kind.label
        return InvalidInput.of(f"{label}_id", f"No live {label} has the id {error.parent.id}.", "unknown_reference")
    if isinstance(error, RapportError):
        return error
    return Busy("The lead or a record it links kept changing during the conversion; convert again.")
