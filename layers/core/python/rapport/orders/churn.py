"""Deserting customers: how a customer's recent buying compares with its own past, from its value figures alone
(rapport.orders.value keeps revenue by calendar month), against the clock it is given.

- `deserting`: the average monthly revenue of the last RECENT_MONTHS complete calendar months is down by at least
  the tenant's `churn_drop_percent` from the average of the BASELINE_MONTHS complete months before them, on a
  baseline of at least `churn_min_baseline` a month, and down as much from the same months a year earlier (a
  seasonal customer buying less in the months it did last year is not deserting). The whole baseline must be
  history (on or after the first order): a newer customer has no baseline yet.
- `at_risk`: it is late, the days since its last order more than LATENESS_FACTOR times its median gap between
  orders (once it has a rhythm: rapport.orders.value.MIN_GAPS gaps).
- `lost`: no order for `lost_after_days`.

The gravest applies; its reasons carry the figures. `since` is when the status was first found, kept while it holds.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import Field, StrictInt

from rapport.consent.models import TopicName
from rapport.deals.money import Money, cents
from rapport.orders.value import CustomerValue, month_of, months_back
from rapport.types import Instant, LazyModel, StrictModel

RECENT_MONTHS = 3
BASELINE_MONTHS = 12
LATENESS_FACTOR = 2
SECONDS_PER_DAY = 86400


class PersonalFields(StrEnum):
    """How the analytics exports write names, emails, phones and addresses (rapport.analytics.export)."""

    HASH = "hash"
    DROP = "drop"


class AnalyticsSettings(StrictModel):
    churn_drop_percent: StrictInt = Field(
        default=40, ge=1, le=100, description="The drop of monthly revenue, in %, that makes a customer deserting"
    )
    churn_min_baseline: Money = Field(
        default=Decimal("100.00"),
        description="The least average monthly revenue (tenant currency) of the baseline a drop is measured on",
    )
    lost_after_days: StrictInt = Field(
        default=180, ge=1, le=3660, description="Days without an order after which a customer is lost"
    )
    retention_wait_days: StrictInt = Field(
        default=30,
        ge=0,
        le=365,
        description="Days the retention workflow gives a deserting customer after its offer before it checks whether "
        "the customer bought again (recovered) or escalates to the owner's manager; 0 checks at once",
    )
    retention_offer_topic: TopicName = Field(
        default="offers",
        description="The marketing topic (marketing settings) a contact must have opted in to by email to be sent "
        "a retention offer",
    )
    personal_fields: PersonalFields = Field(
        default=PersonalFields.HASH,
        description="How the analytics exports write names, emails, phones and addresses: hash (a keyed hash, "
        "the same for the same value, so they still join and count) or drop (left empty)",
    )


class ChurnStatus(StrEnum):
    ACTIVE = "active"
    AT_RISK = "at_risk"
    DESERTING = "deserting"
    LOST = "lost"


GRAVITY = (ChurnStatus.ACTIVE, ChurnStatus.AT_RISK, ChurnStatus.DESERTING, ChurnStatus.LOST)


class ChurnReason(LazyModel):
    code: str = Field(description="revenue_drop, late or silent")
    detail: str = Field(description="The reason in words, with its figures")
    figures: dict[str, Decimal] = Field(description="The figures the reason compares")


class Churn(LazyModel):
    status: ChurnStatus
    since: Instant = Field(description="When the status was first found (kept while it holds)")
    reasons: list[ChurnReason] = Field(default_factory=list)
    baseline: Money | None = Field(
        default=None, description=f"Average monthly revenue over the {BASELINE_MONTHS} complete months before recent"
    )
    recent: Money | None = Field(
        default=None, description=f"Average monthly revenue over the last {RECENT_MONTHS} complete months"
    )


def assess(value: CustomerValue, settings: AnalyticsSettings, now: datetime, previous: Churn | None) -> Churn:
    """The churn status of a customer of these value figures at `now`, `previous` the one found before."""
    baseline, recent = _averages(value, now)
    found = [
        (status, reason)
        for status, reason in (
            (ChurnStatus.LOST, _silent(value, settings, now)),
            (ChurnStatus.DESERTING, _dropped(value, settings, now, baseline, recent)),
            (ChurnStatus.AT_RISK, _late(value, now)),
        )
        if reason is not None
    ]
    status = max((status for status, _ in found), key=GRAVITY.index, default=ChurnStatus.ACTIVE)
    since = previous.since if previous is not None and previous.status == status else now
    return Churn(status=status, since=since, reasons=[reason for _, reason in found], baseline=baseline, recent=recent)


def _averages(value: CustomerValue, now: datetime) -> tuple[Decimal | None, Decimal | None]:
    """The average monthly revenue of the baseline and of the recent months, none before the baseline is history."""
    months = _complete_months(now)
    if value.first_order_at is None or month_of(value.first_order_at) > months[0]:
        return None, None
    return _average(value, months[:BASELINE_MONTHS]), _average(value, months[BASELINE_MONTHS:])


def _complete_months(now: datetime) -> list[str]:
    """The baseline's months then the recent ones, oldest first: the complete months before `now`'s."""
    return months_back(now, BASELINE_MONTHS + RECENT_MONTHS + 1)[:-1]


def _average(value: CustomerValue, months: list[str]) -> Decimal:
    return cents(sum((value.monthly_revenue.get(month, Decimal(0)) for month in months), Decimal(0)) / len(months))


def _dropped(
    value: CustomerValue,
    settings: AnalyticsSettings,
    now: datetime,
    baseline: Decimal | None,
    recent: Decimal | None,
) -> ChurnReason | None:
    if baseline is None or recent is None or baseline < settings.churn_min_baseline:
        return None
    drop = _drop_percent(baseline, recent)
    year_before = _average(value, _complete_months(now)[:RECENT_MONTHS])  # the baseline opens a year before recent
    if drop < settings.churn_drop_percent or _drop_percent(year_before, recent) < settings.churn_drop_percent:
        return None
    return ChurnReason(
        code="revenue_drop",
        detail=f"Bought {recent} a month over the last {RECENT_MONTHS} months, down {drop} % from {baseline} a "
        f"month over the {BASELINE_MONTHS} months before (and from {year_before} a month in the same months a "
        "year earlier)",
        figures={"baseline": baseline, "recent": recent, "drop_percent": drop, "same_months_last_year": year_before},
    )


def _drop_percent(before: Decimal, after: Decimal) -> Decimal:
    return round((before - after) * 100 / before, 1) if before > 0 else Decimal(0)


def _late(value: CustomerValue, now: datetime) -> ChurnReason | None:
    gap, days = value.median_gap_days, _days_since(value.last_order_at, now)
    if gap is None or days is None or days <= gap * LATENESS_FACTOR:
        return None
    return ChurnReason(
        code="late",
        detail=f"No order for {days} days, more than {LATENESS_FACTOR} times its usual {gap} days between orders",
        figures={"days_since_last_order": days, "median_gap_days": gap},
    )


def _silent(value: CustomerValue, settings: AnalyticsSettings, now: datetime) -> ChurnReason | None:
    days = _days_since(value.last_order_at, now)
    if days is None or days < settings.lost_after_days:
        return None
    return ChurnReason(
        code="silent",
        detail=f"No order for {days} days ({settings.lost_after_days} make a customer lost)",
        figures={"days_since_last_order": days, "lost_after_days": Decimal(settings.lost_after_days)},
    )


def _days_since(when: datetime | None, now: datetime) -> Decimal | None:
    return None if when is None else round(Decimal((now - when).total_seconds()) / SECONDS_PER_DAY, 1)
