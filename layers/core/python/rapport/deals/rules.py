"""A deal's rules that need no I/O: entering a stage, what a closed deal adds to the stats and to its contacts'
lifetime values, which contact summaries a write changes, and rotting.

A deal's stored `data` holds what clients send (`DealCreate`'s fields) and what the service derives:
`status`, `probability` (the stage's, when the deal entered it), `stage_entered_at`, `closed_at`,
`last_activity_at`, and two internal fields: `rotting_days` (the pipeline's, when the deal last entered a stage)
and `closing` (what the deal added to stats and lifetime values when it closed, so a later write can take back
exactly that).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from rapport import normalize
from rapport.deals.models import CLOSED, StageStatus
from rapport.deals.store import StatsDelta
from rapport.errors import FieldError

DERIVED = ("status", "probability", "stage_entered_at", "closed_at", "last_activity_at", "rotting_days", "closing")
INTERNAL = ("rotting_days", "closing")
SUMMARY_FIELDS = ("name", "amount", "currency", "stage", "status", "close_date", "owner_id")
DAY_SECONDS = 86_400


def inputs(data: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a stored deal that clients set."""
    return {name: value for name, value in data.items() if name not in DERIVED}


def timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text)


def days_between(start: str, end: str) -> float:
    return (timestamp(end) - timestamp(start)).total_seconds() / DAY_SECONDS


def find_stage(stages: Sequence[Mapping[str, Any]], name: str) -> Mapping[str, Any] | None:
    """The stage called `name` (case- and accent-insensitively)."""
    key = normalize.name_key(name)
    return next((stage for stage in stages if normalize.name_key(stage["name"]) == key), None)


def is_rotting(data: Mapping[str, Any], now: datetime) -> bool:
    """Open, and nothing happened on it for its pipeline's `rotting_days`."""
    rotting_days = data.get("rotting_days")
    last = data.get("last_activity_at")
    if data.get("status") != StageStatus.OPEN or not rotting_days or not last:
        return False
    return bool((now - timestamp(last)).total_seconds() >= int(rotting_days) * DAY_SECONDS)


def enter_stage(
    data: dict[str, Any],
    stage: Mapping[str, Any],
    *,
    before: Mapping[str, Any] | None,
    now: str,
    actor: str,
    explicit: set[str],
) -> dict[str, Any]:
    """Move `data` into `stage` at `now`; returns the history entry of the transition.

    Entering a won or lost stage from another status sets `closed_at`, and `close_date` to that day unless the
    request sent one; entering an open stage clears `closed_at`. Either counts as activity on the deal.
    """
    status = stage["status"]
    was = before.get("status") if before else None
    data.update(stage=stage["name"], status=status, probability=stage["probability"])
    data["stage_entered_at"] = data["last_activity_at"] = now
    if status in CLOSED and status != was:
        data["closed_at"] = now
        if "close_date" not in explicit:
            data["close_date"] = now[:10]
    elif status not in CLOSED:
        data.pop("closed_at", None)
    entry: dict[str, Any] = {
        "from_stage": before.get("stage") if before else None,
        "to_stage": stage["name"],
        "pipeline_id": data["pipeline_id"],
        "status": status,
        "probability": stage["probability"],
        "at": now,
        "by": actor,
        "from_entered_at": before.get("stage_entered_at") if before else None,
    }
    if before and before.get("pipeline_id") != data["pipeline_id"]:
        entry["from_pipeline_id"] = before.get("pipeline_id")
    return entry


def stage_change_out(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A stored history entry as the API shows it."""
    out = {name: value for name, value in entry.items() if name != "from_entered_at"}
    previous = entry.get("from_entered_at")
    out.setdefault("from_stage", None)
    out["days_in_previous_stage"] = round(days_between(previous, entry["at"]), 2) if previous else None
    return out


def lost_reason_problem(data: dict[str, Any], changes: Mapping[str, Any]) -> FieldError | None:
    """A lost deal needs a reason; any other drops the one it had, and may not be sent one."""
    if data.get("status") == StageStatus.LOST:
        return None if data.get("lost_reason") else FieldError("lost_reason", "is required in a lost stage", "missing")
    if changes.get("lost_reason") is not None:
        return FieldError("lost_reason", "only a deal in a lost stage has a lost_reason", "not_lost")
    data.pop("lost_reason", None)
    return None


@dataclass(frozen=True)
class Closing:
    """What a closed deal adds to the stats of its owner for the month of its close date, and, when won, to
    the lifetime value of each of its contacts: `value` is its amount in the tenant currency when it was won."""

    status: str
    month: str
    owner_id: str
    value: str
    currency: str
    days: int

    def as_data(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def of(cls, data: Mapping[str, Any] | None) -> Closing | None:
        closing = data.get("closing") if data else None
        return cls(**closing) if closing else None


def closing_of(
    data: Mapping[str, Any],
    before: Mapping[str, Any] | None,
    *,
    created_at: str,
    tenant_value: Callable[[], tuple[Decimal, str]],
) -> Closing | None:
    """The deal's closing after a write: kept from `before` where what it depends on did not change.

    `tenant_value` gives the amount in the tenant currency and that currency (it may need the rate table).
    """
    status = data["status"]
    if status not in CLOSED:
        return None
    previous = Closing.of(before)
    same_money = before is not None and all(before.get(name) == data.get(name) for name in ("amount", "currency"))
    if previous and previous.status == status and (same_money or status == StageStatus.LOST):
        value, currency = previous.value, previous.currency
    elif status == StageStatus.WON:
        amount, currency = tenant_value()
        value = str(amount)
    else:
        value, currency = "0", previous.currency if previous else ""
    days = max(0, int(days_between(created_at, data["closed_at"])))
    return Closing(status, data["close_date"][:7], data["owner_id"], value, currency, days)


def stats_of(closing: Closing | None) -> dict[tuple[str, str], StatsDelta]:
    if closing is None:
        return {}
    if closing.status == StageStatus.WON:
        delta = StatsDelta(deals_won=1, revenue_won=Decimal(closing.value), won_days=closing.days)
    else:
        delta = StatsDelta(deals_lost=1)
    return {(closing.month, closing.owner_id): delta}


def lifetime_values_of(closing: Closing | None, contact_ids: list[str]) -> dict[str, Decimal]:
    if closing is None or closing.status != StageStatus.WON:
        return {}
    return {contact_id: Decimal(closing.value) for contact_id in contact_ids}


@dataclass
class Effects:
    """What a deal write changes besides the deal: contact summaries to put or delete, stats and lifetime
    values to add to."""

    summaries: dict[str, dict[str, Any]] = field(default_factory=dict)
    unlinked: list[str] = field(default_factory=list)
    stats: dict[tuple[str, str], StatsDelta] = field(default_factory=dict)
    lifetime_values: dict[str, Decimal] = field(default_factory=dict)
    currency: str | None = None


def summary_of(data: Mapping[str, Any]) -> dict[str, Any]:
    return {name: data.get(name) for name in SUMMARY_FIELDS}


def effects(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> Effects:
    """The changes from a deal as `before` to `after`; None for a deal that is not there or is trashed (a
    trashed deal shows in no contact's view and counts in no stats)."""
    contacts_before = list(before.get("contact_ids", [])) if before else []
    contacts_after = list(after.get("contact_ids", [])) if after else []
    result = Effects()
    if after is not None:
        changed = before is None or summary_of(before) != summary_of(after)
        summary = summary_of(after)
        result.summaries = {
            contact_id: summary for contact_id in contacts_after if changed or contact_id not in contacts_before
        }
    result.unlinked = [contact_id for contact_id in contacts_before if contact_id not in contacts_after]
    closing_before, closing_after = Closing.of(before), Closing.of(after)
    result.stats = _difference(stats_of(closing_before), stats_of(closing_after), StatsDelta())
    result.lifetime_values = _difference(
        lifetime_values_of(closing_before, contacts_before),
        lifetime_values_of(closing_after, contacts_after),
        Decimal(0),
    )
    latest = closing_after or closing_before
    result.currency = latest.currency if latest else None
    return result


def _difference(before: Mapping[Any, Any], after: Mapping[Any, Any], zero: Any) -> dict[Any, Any]:
    """after - before, per key, without the keys whose difference is zero."""
    keys = list(dict.fromkeys([*before, *after]))
    difference = {key: after.get(key, zero) + -before.get(key, zero) for key in keys}
    return {key: value for key, value in difference.items() if value != zero}
