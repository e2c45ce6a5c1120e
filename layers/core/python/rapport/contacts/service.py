"""Contacts, and their account's name and domain kept in their partition for the 360 view.

A contact that links an account holds a summary `A#ACC` (the account's id, name, domain) in its own partition,
written in the contact's transaction when it links (or leaves) the account; an account's new name or domain
is copied to its contacts' summaries by `refresh_account` right after the account's write.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from rapport import normalize, pagination
from rapport.accounts.manifest import ACCOUNT
from rapport.api.filters import Combinations
from rapport.auth import Action, Caller
from rapport.consent import confirmation, ledger
from rapport.consent import store as consent_store
from rapport.consent.settings import MARKETING_SETTINGS, MarketingSettings
from rapport.contacts import store
from rapport.contacts.manifest import CONTACT
from rapport.contacts.models import Contact, ContactCreate
from rapport.dal import access, repository
from rapport.dal.repository import Guard, IndexKeys, Parent, Record, StaleVersion, UnitOfWork
from rapport.errors import FieldError, InvalidInput, NotFound
from rapport.pagination import Page
from rapport.records import RecordService, normalized_filter
from rapport.users import teams

# The filters of GET /contacts, each one Query (see `ContactService.search`).
FILTERS = Combinations(
    "Contacts",
    (
        (),
        ("deleted",),
        ("q",),
        ("email",),
        ("phone",),
        ("account_id",),
        ("account_id", "q"),
        ("owner_id",),
        ("tag",),
    ),
)


def tag_key(tag: str) -> str:
    """A tag as it is looked up: case- and accent-insensitive (`VIP` finds `vip`)."""
    return normalize.name_key(tag)


def display_name(data: Mapping[str, Any]) -> str:
    return " ".join(part for part in (data.get("first_name"), data.get("last_name")) if part)


def _topics(data: Mapping[str, Any]) -> set[tuple[str, str]]:
    topics = (data.get("consent") or {}).get("topics") or {}
    return {(channel, topic) for channel, states in topics.items() for topic in states or {}}


def _require_declared_topics(
    settings: Callable[[], MarketingSettings], data: Mapping[str, Any], before: Record | None
) -> None:
    """A topic the write adds must be declared in the tenant's marketing settings (read only then); topics kept
    from before stay, even when the tenant no longer offers them."""
    added = _topics(data) - (_topics(before.data) if before else set())
    if not added:
        return
    declared = set(settings().topics)
    unknown = sorted(pair for pair in added if pair[1] not in declared)
    if unknown:
        offered = ", ".join(sorted(declared)) or "none yet: PUT /marketing-settings declares them"
        raise InvalidInput(
            f"The tenant has no such marketing topic (its topics: {offered}).",
            [
                FieldError(f"consent.topics.{channel}.{topic}", "is not one of the tenant's topics")
                for channel, topic in unknown
            ],
        )


def _hold_unconfirmed(settings: Callable[[], MarketingSettings], data: dict[str, Any], before: Record | None) -> None:
    """Under double opt-in, an email subscription the write makes waits `pending` for the person's confirmation
    (rapport.consent.confirmation); the settings are read only when the write subscribes someone."""
    topics = confirmation.unconfirmed(data.get("consent"), before.data.get("consent") if before else None)
    if topics and settings().double_opt_in:
        confirmation.held(data["consent"], topics)


class ContactService(RecordService[ContactCreate, Contact]):
    kind = CONTACT
    resource = "contacts"
    label = "contact"
    create_model = ContactCreate
    out_model = Contact
    owner_fields = ("owner_id",)
    ownership = teams.STAFF

    def guards(self, data: Mapping[str, Any]) -> dict[Guard, str]:
        guards: dict[Guard, str] = {}
        for field, guard in (("email", store.email_guard), ("phone", store.phone_guard)):
            if data.get(field):
                guards[guard(data[field])] = field
            for position, value in enumerate(data.get(f"{field}s", [])):
                guards[guard(value)] = f"{field}s[{position}]"
        return guards

    def derive(self, tenant_id: str, data: dict[str, Any], before: Record | None) -> dict[str, Any]:
        """A bounced address's mark goes with the address: a new `email` starts with a clean slate. A topic newly
        consented to must be one of the tenant's (its marketing settings), and under double opt-in a new email
        subscription waits for its confirmation."""
        if before is not None and before.data.get("email") != data.get("email"):
            data.pop("email_status", None)
        settings = cache(lambda: MARKETING_SETTINGS.read(tenant_id).content)
        _require_declared_topics(settings, data, before)
        _hold_unconfirmed(settings, data, before)
        return data

    def parents(self, data: Mapping[str, Any]) -> dict[Parent, str]:
        account_id = data.get("account_id")
        return {Parent(ACCOUNT, account_id): "account_id"} if account_id else {}

    def linked_writes(self, work: UnitOfWork, before: Record | None, after: Record | None) -> None:
        """The account's summary when the contact links or leaves an account, and a consent ledger entry for each
        channel and topic whose consent the write changes."""
        self._account_summary(work, before, after)
        if after is not None:
            changed = ledger.entries(
                before.data.get("consent") if before else None,
                after.data.get("consent"),
                by=after.updated_by,
                at=after.updated_at,
            )
            for entry in changed:
                consent_store.stage_entry(work, after.tenant_id, after.id, entry)

    def _account_summary(self, work: UnitOfWork, before: Record | None, after: Record | None) -> None:
        """The account's summary when the contact links an account (one read of it, unless `work` writes it too),
        or none when it leaves."""
        old = before.data.get("account_id") if before else None
        new = after.data.get("account_id") if after else None
        restored = before is not None and before.deleted and after is not None and not after.deleted
        contact = after or before
        if contact is None or (new == old and not restored):
            return
        if new:
            account = work.staged(contact.tenant_id, ACCOUNT, new) or repository.get(contact.tenant_id, ACCOUNT, new)
            if account is not None:  # else the write's check that the account is live refuses it
                summary = {"name": account.data["name"], "domain": account.data.get("domain")}
                work.put_item(store.account_summary(contact.tenant_id, contact.id, new, summary))
        else:
            work.delete_item(store.no_account_summary(contact.tenant_id, contact.id))

    def erase(self, caller: Caller, record_id: str, expected_version: int | None) -> None:
        """For good: the contact, then its consent ledger (proof of consent is personal data too). What it bought
        leaves the recommendations on its `contact.erased` event (functions/customer_value)."""
        super().erase(caller, record_id, expected_version)
        repository.delete_items(consent_store.entry_items(caller.tenant_id, record_id))

    def refresh_account(self, tenant_id: str, account_id: str, name: str, domain: str | None) -> int:
        """Copy an account's name and domain into its live contacts' summaries; returns how many it wrote.

        Pages of 100 contacts from gsi4 (one Query each), one conditional put per contact, which leaves alone a
        contact that has moved to another account meanwhile. Runs after the account's write, outside its
        transaction; a contact linked in the moment the index lags may keep the old name until the next change.
        """
        position, written = None, 0
        while True:
            page = repository.query(store.of_account(tenant_id, account_id), limit=100, position=position)
            for contact in page.records:
                work = UnitOfWork()
                summary = store.account_summary(tenant_id, contact.id, account_id, {"name": name, "domain": domain})
                store.stage_account_summary_while_linked(work, summary, account_id)
                try:
                    work.commit()
                    written += 1
                except StaleVersion:
                    continue
            position = page.next_position
            if position is None:
                return written

    def index_keys(self, tenant_id: str, record_id: str, data: Mapping[str, Any], *, deleted: bool) -> IndexKeys:
        """Found by the words of its first and last name (not its account's: find the account, then its contacts),
        every email and phone, every tag, its owner and its account."""
        contact = store.ContactKeys(
            name_key=normalize.name_key(display_name(data)),
            words=normalize.search_words(data.get("first_name"), data.get("last_name")),
            emails=[email for email in (data.get("email"), *data.get("emails", [])) if email],
            phones=[phone for phone in (data.get("phone"), *data.get("phones", [])) if phone],
            tags=list(dict.fromkeys(tag_key(tag) for tag in data.get("tags", []))),
            owner_id=data.get("owner_id"),
            account_id=data.get("account_id"),
        )
        return store.index_keys(tenant_id, record_id, contact, deleted=deleted)

    def search(
        self,
        caller: Caller,
        *,
        q: str | None,
        email: str | None,
        phone: str | None,
        account_id: str | None,
        owner_id: str | None,
        tag: str | None,
        deleted: bool,
        limit: int,
        cursor: str | None,
    ) -> Page[Contact]:
        """One Query per filter in FILTERS: by any email or phone the contact holds, by the start of words of its
        name, by account, owner or tag; else all (or the trash) by name."""
        email = normalized_filter("email", normalize.email, email)
        phone = normalized_filter("phone", normalize.phone, phone)
        filters = {
            "q": q, "email": email, "phone": phone, "account_id": account_id, "owner_id": owner_id,
            "tag": tag_key(tag) if tag is not None else None, "deleted": deleted,
        }  # fmt: skip
        FILTERS.check(filters)
        tenant = caller.tenant_id
        if q is not None:
            narrow = {"account_id": account_id} if account_id else None
            return self.find_by_name(caller, q, limit=limit, cursor=cursor, bound_to=filters, data_equals=narrow)
        if email is not None:
            found = store.by_email(tenant, email)
        elif phone is not None:
            found = store.by_phone(tenant, phone)
        elif account_id is not None:
            found = store.of_account(tenant, account_id)
        elif owner_id is not None:
            found = store.of_owner(tenant, owner_id)
        elif filters["tag"] is not None:
            found = store.by_tag(tenant, str(filters["tag"]))
        else:
            found = access.listed(tenant, CONTACT, deleted=deleted)
        return self.list(caller, found, limit=limit, cursor=cursor, bound_to=filters)

    def of_account(self, caller: Caller, account_id: str, *, limit: int, cursor: str | None) -> Page[Contact]:
        """The account's live contacts by name; 404 when the tenant has no such account."""
        caller.require(self.resource, Action.READ)
        binding = pagination.fingerprint(caller.tenant_id, "accounts:contacts", {"account_id": account_id})
        position = pagination.decode_cursor(cursor, binding)
        account, page = repository.query_with_parent(
            store.of_account(caller.tenant_id, account_id), limit=limit, position=position
        )
        if position is None and account is None:
            raise NotFound(f"No account has the id {account_id}.")
        return Page(
            items=[self.out(record) for record in page.records],
            next_cursor=pagination.encode_cursor(page.next_position, binding),
        )

    def any_of_account(self, tenant_id: str, account_id: str) -> bool:
        """Whether the account has a live contact (one Query, one item)."""
        _, page = repository.query_with_parent(store.of_account(tenant_id, account_id), limit=1, position=None)
        return bool(page.records)


contacts = ContactService()
