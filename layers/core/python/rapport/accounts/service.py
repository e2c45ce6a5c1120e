from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rapport import normalize
from rapport.accounts.models import Account, AccountCreate, AccountPatch
from rapport.auth import Caller
from rapport.contacts.service import contacts
from rapport.dal import keys, repository
from rapport.dal.keys import IndexKeys, Kind, UniqueField
from rapport.dal.repository import Guard, Record
from rapport.errors import Conflict
from rapport.pagination import Page
from rapport.records import RecordService, normalized_filter


class AccountService(RecordService[AccountCreate, AccountPatch, Account]):
    kind = Kind.ACCOUNT
    resource = "accounts"
    label = "account"
    create_model = AccountCreate
    out_model = Account
    owner_fields = ("owner_id",)

    def guards(self, data: Mapping[str, Any]) -> dict[Guard, str]:
        domain = data.get("domain")
        return {Guard(UniqueField.DOMAIN, domain): "domain"} if domain else {}

    def index_keys(self, tenant_id: str, record_id: str, data: Mapping[str, Any], *, deleted: bool) -> IndexKeys:
        return keys.account_index_keys(
            tenant_id, record_id, normalize.name_key(data["name"]), data.get("domain"), deleted=deleted
        )

    def update(self, caller: Caller, record_id: str, patch: AccountPatch, expected_version: int) -> Account:
        """A new name or domain is copied to the account's contacts (their 360 view shows it)."""
        account = super().update(caller, record_id, patch, expected_version)
        if patch.model_fields_set & {"name", "domain"}:
            contacts.refresh_account(caller.tenant_id, account.id, account.name, account.domain)
        return account

    def before_erase(self, caller: Caller, record: Record) -> None:
        partition = keys.children_pk(caller.tenant_id, Kind.ACCOUNT, record.id, Kind.CONTACT)
        _, contacts = repository.query_with_parent(partition, limit=1, position=None)
        if contacts.records:
            raise Conflict("The account still has contacts; move or erase them first.")

    def search(
        self, caller: Caller, *, q: str | None, domain: str | None, deleted: bool, limit: int, cursor: str | None
    ) -> Page[Account]:
        """`domain` is an exact lookup; `q` a name prefix; with neither, all accounts by name."""
        domain = normalized_filter("domain", normalize.domain, domain)
        filters = {"q": q, "domain": domain, "deleted": deleted}
        if domain is not None:
            partition = keys.lookup_pk(caller.tenant_id, Kind.ACCOUNT, UniqueField.DOMAIN, domain)
            return self.list(caller, "gsi2", partition, prefix=None, limit=limit, cursor=cursor, bound_to=filters)
        partition = keys.list_pk(caller.tenant_id, Kind.ACCOUNT, deleted=deleted)
        prefix = normalize.name_key(q) if q else None
        return self.list(caller, "gsi1", partition, prefix=prefix, limit=limit, cursor=cursor, bound_to=filters)


accounts = AccountService()
