"""Web forms: issuing and revoking the API keys that let a tenant's website forms submit leads.

A form is a record of the tenant (`T#<t>#WEBFORM#<id>`); the key's id maps back to the tenant and form through
the web form keys table (see `rapport.web_forms.store` for why that lookup is a table of its own). Both are written in
one transaction, after API Gateway has issued the key, and the key is deleted again if that write fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rapport import normalize
from rapport.auth import Action, Caller
from rapport.dal import access
from rapport.dal.repository import Guard, IndexKeys, Record, StaleVersion, UnitOfWork
from rapport.errors import Forbidden
from rapport.pagination import Page
from rapport.records import RecordService, new_id
from rapport.types import utc_now
from rapport.web_forms import gateway, store
from rapport.web_forms.manifest import WEB_FORM
from rapport.web_forms.models import WebForm, WebFormCreate, WebFormCreated, WebFormStatus, WebFormStored
from rapport.web_forms.store import WebFormKey

DEFAULTS = ("source", "campaign_id", "owner_id", "double_opt_in")  # what a form gives the leads it submits
REFUSED = "This form does not accept submissions."  # the same for no key, an unknown one and a revoked one


class WebFormService(RecordService[WebFormCreate, WebForm]):
    kind = WEB_FORM
    resource = "web_forms"
    label = "web form"
    create_model = WebFormStored
    out_model = WebForm

    def guards(self, data: Mapping[str, Any]) -> dict[Guard, str]:
        return {}

    def index_keys(self, tenant_id: str, record_id: str, data: Mapping[str, Any], *, deleted: bool) -> IndexKeys:
        return store.index_keys(tenant_id, record_id, normalize.name_key(data["name"]))

    def create(self, caller: Caller, payload: WebFormCreate) -> WebFormCreated:
        """A form and its API key; the key's value is in this answer only."""
        caller.require(self.resource, Action.CREATE)
        form_id, now = new_id(), utc_now()
        fields = payload.model_dump(mode="json", exclude_none=True)
        issued = gateway.issue_key(caller.tenant_id, form_id)
        record = Record(
            kind=self.kind,
            id=form_id,
            tenant_id=caller.tenant_id,
            data=self._validated({**fields, "api_key_id": issued.id, "status": WebFormStatus.ACTIVE}),
            created_at=now,
            created_by=caller.user_id,
            updated_at=now,
            updated_by=caller.user_id,
        )
        defaults = {name: fields[name] for name in DEFAULTS if name in fields}
        work = UnitOfWork()
        work.put_record(record, self.index_keys(caller.tenant_id, form_id, record.data, deleted=False))
        # The key's lookup item lives in a table of no tenant, which the tenant's credentials cannot write in the
        # form's transaction (rapport.dal.tenancy): it goes first, as nobody can submit with the key before this
        # answers with it, and goes away with the key if the form cannot be stored.
        try:
            store.save_key(WebFormKey(issued.id, caller.tenant_id, form_id, defaults))
            work.commit()
        except BaseException:
            store.delete_key(issued.id)
            gateway.revoke_key(issued.id)
            raise
        return WebFormCreated.model_validate({**self.out(record).model_dump(), "api_key": issued.value})

    def revoke(self, caller: Caller, form_id: str, expected_version: int | None) -> None:
        """The form stops accepting submissions at once (its key maps to nothing) and its key is deleted.

        The form stays, revoked, so the leads it submitted still name it. Revoking twice is fine. The key stops
        mapping first (its lookup item is no tenant's: it cannot be in the form's write): if the form then cannot
        be saved (412), it refuses submissions all the same until revoked again.
        """
        caller.require(self.resource, Action.DELETE)
        record = self._load(caller, form_id, expected_version)
        if record.data.get("status") == WebFormStatus.REVOKED:
            return
        api_key_id = str(record.data["api_key_id"])
        record.data = {**record.data, "status": WebFormStatus.REVOKED.value, "revoked_at": utc_now()}
        record.data["revoked_by"] = caller.user_id
        self._touch(record, caller)
        store.delete_key(api_key_id)
        work = UnitOfWork()
        work.put_record(record, self.index_keys(caller.tenant_id, form_id, record.data, deleted=False))
        try:
            work.commit()
        except StaleVersion as error:
            raise self._stale() from error
        gateway.revoke_key(api_key_id)

    def search(self, caller: Caller, *, limit: int, cursor: str | None) -> Page[WebForm]:
        """The tenant's forms by name, revoked ones included."""
        return self.list(caller, access.listed(caller.tenant_id, WEB_FORM), limit=limit, cursor=cursor, bound_to={})

    def form_of_key(self, api_key_id: str | None) -> WebFormKey:
        """The live form an API key belongs to, from a public request: a 403 telling nothing else otherwise."""
        form = store.key_of(api_key_id) if api_key_id else None
        if form is None:
            raise Forbidden(REFUSED)
        return form


web_forms = WebFormService()
