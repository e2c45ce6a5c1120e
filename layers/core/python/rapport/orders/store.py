"""The orders' key layout and access patterns (rapport.dal.keys has the shared layout and says why this is here).

| item                            | pk                               | sk       |
|---------------------------------|----------------------------------|----------|
| order                           | T#<t>#ORD#<id>                   | A#META   |
| its timeline (rapport.timeline) | T#<t>#ORD#<id>                   | E#...    |
| number guard                    | T#<t>#UNIQ#ORDER_NUMBER#<number> | #        |
| external id guard               | T#<t>#UNIQ#ORDER_EXTERNAL#<id>   | #        |

| index | serves                                 | pk                          | sk                   |
|-------|----------------------------------------|-----------------------------|----------------------|
| gsi1  | the tenant's orders (or the trash),    | T#<t>#ORD (or #DELETED)     | <ordered at>#<id>    |
|       | newest first                           |                             |                      |
| gsi2  | a contact's orders, newest first       | T#<t>#CON#<contact>#ORD     | <ordered at>#<id>    |
| gsi3  | an account's orders, newest first      | T#<t>#ACC#<account>#ORD     | <ordered at>#<id>    |
| gsi4  | exact lookup: the order number         | T#<t>#ORD#NUMBER#<number>   | <id>                 |

In a contact's or an account's partition, `B#ORDERS` (kind `ORDERS`): the customer's value and latest orders
(rapport.orders.value), put whole by the customer value worker, only over figures computed for an earlier event
(`as_of`, the event's time): a late redelivery does not overwrite newer figures. The contact's 360 view reads it.

`<ordered at>` is canonical UTC to the second (rapport.normalize.instant), so the customer's orders sort by when
they were ordered whatever order they were recorded in. A trashed order leaves gsi2-4 (and so its customers'
value); its guards stay until it is erased. The external id's guard names the order a back office's resent order
updates (`by_external_id`: one BatchGetItem of guards for a whole batch).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pynamodb.exceptions import PutError

from rapport.accounts.manifest import ACCOUNT
from rapport.contacts.manifest import CONTACT
from rapport.contexts import Kind
from rapport.dal import keys
from rapport.dal.access import IndexQuery
from rapport.dal.keys import IndexKeys
from rapport.dal.models import GuardItem, Item, RecordItem, SummaryItem
from rapport.dal.repository import Guard, compact
from rapport.orders.manifest import ORDER

NUMBER = "ORDER_NUMBER"
EXTERNAL_ID = "ORDER_EXTERNAL"
VALUE_SK = "B#ORDERS"
VALUE_KIND = "ORDERS"


def number_guard(number: str) -> Guard:
    return Guard(NUMBER, number)


def external_id_guard(external_id: str) -> Guard:
    return Guard(EXTERNAL_ID, external_id)


def _contact_orders_pk(tenant_id: str, contact_id: str) -> str:
    return keys.children_pk(tenant_id, CONTACT, contact_id, ORDER)


def _account_orders_pk(tenant_id: str, account_id: str) -> str:
    return keys.children_pk(tenant_id, ACCOUNT, account_id, ORDER)


def _number_pk(tenant_id: str, number: str) -> str:
    return keys.value_pk(tenant_id, ORDER, "NUMBER", number)


def index_keys(
    tenant_id: str,
    order_id: str,
    *,
    number: str,
    ordered_at: str,
    contact_id: str | None,
    account_id: str | None,
    deleted: bool,
) -> IndexKeys:
    when = keys.timed_sk(ordered_at, order_id)
    listed = IndexKeys(gsi1pk=keys.list_pk(tenant_id, ORDER, deleted=deleted), gsi1sk=when)
    if deleted:
        return listed
    return IndexKeys(
        gsi1pk=listed.gsi1pk,
        gsi1sk=when,
        gsi2pk=_contact_orders_pk(tenant_id, contact_id) if contact_id else None,
        gsi2sk=when if contact_id else None,
        gsi3pk=_account_orders_pk(tenant_id, account_id) if account_id else None,
        gsi3sk=when if account_id else None,
        gsi4pk=_number_pk(tenant_id, number),
        gsi4sk=order_id,
    )


def listed(tenant_id: str, *, deleted: bool) -> IndexQuery:
    """The tenant's orders (or its trash), newest first."""
    return IndexQuery("gsi1", keys.list_pk(tenant_id, ORDER, deleted=deleted), newest_first=True)


def of_contact(tenant_id: str, contact_id: str) -> IndexQuery:
    """A contact's live orders, newest first."""
    return IndexQuery("gsi2", _contact_orders_pk(tenant_id, contact_id), newest_first=True)


def of_account(tenant_id: str, account_id: str) -> IndexQuery:
    """An account's live orders, newest first."""
    return IndexQuery("gsi3", _account_orders_pk(tenant_id, account_id), newest_first=True)


def by_number(tenant_id: str, number: str) -> IndexQuery:
    """The live order with this number, if any."""
    return IndexQuery("gsi4", _number_pk(tenant_id, number))


def by_external_id(tenant_id: str, external_ids: Iterable[str]) -> dict[str, str]:
    """The ids of the orders holding these external ids (at most 100), by external id: one BatchGetItem."""
    wanted = [(keys.guard_pk(tenant_id, EXTERNAL_ID, value), keys.GUARD_SK) for value in set(external_ids)]
    found = GuardItem.batch_get(wanted, consistent_read=True) if wanted else []
    prefix = keys.guard_pk(tenant_id, EXTERNAL_ID, "")
    return {
        item.pk.removeprefix(prefix): item.owner_id
        for item in found
        if isinstance(item, GuardItem) and item.owner_kind == ORDER.code
    }


def of_customer(tenant_id: str, kind: Kind, customer_id: str) -> IndexQuery:
    """A contact's or an account's live orders, newest first."""
    return of_contact(tenant_id, customer_id) if kind == CONTACT else of_account(tenant_id, customer_id)


def put_value(tenant_id: str, kind: Kind, customer_id: str, data: Mapping[str, Any], as_of: str) -> bool:
    """Put the customer's value figures computed for an event of time `as_of`, unless figures for a later event
    are there (then False): one conditional PutItem."""
    item = SummaryItem(
        keys.record_pk(tenant_id, kind, customer_id),
        VALUE_SK,
        tenant_id=tenant_id,
        kind=VALUE_KIND,
        ref_id=customer_id,
        data=compact({**data, "as_of": as_of}),
    )
    try:
        item.save(condition=SummaryItem.data["as_of"].does_not_exist() | (SummaryItem.data["as_of"] <= as_of))
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def customer_and_value(tenant_id: str, kind: Kind, customer_id: str) -> tuple[bool, dict[str, Any] | None]:
    """Whether the customer exists, and its value figures if it has any: one BatchGetItem."""
    partition = keys.record_pk(tenant_id, kind, customer_id)
    exists, value = False, None
    for item in Item.batch_get([(partition, keys.META_SK), (partition, VALUE_SK)], consistent_read=True):
        if isinstance(item, RecordItem):
            exists = True
        elif isinstance(item, SummaryItem):
            value = item.summary_data()
    return exists, value
