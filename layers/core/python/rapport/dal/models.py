"""PynamoDB models of the single table, the idempotency table, the web form keys table, the tenant registry and
the tenant slugs.

The CDK table definitions are checked against these models by tests/infra, so the two cannot drift. The models of
the two tables whose every key starts with the tenant are `TenantTable`s: their requests are signed with the bound
tenant's credentials (rapport.dal.tenancy). The web form keys and the tenant registry are looked up before any
tenant is known, or across tenants, under the function's own role; so are the tenant slugs.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pynamodb.attributes import (
    Attribute,
    BooleanAttribute,
    DiscriminatorAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    VersionAttribute,
)
from pynamodb.constants import NUMBER, PAY_PER_REQUEST_BILLING_MODE, STREAM_NEW_AND_OLD_IMAGE
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from rapport import config
from rapport.dal.connection import SessionModel
from rapport.dal.tenancy import TenantTable


def _index(name: str) -> type[GlobalSecondaryIndex[Any]]:
    """A tenant-prefixed, sparse GSI `name` on string keys `<name>pk` / `<name>sk`, projecting all."""

    class Meta:
        index_name = name
        projection = AllProjection()
        billing_mode = PAY_PER_REQUEST_BILLING_MODE

    attributes = {
        "Meta": Meta,
        f"{name}pk": UnicodeAttribute(hash_key=True),
        f"{name}sk": UnicodeAttribute(range_key=True),
    }
    return type(f"{name.capitalize()}Index", (GlobalSecondaryIndex,), attributes)


class DecimalAttribute(Attribute[Decimal]):
    """A DynamoDB Number read and written as an exact `Decimal` (NumberAttribute goes through float)."""

    attr_type = NUMBER

    def serialize(self, value: Decimal) -> str:
        return str(value)

    def deserialize(self, value: str) -> Decimal:
        return Decimal(value)


Gsi1Index = _index("gsi1")
Gsi2Index = _index("gsi2")
Gsi3Index = _index("gsi3")
Gsi4Index = _index("gsi4")


class Item(TenantTable):
    """Every item of the single table: keys, item type, and the sparse index keys."""

    class Meta:
        table_name = config.current().table_name
        billing_mode = PAY_PER_REQUEST_BILLING_MODE
        stream_view_type = STREAM_NEW_AND_OLD_IMAGE  # the outbox: every committed write becomes events

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    item_type = DiscriminatorAttribute(attr_name="type")
    tenant_id = UnicodeAttribute()

    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    gsi4pk = UnicodeAttribute(null=True)
    gsi4sk = UnicodeAttribute(null=True)

    gsi1 = Gsi1Index()
    gsi2 = Gsi2Index()
    gsi3 = Gsi3Index()
    gsi4 = Gsi4Index()


class RecordItem(Item, discriminator="record"):
    """A business record (account, contact, ...): its fields in `data`, audit trail and version beside."""

    kind = UnicodeAttribute()
    id = UnicodeAttribute()
    data = MapAttribute[str, Any](default=dict)  # type: ignore[no-untyped-call]
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()
    deleted_at = UnicodeAttribute(null=True)
    deleted_by = UnicodeAttribute(null=True)
    version = VersionAttribute()
    # The sort keys of the record's search entries, so that any write (or erase) removes those it no longer has.
    search_entries = UnicodeSetAttribute(null=True)


class SearchEntryItem(Item, discriminator="search"):
    """A copy of a live record in its own partition, shown in an index partition where one of its values (a word
    of its name, an email, a tag...) is looked up, so that a lookup is one Query that answers with records. Written
    in every write of the record (keys.py)."""

    kind = UnicodeAttribute()
    id = UnicodeAttribute()
    data = MapAttribute[str, Any](default=dict)  # type: ignore[no-untyped-call]
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()
    version = NumberAttribute()  # the record's, as of this copy
    words = UnicodeAttribute(null=True)  # for a word entry: every word of the name, each after a space


class SummaryItem(Item, discriminator="summary"):
    """A copy of what another record's reads need, kept in that record's partition (see keys.py)."""

    kind = UnicodeAttribute()
    ref_id = UnicodeAttribute()
    data = MapAttribute[str, Any](default=dict)  # type: ignore[no-untyped-call]

    def summary_data(self) -> dict[str, Any]:
        """What the summary says, as the reads that show it need it."""
        data = self.data.as_dict() if isinstance(self.data, MapAttribute) else self.data  # type: ignore[no-untyped-call]
        return dict(data)


class LifetimeValueItem(SummaryItem, discriminator="ltv"):
    """A contact's `B#LTV`: its won deals' amounts summed in `amount`, in the tenant currency (`data.currency`).

    A top-level Number so that every deal won for the contact can ADD to it in its own transaction, unread.
    """

    amount = DecimalAttribute(null=True)

    def summary_data(self) -> dict[str, Any]:
        return {**super().summary_data(), "amount": None if self.amount is None else str(self.amount)}


class CaseLinksItem(SummaryItem, discriminator="case_links"):
    """A record linked from cases, kept in another record's partition: `case_ids`, the cases that link it (a
    contact's `F#ART#<article id>`, rapport.kb.store).

    A top-level String Set so that each link and unlink ADDs or DELETEs its case in its own transaction, unread; the
    set's last case taken leaves the item without one (DynamoDB keeps no empty set), read as linked from none.
    """

    case_ids = UnicodeSetAttribute(null=True)

    def summary_data(self) -> dict[str, Any]:
        return {**super().summary_data(), "case_ids": sorted(self.case_ids or ())}


class HistoryItem(Item, discriminator="history"):
    """One stage transition of a deal, `H#<at>` in the deal's partition (see rapport.deals for `data`)."""

    data = MapAttribute[str, Any](default=dict)  # type: ignore[no-untyped-call]


class FieldChangesItem(Item, discriminator="field_changes"):
    """What one write changed in a record (rapport.field_history), in the record's history partition (keys.py):
    `changes` is JSON (`[{"field": <JSON pointer>, "before": ..., "after": ...}]`), kept exactly as the event said."""

    kind = UnicodeAttribute()
    record_id = UnicodeAttribute()
    version = NumberAttribute()
    action = UnicodeAttribute()
    actor = UnicodeAttribute()
    at = UnicodeAttribute()
    changes = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)


class StatsItem(Item, discriminator="stats"):
    """A user's counters for a month, upserted by ADD (see rapport.deals.store)."""

    user_id = UnicodeAttribute()
    month = UnicodeAttribute()
    activities = NumberAttribute(null=True)
    deals_won = NumberAttribute(null=True)
    deals_lost = NumberAttribute(null=True)
    revenue_won = DecimalAttribute(null=True)
    won_days = NumberAttribute(null=True)
    currency = UnicodeAttribute(null=True)


class SettingItem(Item, discriminator="setting"):
    """A tenant's settings document (rapport.settings), versioned like a record; `kind` names its events, `key`
    which of a kind's documents it is (a notification template's name and channel; none for a tenant's only one)."""

    kind = UnicodeAttribute(null=True)  # null on items saved before settings documents published events
    key = UnicodeAttribute(null=True)
    data = MapAttribute[str, Any](default=dict)  # type: ignore[no-untyped-call]
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()
    version = VersionAttribute()


class SettingVersionItem(Item, discriminator="setting_version"):
    """One save of a settings document: which version it made, who saved it and when, and what it changed
    (`changes`: each field's value before and after), kept in the document's history (rapport.dal.settings)."""

    version = NumberAttribute()
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()
    changes = MapAttribute[str, Any](default=dict)  # type: ignore[no-untyped-call]


class CounterItem(Item, discriminator="counter"):
    """A Number updated in place (ADD under a cap, or SET over the value read): a rep's open leads, the leads
    assigned to them on a day, an agent's open cases, a team's or a queue's round-robin turn (see
    rapport.assignment.store)."""

    value = NumberAttribute(null=True)


class CoBoughtItem(Item, discriminator="co_bought"):
    """A product's co-bought list (rapport.orders.recommendations.store): `changes` counts the changes of the product's
    pair counts (each ADDs 1 in its own transaction, unread), `top` holds the pairs with the most support (`[sku,
    support]`, best first) as they were when `changes` was `counted`; the list is current while the two are equal."""

    changes = NumberAttribute(null=True)
    counted = NumberAttribute(null=True)
    top = ListAttribute[Any](null=True)


class GuardItem(Item, discriminator="guard"):
    """Holds a unique value (email, phone, domain) for the record that owns it."""

    owner_kind = UnicodeAttribute()
    owner_id = UnicodeAttribute()


class SlotItem(Item, discriminator="slot"):
    """A staff user's 15-minute slot and the appointments booked in it: `intervals` maps each appointment's id to
    its `[starts_at, ends_at]`; `revision` counts its writes, each conditioned on the one read
    (rapport.appointments.store)."""

    intervals = MapAttribute[str, Any](default=dict)  # type: ignore[no-untyped-call]
    revision = NumberAttribute()


class IdempotencyItem(TenantTable):
    """A create's outcome under its Idempotency-Key, kept for a day so retries replay it; while it runs, the lease
    of the attempt that holds it, and what its writes made once one committed (rapport.dal.idempotency)."""

    class Meta:
        table_name = config.current().idempotency_table_name
        billing_mode = PAY_PER_REQUEST_BILLING_MODE

    pk = UnicodeAttribute(hash_key=True)
    status = UnicodeAttribute()
    request_hash = UnicodeAttribute()
    response_status = NumberAttribute(null=True)
    response_body = UnicodeAttribute(null=True)
    response_headers = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()
    lease_id = UnicodeAttribute(null=True)
    lease_until = NumberAttribute(null=True)  # epoch milliseconds: the holder's function is gone by then
    wrote = BooleanAttribute(null=True)  # set by the first write the request commits (rapport.dal.idempotency)
    created = UnicodeSetAttribute(null=True)  # `<KIND>#<id>` of the records it made


class NotificationMarkerItem(TenantTable):
    """A notification that was sent (or refused for good: status `not_sent` and the reason), under its
    tenant-prefixed dedupe key (`keys.notification_marker_pk`).

    In the idempotency table: a dedupe record with a TTL, not business data, so it neither floods the table's
    stream (the outbox) nor needs TTL on the single table. It shares the table's key and TTL attribute.
    """

    class Meta:
        table_name = config.current().idempotency_table_name
        billing_mode = PAY_PER_REQUEST_BILLING_MODE

    pk = UnicodeAttribute(hash_key=True)
    status = UnicodeAttribute(default="sent")
    channel = UnicodeAttribute()
    message_id = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    sent_at = UnicodeAttribute()
    expires_at = TTLAttribute()


class ErasureItem(TenantTable):
    """Who erased a record and when (`keys.erasure_pk`), written in the erase's transaction: the table's stream
    shows an erased record as it was, so its `erased` event takes the actor and time from here (see
    rapport.events.publisher). In the idempotency table, with its TTL: kept longer than the stream keeps records."""

    class Meta:
        table_name = config.current().idempotency_table_name
        billing_mode = PAY_PER_REQUEST_BILLING_MODE

    pk = UnicodeAttribute(hash_key=True)
    erased_by = UnicodeAttribute()
    erased_at = UnicodeAttribute()
    expires_at = TTLAttribute()


class WebFormKeyItem(SessionModel):
    """Which tenant's web form an API Gateway API key belongs to: the one lookup that cannot start from the
    tenant, so it lives in its own table (see `rapport.web_forms.store`). Gone when the form is revoked."""

    class Meta:
        table_name = config.current().web_form_keys_table_name
        billing_mode = PAY_PER_REQUEST_BILLING_MODE

    pk = UnicodeAttribute(hash_key=True)
    tenant_id = UnicodeAttribute()
    form_id = UnicodeAttribute()
    # The form's defaults for the leads it submits, copied here so a submission needs one read.
    defaults = MapAttribute[str, Any](default=dict)  # type: ignore[no-untyped-call]


class TenantItem(SessionModel):
    """A tenant that workflows serve: the registry the scheduled jobs Query (see `rapport.followups.store`)."""

    class Meta:
        table_name = config.current().tenants_table_name
        billing_mode = PAY_PER_REQUEST_BILLING_MODE

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    first_seen = UnicodeAttribute(null=True)


class TenantSlugItem(SessionModel):
    """Which tenant a public slug names: unique across tenants, so it cannot live under one tenant's keys (see
    `rapport.tenants.store`)."""

    class Meta:
        table_name = config.current().tenant_slugs_table_name
        billing_mode = PAY_PER_REQUEST_BILLING_MODE

    pk = UnicodeAttribute(hash_key=True)
    tenant_id = UnicodeAttribute()


TABLE_MODELS: tuple[type[SessionModel], ...] = (Item, IdempotencyItem, WebFormKeyItem, TenantItem, TenantSlugItem)
