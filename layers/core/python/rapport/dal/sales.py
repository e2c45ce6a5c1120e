"""Sales items beside the records: stage history, per-user monthly stats, contact summaries of deals, lifetime
values, the currency rates as deals apply them, and the queries the forecast and reports run. Key layout: see keys.py.

For other contexts (activities): `count_activity` and `touch_deal_activity` build updates to add to a
`UnitOfWork`, so the activity and its effects commit in one transaction:

    work.update_item(*count_activity(tenant_id, user_id, at))
    work.update_item(*touch_deal_activity(tenant_id, deal_id, at, actor, deal.entries))
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from rapport.contacts.manifest import CONTACT
from rapport.dal import keys
from rapport.dal.models import (
    HistoryItem,
    Item,
    LifetimeValueItem,
    RecordItem,
    SearchEntryItem,
    SettingItem,
    StatsItem,
    SummaryItem,
)
from rapport.dal.repository import Parent, Record, _compact, _from_item, _plain
from rapport.deals.manifest import CURRENCY_RATES, DEAL, PIPELINE

_MONTH_OF = re.compile(r"^(\d{4}-(?:0[1-9]|1[0-2]))-\d{2}")


class ItemUpdate(NamedTuple):
    """An UpdateItem for a `UnitOfWork`: `work.update_item(*update)`."""

    item: Item
    actions: list[Action]
    condition: Condition | None = None
    parent: Parent | None = None


@dataclass(frozen=True)
class StatsDelta:
    """What to add to a user's stats for a month (negative to take back)."""

    activities: int = 0
    deals_won: int = 0
    deals_lost: int = 0
    revenue_won: Decimal = Decimal(0)
    won_days: int = 0

    def __add__(self, other: StatsDelta) -> StatsDelta:
        return StatsDelta(
            self.activities + other.activities,
            self.deals_won + other.deals_won,
            self.deals_lost + other.deals_lost,
            self.revenue_won + other.revenue_won,
            self.won_days + other.won_days,
        )

    def __neg__(self) -> StatsDelta:
        return StatsDelta(-self.activities, -self.deals_won, -self.deals_lost, -self.revenue_won, -self.won_days)

    @property
    def is_zero(self) -> bool:
        return self == StatsDelta()


def month_of(at: str) -> str:
    """YYYY-MM of an ISO 8601 date or timestamp."""
    matched = _MONTH_OF.match(at)
    if not matched:
        raise ValueError(f"{at!r} is not an ISO 8601 date or timestamp")
    return matched.group(1)


def stats_update(
    tenant_id: str, month: str, user_id: str, delta: StatsDelta, currency: str | None = None
) -> ItemUpdate:
    """Upsert the user's stats item for `month`, adding `delta`; `currency` records revenue's currency."""
    item = StatsItem(keys.stats_pk(tenant_id, month), keys.stats_sk(user_id))
    actions: list[Action] = [
        StatsItem.item_type.set(StatsItem),
        StatsItem.tenant_id.set(tenant_id),
        StatsItem.user_id.set(user_id),
        StatsItem.month.set(month),
        StatsItem.gsi1pk.set(keys.stats_list_pk(tenant_id)),
        StatsItem.gsi1sk.set(keys.stats_list_sk(month, user_id)),
    ]
    for attribute, value in (
        (StatsItem.activities, delta.activities),
        (StatsItem.deals_won, delta.deals_won),
        (StatsItem.deals_lost, delta.deals_lost),
        (StatsItem.won_days, delta.won_days),
    ):
        if value:
            actions.append(attribute.add(value))
    if delta.revenue_won:
        actions.append(StatsItem.revenue_won.add(delta.revenue_won))
    if currency:
        actions.append(StatsItem.currency.set(currency))
    return ItemUpdate(item, actions)


def count_activity(tenant_id: str, user_id: str, at: str) -> ItemUpdate:
    """Count one activity logged by `user_id` at `at` (ISO 8601) in their stats for that month."""
    return stats_update(tenant_id, month_of(at), user_id, StatsDelta(activities=1))


def touch_deal_activity(
    tenant_id: str, deal_id: str, at: str, actor: str, entries: frozenset[str] = frozenset()
) -> ItemUpdate:
    """Set the deal's `last_activity_at` to `at` (pass when the activity was logged, so it only moves forward): a
    change of the deal by `actor`, at `at` (its `updated_by`, `updated_at`: who and when its event says), without a
    version condition, so that activities logged at once on one deal all land; `touch_deal_entries` does the same to
    the copies in its search `entries` (as read), in the same transaction.

    The deal gets a new version (its ETag changes, a stale edit is a 412 rather than undoing this). The update
    fails, as `ParentMissing(Parent(DEAL, deal_id))`, when the deal does not exist or is trashed, or when its
    search entries are no longer those read (a write moved them meanwhile: read it again).
    """
    item = RecordItem(keys.record_pk(tenant_id, DEAL, deal_id), keys.META_SK)
    item.version = 0  # any known version makes PynamoDB add 1 to the stored one (no version condition is sent)
    condition = RecordItem.pk.exists() & RecordItem.deleted_at.does_not_exist()
    for sk in entries:
        condition &= RecordItem.search_entries.contains(sk)
    if not entries:
        condition &= RecordItem.search_entries.does_not_exist()
    return ItemUpdate(item, _touched(RecordItem, at, actor), condition, Parent(DEAL, deal_id))


def touch_deal_entries(tenant_id: str, deal_id: str, at: str, actor: str, entries: frozenset[str]) -> list[ItemUpdate]:
    """`touch_deal_activity` for the copies of the deal in its search entries: their version goes up with the
    deal's."""
    updates = []
    for sk in sorted(entries):
        entry = SearchEntryItem(keys.record_pk(tenant_id, DEAL, deal_id), sk)
        actions = [*_touched(SearchEntryItem, at, actor), SearchEntryItem.version.add(1)]
        updates.append(ItemUpdate(entry, actions, SearchEntryItem.pk.exists()))
    return updates


def _touched(model: type[RecordItem] | type[SearchEntryItem], at: str, actor: str) -> list[Action]:
    return [model.data["last_activity_at"].set(at), model.updated_at.set(at), model.updated_by.set(actor)]


def lifetime_value_update(tenant_id: str, contact_id: str, delta: Decimal, currency: str) -> ItemUpdate:
    """Add `delta` (tenant currency) to the contact's lifetime value, creating its `B#LTV` item if needed."""
    item = LifetimeValueItem(keys.record_pk(tenant_id, CONTACT, contact_id), keys.LIFETIME_VALUE_SK)
    actions: list[Action] = [
        LifetimeValueItem.item_type.set(LifetimeValueItem),
        LifetimeValueItem.tenant_id.set(tenant_id),
        LifetimeValueItem.kind.set("ltv"),
        LifetimeValueItem.ref_id.set(contact_id),
        LifetimeValueItem.data.set({"currency": currency}),
        LifetimeValueItem.amount.add(delta),
    ]
    return ItemUpdate(item, actions)


def lifetime_value(tenant_id: str, contact_id: str) -> tuple[Decimal, str] | None:
    """The contact's lifetime value and its currency, if any deal was ever won for it."""
    try:
        item = LifetimeValueItem.get(keys.record_pk(tenant_id, CONTACT, contact_id), keys.LIFETIME_VALUE_SK)
    except DoesNotExist:
        return None
    return item.amount or Decimal(0), str(item.data["currency"])


def deal_summary(tenant_id: str, contact_id: str, deal_id: str, data: Mapping[str, Any]) -> SummaryItem:
    """The deal as the contact's 360 view shows it, in the contact's partition."""
    return SummaryItem(
        keys.record_pk(tenant_id, CONTACT, contact_id),
        keys.deal_summary_sk(deal_id),
        tenant_id=tenant_id,
        kind="deal",
        ref_id=deal_id,
        data=_compact(dict(data)),
    )


def deal_summaries(tenant_id: str, contact_id: str) -> list[SummaryItem]:
    """The deal summaries in a contact's partition (one Query)."""
    partition = keys.record_pk(tenant_id, CONTACT, contact_id)
    return [
        item
        for item in Item.query(partition, Item.sk.startswith(keys.DEAL_SUMMARY_PREFIX))
        if isinstance(item, SummaryItem)
    ]


def history_item(tenant_id: str, deal_id: str, at: str, data: Mapping[str, Any]) -> HistoryItem:
    return HistoryItem(
        keys.record_pk(tenant_id, DEAL, deal_id),
        keys.history_sk(at),
        tenant_id=tenant_id,
        data=_compact(dict(data)),
    )


def history(
    tenant_id: str, deal_id: str, *, limit: int, position: Mapping[str, str] | None
) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
    """One Query: a page of the deal's transitions, oldest first, and where the next page starts."""
    partition = keys.record_pk(tenant_id, DEAL, deal_id)
    results = Item.query(
        partition,
        Item.sk.startswith(keys.HISTORY_PREFIX),
        limit=limit + 1,
        page_size=limit + 1,
        last_evaluated_key={name: {"S": value} for name, value in position.items()} if position else None,
    )
    items = [item for item in results if isinstance(item, HistoryItem)]
    next_position = {"pk": partition, "sk": items[limit - 1].sk} if len(items) > limit else None
    return [_plain(item.data) for item in items[:limit]], next_position


def history_items(tenant_id: str, deal_id: str) -> list[HistoryItem]:
    partition = keys.record_pk(tenant_id, DEAL, deal_id)
    return [
        item for item in Item.query(partition, Item.sk.startswith(keys.HISTORY_PREFIX)) if isinstance(item, HistoryItem)
    ]


@dataclass(frozen=True)
class RateTable:
    """The tenant's currency rates (rapport.deals.rates) as the deal rules apply them."""

    currency: str
    rates: dict[str, str]


def _rate_table(item: SettingItem) -> RateTable:
    data = _plain(item.data)
    return RateTable(currency=data["currency"], rates=dict(data.get("rates", {})))


def pipeline_and_rates(
    tenant_id: str, pipeline_id: str | None, *, rates: bool
) -> tuple[Record | None, RateTable | None]:
    """One BatchGetItem: the pipeline (if asked and live) and the rate table (if asked and set)."""
    wanted: list[tuple[str, str]] = []
    if pipeline_id:
        wanted.append((keys.record_pk(tenant_id, PIPELINE, pipeline_id), keys.META_SK))
    if rates:
        wanted.append(keys.settings_document_key(tenant_id, CURRENCY_RATES))
    pipeline, table = None, None
    for item in Item.batch_get(wanted, consistent_read=True) if wanted else []:
        if isinstance(item, RecordItem) and item.deleted_at is None:
            pipeline = _from_item(item)
        elif isinstance(item, SettingItem):
            table = _rate_table(item)
    return pipeline, table


def deals_closing_between(tenant_id: str, start: str, end: str) -> Iterator[Record]:
    """One Query on gsi1: the tenant's live deals whose close date is in [start, end] (YYYY-MM-DD)."""
    results = Item.gsi1.query(keys.list_pk(tenant_id, DEAL), Item.gsi1sk.between(start, keys.through(end)))
    for item in results:
        if isinstance(item, RecordItem):
            yield _from_item(item)


def stats_between(tenant_id: str, first_month: str, last_month: str) -> Iterator[StatsItem]:
    """One Query on gsi1: every user's stats items for the months [first_month, last_month] (YYYY-MM)."""
    results = Item.gsi1.query(keys.stats_list_pk(tenant_id), Item.gsi1sk.between(first_month, keys.through(last_month)))
    for item in results:
        if isinstance(item, StatsItem):
            yield item


def open_deals_in_stages(tenant_id: str, pipeline_id: str, stage_keys: list[str]) -> Counter[str]:
    """One Query on gsi4 (the pipeline's open deals): how many are in each of the stages `stage_keys`.

    Reads the index, which is eventually consistent: a deal moved in the last instant may be missed.
    """
    if not stage_keys:
        return Counter()
    in_stages = Item.gsi3sk.startswith(keys.key_prefix(stage_keys[0]))
    for stage_key in stage_keys[1:]:
        in_stages |= Item.gsi3sk.startswith(keys.key_prefix(stage_key))
    results = Item.gsi4.query(
        keys.deal_status_pk(tenant_id, "open"),
        Item.gsi4sk.startswith(keys.key_prefix(pipeline_id)),
        filter_condition=in_stages,
    )
    counts: Counter[str] = Counter()
    for item in results:
        stage_key = (item.gsi3sk or "").split(keys.NAME_END, 1)[0]
        counts[stage_key] += 1
    return counts


def any_deal_with_status(tenant_id: str, status: str) -> bool:
    """One Query on gsi4, one item at most."""
    results = Item.gsi4.query(keys.deal_status_pk(tenant_id, status), limit=1)
    return any(True for _ in results)
