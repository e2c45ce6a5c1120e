from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rapport import normalize
from rapport.accounts import store
from rapport.accounts.manifest import ACCOUNT
from rapport.accounts.models import Account, AccountCreate
from rapport.api.filters import Combinations
from rapport.auth import Caller
from rapport.contacts.service import contacts
from rapport.dal import access
from rapport.dal.repository import Guard, IndexKeys, Record
from rapport.errors import Conflict
from rapport.pagination import Page
from rapport.records import RecordService, normalized_filter
from rapport.users import teams

# The filters of GET /accounts, each one Query (see `AccountService.search`).
FILTERS = Combinations("Accounts", ((), ("deleted",), ("q",), ("domain",)))


class AccountService(RecordService[AccountCreate, Account]):
    kind = ACCOUNT
    resource = "accounts"
    label = "account"
    create_model = AccountCreate
    out_model = Account
    owner_fields = ("owner_id",)
    ownership = teams.STAFF

    def guards(self, data: Mapping[str, Any]) -> dict[Guard, str]:
        domain = data.get("domain")
        return {store.domain_guard(domain): "domain"} if domain else {}

    def index_keys(self, tenant_id: str, record_id: str, data: Mapping[str, Any], *, deleted: bool) -> IndexKeys:
        """Listed by name (or in the trash), found by its domain and by every word of its name."""
        name = data["name"]
        words = normalize.search_words(name)
        return store.index_keys(
            tenant_id, record_id, normalize.name_key(name), words, data.get("domain"), deleted=deleted
        )

    def after_update(self, caller: Caller, record_id: str, patch: Mapping[str, Any]) -> None:
        """A new name or domain is copied to the account's contacts (their 360 view shows it)."""
        if patch.keys() & {"name", "domain"}:
            data = self._load(caller, record_id).data
            contacts.refresh_account(caller.tenant_id, record_id, data["name"], data.get("domain"))

    def before_erase(self, caller: Caller, record: Record) -> None:
        if contacts.any_of_account(caller.tenant_id, record.id):
            raise Conflict("The account still has contacts; move or erase them first.")

    def search(
        self, caller: Caller, *, q: str | None, domain: str | None, deleted: bool, limit: int, cursor: str | None
    ) -> Page[Account]:
        """`domain` is an exact lookup; `q` finds the words of names by their start; with neither, all accounts (or
        the trash) by name. One Query each."""
        domain = normalized_filter("domain", normalize.domain, domain)
        filters = {"q": q, "domain": domain, "deleted": deleted}
        FILTERS.check(filters)
        if q is not None:
            return self.find_by_name(caller, q, limit=limit, cursor=cursor, bound_to=filters)
        tenant = caller.tenant_id
        found = (
            store.by_domain(tenant, domain) if domain is not None else access.listed(tenant, ACCOUNT, deleted=deleted)
        )
        return self.list(caller, found, limit=limit, cursor=cursor, bound_to=filters)


accounts = AccountService()
