"""The campaigns' key layout and access patterns (rapport.dal.keys has the shared layout and says why this is here).

| item                                  | pk               | sk                      |
|---------------------------------------|------------------|-------------------------|
| a conversion or lead credited to it   | T#<t>#CMP#<id>   | A#ATTR#<kind>#<id>      |
| a count of its sends by status        | T#<t>#CMP#<id>   | A#COUNT#<status>        |
| campaign                              | T#<t>#CMP#<id>   | A#META                  |
| its send to a contact                 | T#<t>#CMP#<id>   | S#<contact id>          |

| index | serves                                 | pk                          | sk                |
|-------|----------------------------------------|-----------------------------|-------------------|
| gsi1  | campaigns by name (or the trash)       | T#<t>#CMP (or #DELETED)     | <name key>␟<id>   |

A send is claimed (put only if absent, status `sending`) before its message goes out, and finished (`sent`,
`skipped` or `failed`, with its count added to) in one transaction after: a contact in two of the audience's
segments, a batch retried, or a run resumed finds the claim and sends nothing again. A message whose claim was
left `sending` (the worker died between the send and the finish) is never sent again: the campaign sends at most
once to anyone, and its report counts only finished sends. The report is ONE Query from `A#COUNT#` to `A#META`.

What happens to a sent email afterwards, as SES tells it (delivered, bounced, complained) and as its tracked links
tell it (opened, clicked, unsubscribed, and apart machine_opened, machine_clicked: rapport.campaigns.tracking), is
stamped on its send (`data.<outcome>_at`) only if not stamped yet, and counted in the same transaction: a
redelivered event, a second open or click counts once.

A won deal, a placed order or a lead credited to the campaign (rapport.campaigns.attribution; kind `deal`, `order`,
`lead`) is a marker, put only if
absent, with its counters in the same transaction: `<deal|order>s@<model>` (its share, a fraction under `linear`)
and `revenue@<model>@<currency>` (its share of the revenue, in cents). The report's one Query reads them with the
counts of sends.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from rapport.campaigns.manifest import CAMPAIGN
from rapport.dal import keys, repository
from rapport.dal.access import PartitionQuery
from rapport.dal.keys import IndexKeys
from rapport.dal.models import CounterItem, Item, RecordItem, SummaryItem
from rapport.dal.repository import Record, UnitOfWork

ATTRIBUTION_PREFIX = "A#ATTR#"
COUNT_PREFIX = "A#COUNT#"
ATTRIBUTION_KIND = "CMP_ATTR"
SEND_PREFIX = "S#"
SEND_KIND = "CMP_SEND"
EXCLUSIVE = {"delivered": ("bounced",), "bounced": ("delivered",)}  # an email is one or the other


def _partition(tenant_id: str, campaign_id: str) -> str:
    return keys.record_pk(tenant_id, CAMPAIGN, campaign_id)


def index_keys(tenant_id: str, campaign_id: str, name_key: str, *, deleted: bool) -> IndexKeys:
    """gsi1: by name, or in the trash."""
    return IndexKeys(
        gsi1pk=keys.list_pk(tenant_id, CAMPAIGN, deleted=deleted), gsi1sk=keys.name_order(name_key, campaign_id)
    )


@dataclass
class CampaignRead:
    record: Record | None = None
    counts: dict[str, float] = field(default_factory=dict)  # sends by status: whole; credited conversions: shares


class Credited(Protocol):
    """A conversion (rapport.campaigns.attribution.Conversion)."""

    @property
    def kind(self) -> str: ...
    @property
    def id(self) -> str: ...
    @property
    def revenue(self) -> Decimal: ...
    @property
    def currency(self) -> str: ...


def read_campaign(tenant_id: str, campaign_id: str) -> CampaignRead:
    """ONE Query (strongly consistent): the campaign and its counts of sends by status."""
    found = Item.query(
        _partition(tenant_id, campaign_id),
        Item.sk.between(COUNT_PREFIX, keys.META_SK),
        consistent_read=True,
    )
    read = CampaignRead()
    for item in found:
        if isinstance(item, RecordItem):
            read.record = repository.record_of(item)
        elif isinstance(item, CounterItem):
            read.counts[item.sk.removeprefix(COUNT_PREFIX)] = item.value or 0
    return read


@dataclass(frozen=True)
class SendLog:
    """Where the sends of one message are kept and counted: a campaign's (`S#<contact id>`, `A#COUNT#<name>`), or
    one step's of a sequence (`S#<step>#<contact id>`, `A#COUNT#<step>#<name>`: rapport.campaigns.sequences.store)."""

    tenant_id: str
    partition: str
    step: str | None = None

    def send_sk(self, contact_id: str) -> str:
        return f"{SEND_PREFIX}{self.step}#{contact_id}" if self.step else f"{SEND_PREFIX}{contact_id}"

    def count_sk(self, name: str) -> str:
        return f"{COUNT_PREFIX}{self.step}#{name}" if self.step else f"{COUNT_PREFIX}{name}"


def campaign_log(tenant_id: str, campaign_id: str) -> SendLog:
    return SendLog(tenant_id, _partition(tenant_id, campaign_id))


def _send(log: SendLog, contact_id: str, data: Mapping[str, Any]) -> SummaryItem:
    return repository.summary_item(log.tenant_id, log.partition, log.send_sk(contact_id), SEND_KIND, contact_id, data)


def claim(log: SendLog, contact_id: str, at: str) -> bool:
    """Claim the send to the contact before its message goes out: False if it was claimed already."""
    work = UnitOfWork()
    work.put_item(_send(log, contact_id, {"status": "sending", "at": at}), Item.sk.does_not_exist())
    try:
        work.commit()
    except repository.StaleVersion:
        return False
    return True


def release(log: SendLog, contact_id: str) -> None:
    """Give up a claim whose message did not go out (SES throttled it): a later batch sends it."""
    work = UnitOfWork()
    work.delete_item(_send(log, contact_id, {}))
    work.commit()


def stage_finish(work: UnitOfWork, log: SendLog, contact_id: str, send: Mapping[str, Any], *, claimed: bool) -> None:
    """The send as it ended (`send["status"]`), and its count, in one transaction with what else it wrote; over its
    claim when `claimed`, else only if the contact has no send (the transaction then fails: StaleVersion)."""
    work.put_item(_send(log, contact_id, send), None if claimed else Item.sk.does_not_exist())
    _stage_count(work, log, str(send["status"]))


def claimed(log: SendLog, contact_ids: Iterable[str]) -> set[str]:
    """Which of `contact_ids` (at most 100) have a send, claimed or finished (one BatchGetItem)."""
    wanted = [(log.partition, log.send_sk(contact_id)) for contact_id in set(contact_ids)]
    return {item.ref_id for item in Item.batch_get(wanted) if isinstance(item, SummaryItem)} if wanted else set()


def sends(tenant_id: str, campaign_id: str) -> PartitionQuery:
    """The campaign and its sends by contact id (the campaign sorts first)."""
    return PartitionQuery(_partition(tenant_id, campaign_id), start=keys.META_SK, end=f"{SEND_PREFIX}{keys.RANGE_END}")


def send_items(tenant_id: str, campaign_id: str) -> list[Item]:
    """Every send and count of the campaign (to erase them with it)."""
    partition = _partition(tenant_id, campaign_id)
    return [
        *Item.query(partition, Item.sk.startswith(SEND_PREFIX)),
        *Item.query(partition, Item.sk.startswith(COUNT_PREFIX)),
        *Item.query(partition, Item.sk.startswith(ATTRIBUTION_PREFIX)),
    ]


def send_of(log: SendLog, contact_id: str) -> dict[str, Any] | None:
    """The contact's send (one GetItem), or None."""
    try:
        item = Item.get(log.partition, log.send_sk(contact_id))
    except Item.DoesNotExist:
        return None
    return item.summary_data() if isinstance(item, SummaryItem) else None


def record_outcome(log: SendLog, contact_id: str, outcome: str, at: str) -> bool:
    """Stamp `outcome` on the contact's send and count it: False when the send is unknown, or has the outcome
    already (or, for delivered and bounced, the other one)."""
    send = _send(log, contact_id, {})
    stamp = SummaryItem.data[f"{outcome}_at"]
    condition = Item.sk.exists() & stamp.does_not_exist()
    for exclusive in EXCLUSIVE.get(outcome, ()):
        condition &= SummaryItem.data[f"{exclusive}_at"].does_not_exist()
    work = UnitOfWork()
    work.update_item(send, [stamp.set(at)], condition)
    _stage_count(work, log, outcome)
    try:
        work.commit()
    except repository.StaleVersion:
        return False
    return True


def record_conversion(
    tenant_id: str, campaign_id: str, conversion: Credited, shares: Mapping[str, Decimal], cents: Mapping[str, int]
) -> bool:
    """Credit `conversion` to the campaign, its `shares` and `cents` of revenue under each model: False when it was
    credited before."""
    partition = _partition(tenant_id, campaign_id)
    data = {
        "kind": conversion.kind,
        "revenue": str(conversion.revenue),
        "currency": conversion.currency,
        "shares": {model: str(share) for model, share in shares.items()},
    }
    sk = f"{ATTRIBUTION_PREFIX}{conversion.kind}#{conversion.id}"
    marker = repository.summary_item(tenant_id, partition, sk, ATTRIBUTION_KIND, conversion.id, data)
    log = campaign_log(tenant_id, campaign_id)
    work = UnitOfWork()
    work.put_item(marker, Item.sk.does_not_exist())
    for model, share in shares.items():
        if not share:
            continue
        _stage_count(work, log, f"{conversion.kind}s@{model}", round(float(share), 6))
        _stage_count(work, log, f"revenue@{model}@{conversion.currency}", cents[model])
    try:
        work.commit()
    except repository.StaleVersion:
        return False
    return True


def record_lead(tenant_id: str, campaign_id: str, lead_id: str) -> bool:
    """Count a lead made for the campaign: False when it was counted before."""
    partition = _partition(tenant_id, campaign_id)
    marker = repository.summary_item(
        tenant_id, partition, f"{ATTRIBUTION_PREFIX}lead#{lead_id}", ATTRIBUTION_KIND, lead_id, {}
    )
    work = UnitOfWork()
    work.put_item(marker, Item.sk.does_not_exist())
    _stage_count(work, campaign_log(tenant_id, campaign_id), "leads_created")
    try:
        work.commit()
    except repository.StaleVersion:
        return False
    return True


def _stage_count(work: UnitOfWork, log: SendLog, name: str, by: float = 1) -> None:
    repository.stage_count(work, log.tenant_id, log.partition, log.count_sk(name), by)
