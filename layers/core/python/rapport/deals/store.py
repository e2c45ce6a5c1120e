"""The sales context's key layout and access patterns: pipelines, deals, their stage history, per-user monthly stats,
the deal summaries and lifetime values kept in contacts' partitions, the currency rates as deals apply them, and the
queries the forecast and reports run (rapport.dal.keys has the shared layout and says why this is here).

Sales (pipelines, deals, forecast, performance). `␟` is NAME_END; `<close>` a deal's close date (YYYY-MM-DD).

| item                          | pk                          | sk                      |
|-------------------------------|-----------------------------|-------------------------|
| pipeline, deal                | T#<t>#PIPE#<id>, T#<t>#DEAL#<id> | A#META             |
| a deal's stage history        | T#<t>#DEAL#<id>             | H#<at> (oldest first)   |
| per-user per-month stats      | T#<t>#STATS#<yyyy-mm>       | U#<user>                |

A stats item counts, for a user and a month: `activities` (one per activity the user logged, see
`count_activity`) and, for deals the user owned when they closed in that month (by close date):
`deals_won`, `deals_lost`, `revenue_won` (tenant currency, converted when the deal was won) and `won_days`
(days from creation to close, summed over won deals). The contact's `B#LTV` item (`LifetimeValueItem`) holds the
sum of its won deals in a top-level Number `amount` (tenant currency; `data.currency` names it): a Number so that
deals closing at once for one contact each ADD to it without a read.

| index | serves (sales)                     | pk                              | sk                                  |
|-------|------------------------------------|---------------------------------|-------------------------------------|
| gsi1  | pipelines by name                  | T#<t>#PIPE                      | <name key>␟<id>                     |
| gsi1  | deals by close date; forecast      | T#<t>#DEAL (or #DELETED: trash) | <close>␟<id>                        |
| gsi1  | stats by month (performance)       | T#<t>#STATS                     | <yyyy-mm>␟<user>                    |
| gsi2  | an owner's deals (+status, +pipe)  | T#<t>#DEAL#OWNER#<owner>        | <status>␟<pipeline id>␟<close>␟<id> |
| gsi3  | a pipeline's deals (+stage)        | T#<t>#DEAL#PIPE#<pipeline id>   | <stage key>␟<close>␟<id>            |
| gsi4  | deals by status (+pipeline)        | T#<t>#DEAL#STATUS#<status>      | <pipeline id>␟<close>␟<id>          |

A trashed deal stays only in its gsi1 trash partition. Each filter combination of `GET /deals` is one Query on
one of these partitions, narrowed by a sort key prefix (see `rapport.deals.service.DealService.search`).

In a contact's partition, for its 360 view: `B#DEAL#<deal id>` a deal the contact is on (kind `deal`: name,
amount, stage, status...), and `B#LTV` its lifetime value (kind `ltv`).

A live deal of an account has a search entry `S#ACC` on gsi4 `T#<t>#ACC#<account id>#DEAL` (`<close>␟<id>`): the
account's deals, since the deal's own index keys are all taken.

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

from rapport.accounts.manifest import ACCOUNT
from rapport.contacts.manifest import CONTACT
from rapport.dal import access, keys
from rapport.dal.access import IndexQuery
from rapport.dal.keys import IndexKeys, SearchEntry
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
from rapport.dal.repository import Parent, Record, UnitOfWork, compact, plain, record_of
from rapport.deals.manifest import CURRENCY_RATES, DEAL, PIPELINE

HISTORY_PREFIX = "H#"
STATS_USER_PREFIX = "U#"
DEAL_SUMMARY_PREFIX = "B#DEAL#"
LIFETIME_VALUE_SK = "B#LTV"
DEAL_SUMMARY_KIND = "deal"
LIFETIME_VALUE_KIND = "ltv"
ACCOUNT_ENTRY = "ACC"  # a deal's search entry in its account's deals
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
    item = StatsItem(stats_pk(tenant_id, month), f"{STATS_USER_PREFIX}{user_id}")
    actions: list[Action] = [
        StatsItem.item_type.set(StatsItem),
        StatsItem.tenant_id.set(tenant_id),
        StatsItem.user_id.set(user_id),
        StatsItem.month.set(month),
        StatsItem.gsi1pk.set(stats_list_pk(tenant_id)),
        StatsItem.gsi1sk.set(stats_list_sk(month, user_id)),
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
    item = LifetimeValueItem(keys.record_pk(tenant_id, CONTACT, contact_id), LIFETIME_VALUE_SK)
    actions: list[Action] = [
        LifetimeValueItem.item_type.set(LifetimeValueItem),
        LifetimeValueItem.tenant_id.set(tenant_id),
        LifetimeValueItem.kind.set(LIFETIME_VALUE_KIND),
        LifetimeValueItem.ref_id.set(contact_id),
        LifetimeValueItem.data.set({"currency": currency}),
        LifetimeValueItem.amount.add(delta),
    ]
    return ItemUpdate(item, actions)


def lifetime_value(tenant_id: str, contact_id: str) -> tuple[Decimal, str] | None:
    """The contact's lifetime value and its currency, if any deal was ever won for it."""
    try:
        item = LifetimeValueItem.get(keys.record_pk(tenant_id, CONTACT, contact_id), LIFETIME_VALUE_SK)
    except DoesNotExist:
        return None
    return item.amount or Decimal(0), str(item.data["currency"])


def deal_summary(tenant_id: str, contact_id: str, deal_id: str, data: Mapping[str, Any]) -> SummaryItem:
    """The deal as the contact's 360 view shows it, in the contact's partition."""
    return SummaryItem(
        keys.record_pk(tenant_id, CONTACT, contact_id),
        deal_summary_sk(deal_id),
        tenant_id=tenant_id,
        kind=DEAL_SUMMARY_KIND,
        ref_id=deal_id,
        data=compact(dict(data)),
    )


def no_deal_summary(tenant_id: str, contact_id: str, deal_id: str) -> SummaryItem:
    """The key of the deal's summary in the contact's partition, to delete it when the contact leaves the deal."""
    return SummaryItem(keys.record_pk(tenant_id, CONTACT, contact_id), deal_summary_sk(deal_id))


def deal_summaries(tenant_id: str, contact_id: str) -> list[SummaryItem]:
    """The deal summaries in a contact's partition (one Query)."""
    partition = keys.record_pk(tenant_id, CONTACT, contact_id)
    return [
        item for item in Item.query(partition, Item.sk.startswith(DEAL_SUMMARY_PREFIX)) if isinstance(item, SummaryItem)
    ]


def history_item(tenant_id: str, deal_id: str, at: str, data: Mapping[str, Any]) -> HistoryItem:
    return HistoryItem(
        keys.record_pk(tenant_id, DEAL, deal_id),
        history_sk(at),
        tenant_id=tenant_id,
        data=compact(dict(data)),
    )


def stage_history(work: UnitOfWork, tenant_id: str, deal_id: str, at: str, data: Mapping[str, Any]) -> None:
    """Add the deal's stage transition at `at` to `work`: a transition is recorded once (a second one at the same
    instant fails `work.commit()` with `StaleVersion`)."""
    work.put_item(history_item(tenant_id, deal_id, at, data), Item.pk.does_not_exist())


def history(
    tenant_id: str, deal_id: str, *, limit: int, position: Mapping[str, str] | None
) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
    """One Query: a page of the deal's transitions, oldest first, and where the next page starts."""
    partition = keys.record_pk(tenant_id, DEAL, deal_id)
    results = Item.query(
        partition,
        Item.sk.startswith(HISTORY_PREFIX),
        limit=limit + 1,
        page_size=limit + 1,
        last_evaluated_key={name: {"S": value} for name, value in position.items()} if position else None,
    )
    items = [item for item in results if isinstance(item, HistoryItem)]
    next_position = {"pk": partition, "sk": items[limit - 1].sk} if len(items) > limit else None
    return [plain(item.data) for item in items[:limit]], next_position


def history_items(tenant_id: str, deal_id: str) -> list[HistoryItem]:
    partition = keys.record_pk(tenant_id, DEAL, deal_id)
    return [item for item in Item.query(partition, Item.sk.startswith(HISTORY_PREFIX)) if isinstance(item, HistoryItem)]


class RateTable(NamedTuple):
    """The tenant's currency rates (rapport.deals.rates) as the deal rules apply them."""

    currency: str
    rates: dict[str, str]


def _rate_table(item: SettingItem) -> RateTable:
    data = plain(item.data)
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
            pipeline = record_of(item)
        elif isinstance(item, SettingItem):
            table = _rate_table(item)
    return pipeline, table


def deals_closing_between(tenant_id: str, start: str, end: str) -> Iterator[Record]:
    """One Query on gsi1: the tenant's live deals whose close date is in [start, end] (YYYY-MM-DD)."""
    results = Item.gsi1.query(keys.list_pk(tenant_id, DEAL), Item.gsi1sk.between(start, keys.through(end)))
    for item in results:
        if isinstance(item, RecordItem):
            yield record_of(item)


def stats_between(tenant_id: str, first_month: str, last_month: str) -> Iterator[StatsItem]:
    """One Query on gsi1: every user's stats items for the months [first_month, last_month] (YYYY-MM)."""
    results = Item.gsi1.query(stats_list_pk(tenant_id), Item.gsi1sk.between(first_month, keys.through(last_month)))
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
        _status_pk(tenant_id, "open"),
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
    results = Item.gsi4.query(_status_pk(tenant_id, status), limit=1)
    return any(True for _ in results)


def stats_pk(tenant_id: str, month: str) -> str:
    return f"{keys.tenant_prefix(tenant_id)}STATS#{month}"


def stats_list_pk(tenant_id: str) -> str:
    return f"{keys.tenant_prefix(tenant_id)}STATS"


def stats_list_sk(month: str, user_id: str) -> str:
    return f"{month}{keys.NAME_END}{user_id}"


def history_sk(at: str) -> str:
    """A deal's stage transition at `at` (ISO 8601 UTC): history sorts oldest first."""
    return f"{HISTORY_PREFIX}{at}"


def deal_summary_sk(deal_id: str) -> str:
    return f"{DEAL_SUMMARY_PREFIX}{deal_id}"


def _pipeline_pk(tenant_id: str, pipeline_id: str) -> str:
    return f"{keys.tenant_prefix(tenant_id)}{DEAL.code}#{PIPELINE.code}#{pipeline_id}"


def _status_pk(tenant_id: str, status: str) -> str:
    return f"{keys.tenant_prefix(tenant_id)}{DEAL.code}#STATUS#{status}"


def deal_index_keys(
    tenant_id: str,
    deal_id: str,
    *,
    close_date: str,
    status: str,
    owner_id: str,
    pipeline_id: str,
    stage_key: str,
    account_id: str | None,
    deleted: bool,
) -> IndexKeys:
    gsi1pk = keys.list_pk(tenant_id, DEAL, deleted=deleted)
    gsi1sk = keys.key_prefix(close_date) + deal_id
    if deleted:
        return IndexKeys(gsi1pk=gsi1pk, gsi1sk=gsi1sk)
    account = keys.children_pk(tenant_id, ACCOUNT, account_id, DEAL) if account_id else None
    return IndexKeys(
        entries=(SearchEntry(keys.search_entry_sk(ACCOUNT_ENTRY), "gsi4", account, gsi1sk),) if account else (),
        gsi1pk=gsi1pk,
        gsi1sk=gsi1sk,
        gsi2pk=keys.owner_pk(tenant_id, DEAL, owner_id),
        gsi2sk=keys.key_prefix(status, pipeline_id, close_date) + deal_id,
        gsi3pk=_pipeline_pk(tenant_id, pipeline_id),
        gsi3sk=keys.key_prefix(stage_key, close_date) + deal_id,
        gsi4pk=_status_pk(tenant_id, status),
        gsi4sk=keys.key_prefix(pipeline_id, close_date) + deal_id,
    )


def pipeline_index_keys(tenant_id: str, pipeline_id: str, name_key: str) -> IndexKeys:
    return IndexKeys(gsi1pk=keys.list_pk(tenant_id, PIPELINE), gsi1sk=keys.name_sk(name_key, pipeline_id))


def deals_by_close_date(tenant_id: str, *, deleted: bool = False) -> IndexQuery:
    return IndexQuery("gsi1", keys.list_pk(tenant_id, DEAL, deleted=deleted))


def deals_of_owner(tenant_id: str, owner_id: str, status: str | None, pipeline_id: str | None) -> IndexQuery:
    """An owner's deals, in a status (and a pipeline) if given."""
    parts = [part for part in (status, pipeline_id) if part is not None]
    return IndexQuery("gsi2", keys.owner_pk(tenant_id, DEAL, owner_id), prefix=keys.key_prefix(*parts) or None)


def deals_in_status(tenant_id: str, status: str, pipeline_id: str | None) -> IndexQuery:
    return IndexQuery(
        "gsi4", _status_pk(tenant_id, status), prefix=keys.key_prefix(pipeline_id) if pipeline_id else None
    )


def deals_of_pipeline(tenant_id: str, pipeline_id: str, stage_key: str | None) -> IndexQuery:
    prefix = keys.key_prefix(stage_key) if stage_key else None
    return IndexQuery("gsi3", _pipeline_pk(tenant_id, pipeline_id), prefix=prefix)


def deals_of_account(tenant_id: str, account_id: str) -> IndexQuery:
    return access.children(tenant_id, ACCOUNT, account_id, DEAL)


def open_deals(tenant_id: str) -> IndexQuery:
    """Every open deal of the tenant (the daily digest's rotting deals)."""
    return IndexQuery("gsi4", _status_pk(tenant_id, "open"))
