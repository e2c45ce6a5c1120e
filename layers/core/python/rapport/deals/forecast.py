"""Forecast and sales performance for a period (`YYYY-Qn` or `YYYY-MM`), in the tenant currency."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rapport.auth import Action, Caller, Role
from rapport.deals import store
from rapport.deals.models import (
    COMMIT_PROBABILITY,
    Forecast,
    ForecastFigures,
    OwnerForecast,
    OwnerPerformance,
    Performance,
    SalesPerformance,
    StageStatus,
    Unconverted,
)
from rapport.deals.money import cents, convert
from rapport.deals.rates import current_rates
from rapport.errors import Forbidden
from rapport.periods import period_of

SEE_EVERYONE = frozenset({Role.ADMIN, Role.MANAGER})
FORECAST = f"""Over the live deals whose close date falls in the period, in the tenant currency:
weighted = open deals' amount x probability (the stage's, when the deal entered it); commit = open deals at
probability >= {COMMIT_PROBABILITY} %, unweighted; best case = all open deals, unweighted; closed won = won deals.
Other currencies convert at the tenant's current rates; a deal whose currency has no rate is left out and
counted in `unconverted`. Managers and admins see every owner; a caller who is only `sales` sees their own."""
PERFORMANCE = """Per owner, from per-user monthly stats kept by every deal close and every activity logged: deals
won and lost (in the period by close date), revenue won (converted to the tenant currency when won), win rate =
won / (won + lost), average days from creation to won over won deals, and activities logged (by whoever logged
them, in the period by when they happened). Managers and admins see every owner; a caller who is only `sales` sees
their own."""


def scoped_owner(caller: Caller, resource: str, owner_id: str | None) -> str | None:
    """The owner a caller may see figures of: any (or all) for managers and admins, else only their own."""
    caller.require(resource, Action.READ)
    if caller.roles & SEE_EVERYONE:
        return owner_id
    if owner_id not in (None, caller.user_id):
        raise Forbidden(f"Your role sees only your own {resource}; leave out owner_id or send your own id.")
    return caller.user_id


@dataclass
class Tally:
    weighted: Decimal = Decimal(0)
    commit: Decimal = Decimal(0)
    best_case: Decimal = Decimal(0)
    closed_won: Decimal = Decimal(0)
    open_deals: int = 0
    won_deals: int = 0

    def add(self, status: str, amount: Decimal, probability: int) -> None:
        if status == StageStatus.OPEN:
            self.open_deals += 1
            self.best_case += amount
            self.weighted += amount * probability / 100
            if probability >= COMMIT_PROBABILITY:
                self.commit += amount
        elif status == StageStatus.WON:
            self.won_deals += 1
            self.closed_won += amount

    def figures(self) -> dict[str, Any]:
        return {
            "weighted": cents(self.weighted),
            "commit": cents(self.commit),
            "best_case": cents(self.best_case),
            "closed_won": cents(self.closed_won),
            "open_deals": self.open_deals,
            "won_deals": self.won_deals,
        }


@dataclass
class ForecastTally:
    totals: Tally = field(default_factory=Tally)
    owners: dict[str, Tally] = field(default_factory=dict)
    unconverted: Counter[str] = field(default_factory=Counter)


def tally(deals: Iterable[Mapping[str, Any]], currency: str, rates: Mapping[str, str]) -> ForecastTally:
    """The forecast of `deals` (stored deal data) in `currency`; sums are exact, rounded only when shown."""
    result = ForecastTally()
    for deal in deals:
        status = deal["status"]
        if status == StageStatus.LOST:
            continue
        amount = convert(Decimal(deal["amount"]), deal["currency"], currency, rates)
        if amount is None:
            result.unconverted[deal["currency"]] += 1
            continue
        probability = int(deal.get("probability", 0))
        result.totals.add(status, amount, probability)
        result.owners.setdefault(deal["owner_id"], Tally()).add(status, amount, probability)
    return result


def forecast(caller: Caller, period_text: str, *, owner_id: str | None, pipeline_id: str | None) -> Forecast:
    owner = scoped_owner(caller, "forecast", owner_id)
    period = period_of(period_text)
    table = current_rates(caller.tenant_id)
    deals = (
        record.data
        for record in store.deals_closing_between(caller.tenant_id, period.start.isoformat(), period.end.isoformat())
        if (owner is None or record.data["owner_id"] == owner)
        and (pipeline_id is None or record.data["pipeline_id"] == pipeline_id)
    )
    result = tally(deals, table.currency, table.rates)
    return Forecast(
        period=period.label,
        start=period.start,
        end=period.end,
        currency=table.currency,
        owner_id=owner,
        pipeline_id=pipeline_id,
        totals=ForecastFigures.model_validate(result.totals.figures()),
        owners=[
            OwnerForecast.model_validate({"owner_id": owner_id, **figures.figures()})
            for owner_id, figures in sorted(result.owners.items())
        ],
        unconverted=[Unconverted(currency=code, deals=count) for code, count in sorted(result.unconverted.items())],
    )


@dataclass
class Counts:
    deals_won: int = 0
    deals_lost: int = 0
    revenue_won: Decimal = Decimal(0)
    won_days: int = 0
    activities: int = 0

    def add(self, other: Counts) -> None:
        self.deals_won += other.deals_won
        self.deals_lost += other.deals_lost
        self.revenue_won += other.revenue_won
        self.won_days += other.won_days
        self.activities += other.activities

    def performance(self) -> dict[str, Any]:
        closed = self.deals_won + self.deals_lost
        return {
            "deals_won": self.deals_won,
            "deals_lost": self.deals_lost,
            "revenue_won": cents(self.revenue_won),
            "win_rate": round(100 * self.deals_won / closed, 1) if closed else None,
            "average_days_to_close": round(self.won_days / self.deals_won, 1) if self.deals_won else None,
            "activities": self.activities,
        }


def sales_performance(caller: Caller, period_text: str, *, owner_id: str | None) -> SalesPerformance:
    owner = scoped_owner(caller, "reports", owner_id)
    period = period_of(period_text)
    months = period.months
    per_owner: dict[str, Counts] = {}
    currencies: set[str] = set()
    for item in store.stats_between(caller.tenant_id, months[0], months[-1]):
        if owner is not None and item.user_id != owner:
            continue
        counts = Counts(
            deals_won=int(item.deals_won or 0),
            deals_lost=int(item.deals_lost or 0),
            revenue_won=item.revenue_won or Decimal(0),
            won_days=int(item.won_days or 0),
            activities=int(item.activities or 0),
        )
        per_owner.setdefault(item.user_id, Counts()).add(counts)
        if item.currency and counts.revenue_won:
            currencies.add(item.currency)
    totals = Counts()
    for counts in per_owner.values():
        totals.add(counts)
    ranked = sorted(per_owner.items(), key=lambda pair: (-pair[1].revenue_won, pair[0]))
    return SalesPerformance(
        period=period.label,
        start=period.start,
        end=period.end,
        currency=min(currencies) if currencies else None,
        totals=Performance.model_validate(totals.performance()),
        owners=[OwnerPerformance.model_validate({"owner_id": user, **counts.performance()}) for user, counts in ranked],
    )
