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
Beside it, `B#STANDING` (kind `STANDING`, rapport.orders.standing): its rank, tier and churn, put whole by the
daily ranking when they changed. The two writers own one item each, so neither overwrites the other's figures.
Beside them, `B#RETENTION` (kind `RETENTION`, rapport.orders.episode): the customer's latest retention episode,
put whole by the retention workflow (rapport.orders.retention), a new episode over the one before. Each episode
takes two guards in the transaction that starts it: `T#<t>#UNIQ#RETENTION#<CON or ACC>␟<id>␟<since>` (one
workflow run per customer and episode, however often the event comes) and `T#<t>#UNIQ#COUPON#<code>` (its coupon
code is the tenant's only one; the guard names the customer who holds it). The customer's erase deletes the three,
and the standing's copy by gap (`forget`, from the customer value worker).

| summary    | index | serves                                  | pk                              | sk             |
|------------|-------|-----------------------------------------|---------------------------------|----------------|
| B#ORDERS,  | gsi4  | the daily ranking's walk: each customer | T#<t>#<CON or ACC>#VALUE        | <id>␟ORDERS,   |
| B#STANDING |       | of a level, its value then its standing |                                 | <id>␟STANDING  |
| B#STANDING | gsi1  | the customers by value (a tier: prefix) | T#<t>#<CON or ACC>#RANK         | <tier>␟<rank>  |
| B#STANDING | gsi2  | the customers by churn risk             | T#<t>#<CON or ACC>#CHURN        | <risk>␟<rank>  |
| B#STANDING | gsi3  | a tier's customers by churn risk        | T#<t>#<CON or ACC>#CHURN#<tier> | <risk>␟<rank>  |
| B#GAP      | gsi1  | the customers by potential gap          | T#<t>#<CON or ACC>#GAP          | <gap>␟<rank>   |
| B#GAP      | gsi2  | a tier's customers by potential gap     | T#<t>#<CON or ACC>#GAP#<tier>   | <gap>␟<rank>   |

`<rank>` is 9 digits (rank 1 first); tiers are contiguous in rank order (rapport.orders.ranking), so the customers
by value are one Query with or without a tier. `<risk>` is the churn status's place in `standing.CHURN_RISK`
(deserting first). A value item written before the walk's index entry existed is walked after its next refresh.

`B#GAP` (kind `STANDING_BY_GAP`) is a copy of the standing placed by its potential gap (rapport.orders.potential):
the standing's four index keys are taken, so the order it adds needs an item of its own, as a record's search
entries do. `<gap>` is the gap in cents subtracted from 10^14 - 1, 14 digits (Money has at most 14), so the
largest gap comes first; a customer without a potential sorts after every gap (`~`), by rank. The ranking puts
the standing and its copy together (one TransactWriteItems); the copy's kind derives no event.
Every order can keep one RFM segment (`segment=`): a filter on `data.rfm.segment` of the same Query (it reads
`limit` + 1 entries and keeps those of the segment, so a page may hold fewer, even none, and still go on).

`<ordered at>` is canonical UTC to the second (rapport.normalize.instant), so the customer's orders sort by when
they were ordered whatever order they were recorded in. A trashed order leaves gsi2-4 (and so its customers'
value); its guards stay until it is erased. The external id's guard names the order a back office's resent order
updates (`by_external_id`: one BatchGetItem of guards for a whole batch).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any, NamedTuple

from pynamodb.exceptions import PutError

from rapport.accounts.manifest import ACCOUNT
from rapport.contacts.manifest import CONTACT
from rapport.contexts import Kind
from rapport.dal import keys
from rapport.dal.access import IndexQuery
from rapport.dal.keys import IndexKeys
from rapport.dal.models import GuardItem, Item, RecordItem, SummaryItem
from rapport.dal.repository import (
    Guard,
    Position,
    Summary,
    SummaryPage,
    UnitOfWork,
    compact,
    delete_items,
    indexed_summaries,
    summaries_page,
)
from rapport.deals.money import in_cents
from rapport.orders.manifest import CUSTOMER_STANDING, ORDER, RETENTION

NUMBER = "ORDER_NUMBER"
EXTERNAL_ID = "ORDER_EXTERNAL"
VALUE_SK = "B#ORDERS"
VALUE_KIND = "ORDERS"
STANDING_SK = "B#STANDING"
STANDING_KIND = CUSTOMER_STANDING.code
GAP_SK = "B#GAP"
GAP_KIND = "STANDING_BY_GAP"
RETENTION_SK = "B#RETENTION"
RETENTION_KIND = RETENTION.code
EPISODE, COUPON = "RETENTION", "COUPON"
WALK, BY_RANK, BY_CHURN, BY_GAP = "VALUE", "RANK", "CHURN", "GAP"
RANK_DIGITS = 9
GAP_DIGITS = 14
NO_GAP = "~"  # after every gap's digits


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
        gsi4pk=keys.ranked_pk(tenant_id, kind, WALK),
        gsi4sk=keys.name_sk(customer_id, VALUE_KIND),
    )
    try:
        item.save(condition=SummaryItem.data["as_of"].does_not_exist() | (SummaryItem.data["as_of"] <= as_of))
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


class CustomerFigures(NamedTuple):
    """What a customer's partition holds of its orders: whether it exists, and the summaries it has."""

    exists: bool
    value: dict[str, Any] | None
    standing: dict[str, Any] | None
    retention: dict[str, Any] | None


def customer_and_value(tenant_id: str, kind: Kind, customer_id: str) -> CustomerFigures:
    """Whether the customer exists, its value figures, its standing and its latest retention episode if it has
    them: one BatchGetItem."""
    partition = keys.record_pk(tenant_id, kind, customer_id)
    exists, found = False, {}
    wanted = [(partition, keys.META_SK), (partition, VALUE_SK), (partition, STANDING_SK), (partition, RETENTION_SK)]
    for item in Item.batch_get(wanted, consistent_read=True):
        if isinstance(item, RecordItem):
            exists = True
        elif isinstance(item, SummaryItem):
            found[item.sk] = item.summary_data()
    return CustomerFigures(exists, found.get(VALUE_SK), found.get(STANDING_SK), found.get(RETENTION_SK))


def churn_and_retention(tenant_id: str, customer_id: str) -> list[SummaryItem]:
    """The keys of the standing and the retention episode of the contact or account `customer_id`, in both
    partitions (an id is one kind's): to read with the customer's record in one BatchGetItem."""
    return [
        SummaryItem(keys.record_pk(tenant_id, kind, customer_id), sk)
        for kind in (CONTACT, ACCOUNT)
        for sk in (STANDING_SK, RETENTION_SK)
    ]


def stage_episode(
    work: UnitOfWork, tenant_id: str, kind: Kind, customer_id: str, data: Mapping[str, Any], *, new: bool
) -> None:
    """Put the customer's retention episode on `work`; a `new` one takes its episode's and its coupon's guards (a
    taken one fails the transaction: the episode is started already, or the code is another customer's)."""
    work.put_item(
        SummaryItem(
            keys.record_pk(tenant_id, kind, customer_id),
            RETENTION_SK,
            tenant_id=tenant_id,
            kind=RETENTION_KIND,
            ref_id=customer_id,
            data=compact(dict(data)),
        )
    )
    if not new:
        return
    episode = keys.name_sk(keys.name_sk(kind.code, customer_id), str(data["since"]))
    for field, value in ((EPISODE, episode), (COUPON, str(data["coupon_code"]))):
        guard = GuardItem(
            keys.guard_pk(tenant_id, field, value),
            keys.GUARD_SK,
            tenant_id=tenant_id,
            owner_kind=kind.code,
            owner_id=customer_id,
        )
        work.put_item(guard, Item.pk.does_not_exist())


def walked(tenant_id: str, kind: Kind) -> Iterator[tuple[str, dict[str, Any], dict[str, Any] | None]]:
    """Each customer of `kind` with value figures: its id, its figures and its standing if it has one, from ONE
    Query (paged as DynamoDB pages it), in id order."""
    pending: Summary | None = None
    for summary in indexed_summaries(IndexQuery("gsi4", keys.ranked_pk(tenant_id, kind, WALK))):
        if summary.kind == VALUE_KIND:
            if pending is not None:
                yield pending.ref_id, pending.data, None
            pending = summary
        elif pending is not None and summary.ref_id == pending.ref_id:
            yield pending.ref_id, pending.data, summary.data
            pending = None
    if pending is not None:
        yield pending.ref_id, pending.data, None


def forget(tenant_id: str, kind: Kind, customer_id: str) -> None:
    """Delete an erased customer's value, standing (and its copy by gap) and retention episode: it leaves the
    ranking's walk and the customer report. Its episode and coupon guards stay (they name no person)."""
    partition = keys.record_pk(tenant_id, kind, customer_id)
    delete_items(SummaryItem(partition, sk) for sk in (VALUE_SK, STANDING_SK, GAP_SK, RETENTION_SK))


def _gap_order(gap: Decimal | None) -> str:
    """The largest gap first, then smaller ones, then customers without a potential."""
    if gap is None:
        return NO_GAP
    return f"{10**GAP_DIGITS - 1 - in_cents(gap):0{GAP_DIGITS}d}"


def put_standing(
    tenant_id: str,
    kind: Kind,
    customer_id: str,
    data: Mapping[str, Any],
    *,
    rank: int,
    tier: str,
    risk: int,
    gap: Decimal | None,
) -> None:
    """Put the customer's standing with its index entries, and its copy by potential gap: one TransactWriteItems."""
    order = f"{rank:0{RANK_DIGITS}d}"
    by_risk = keys.name_sk(str(risk), order)
    by_gap = keys.name_sk(_gap_order(gap), order)
    partition = keys.record_pk(tenant_id, kind, customer_id)
    stored = compact(dict(data))
    work = UnitOfWork()
    work.put_item(
        SummaryItem(
            partition,
            STANDING_SK,
            tenant_id=tenant_id,
            kind=STANDING_KIND,
            ref_id=customer_id,
            data=stored,
            gsi1pk=keys.ranked_pk(tenant_id, kind, BY_RANK),
            gsi1sk=keys.name_sk(tier, order),
            gsi2pk=keys.ranked_pk(tenant_id, kind, BY_CHURN),
            gsi2sk=by_risk,
            gsi3pk=keys.ranked_pk(tenant_id, kind, BY_CHURN, tier),
            gsi3sk=by_risk,
            gsi4pk=keys.ranked_pk(tenant_id, kind, WALK),
            gsi4sk=keys.name_sk(customer_id, STANDING_KIND),
        )
    )
    work.put_item(
        SummaryItem(
            partition,
            GAP_SK,
            tenant_id=tenant_id,
            kind=GAP_KIND,
            ref_id=customer_id,
            data=stored,
            gsi1pk=keys.ranked_pk(tenant_id, kind, BY_GAP),
            gsi1sk=by_gap,
            gsi2pk=keys.ranked_pk(tenant_id, kind, BY_GAP, tier),
            gsi2sk=by_gap,
        )
    )
    work.commit()


def _of_segment(pattern: IndexQuery, segment: str | None) -> IndexQuery:
    return replace(pattern, data_equals={"rfm.segment": str(segment)}) if segment else pattern


def by_value(tenant_id: str, kind: Kind, tier: str | None, segment: str | None) -> IndexQuery:
    """The customers of `kind` by rank (of a tier, of an RFM segment)."""
    prefix = keys.key_prefix(tier) if tier else None
    return _of_segment(IndexQuery("gsi1", keys.ranked_pk(tenant_id, kind, BY_RANK), prefix=prefix), segment)


def by_churn_risk(tenant_id: str, kind: Kind, tier: str | None, segment: str | None) -> IndexQuery:
    """The customers of `kind` (of a tier, of an RFM segment) by churn risk, then rank."""
    if tier:
        return _of_segment(IndexQuery("gsi3", keys.ranked_pk(tenant_id, kind, BY_CHURN, tier)), segment)
    return _of_segment(IndexQuery("gsi2", keys.ranked_pk(tenant_id, kind, BY_CHURN)), segment)


def by_potential_gap(tenant_id: str, kind: Kind, tier: str | None, segment: str | None) -> IndexQuery:
    """The customers of `kind` (of a tier, of an RFM segment) by potential gap, largest first, then rank; those
    without a potential last."""
    if tier:
        return _of_segment(IndexQuery("gsi2", keys.ranked_pk(tenant_id, kind, BY_GAP, tier)), segment)
    return _of_segment(IndexQuery("gsi1", keys.ranked_pk(tenant_id, kind, BY_GAP)), segment)


def standings(pattern: IndexQuery, *, limit: int, position: Position | None) -> SummaryPage:
    """A page of customers' standings: ONE Query."""
    return summaries_page(pattern, limit=limit, position=position)
