"""Sales: pipelines and their stages, deals, stage history, currency rates, forecasts and performance reports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, StrictInt, StringConstraints, ValidationInfo, field_validator

from rapport import merge_patch, normalize
from rapport.deals.money import CurrencyCode, Money, Rate
from rapport.errors import FieldError
from rapport.types import (
    CustomValues,
    Day,
    LazyModel,
    Name,
    RecordId,
    RecordMeta,
    ShortText,
    SingleLine,
    StrictModel,
    UserId,
)

StageName = Annotated[str, StringConstraints(min_length=1, max_length=100), SingleLine]
LostReason = Annotated[str, StringConstraints(min_length=1, max_length=500), SingleLine]
MAX_STAGES = 30
MAX_CONTACTS = 10  # keeps a deal's every write (summaries, lifetime values) within one transaction
COMMIT_PROBABILITY = 70


class StageStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


CLOSED = frozenset({StageStatus.WON, StageStatus.LOST})


class FollowUpTask(StrictModel):
    """A task to open when a deal enters the stage (for the follow-up workflow)."""

    title: ShortText
    due_in_days: StrictInt = Field(ge=0, le=365, description="Due this many days after the deal enters the stage")


class Stage(StrictModel):
    name: StageName
    probability: StrictInt = Field(ge=0, le=100, description="Chance to win, in percent; a won stage is 100, lost 0")
    status: StageStatus = StageStatus.OPEN
    follow_up_task: FollowUpTask | None = None


Stages = Annotated[list[Stage], Field(min_length=1, max_length=MAX_STAGES, description="In pipeline order")]
RottingDays = Annotated[
    StrictInt, Field(ge=1, le=365, description="An open deal with no activity for this many days is flagged rotting")
]


class PipelineCreate(StrictModel):
    name: Name
    stages: Stages
    rotting_days: RottingDays | None = None


class Pipeline(RecordMeta):
    name: str
    stages: list[Stage]
    rotting_days: int | None = None


PipelinePatch = merge_patch.model(PipelineCreate, Pipeline)


def stage_problems(stages: Sequence[Mapping[str, Any]]) -> list[FieldError]:
    """What is wrong with a pipeline's stages as a whole: repeated names, no open stage, odd probabilities."""
    problems: list[FieldError] = []
    seen: dict[str, int] = {}
    for position, stage in enumerate(stages):
        key = normalize.name_key(stage["name"])
        if key in seen:
            problems.append(
                FieldError(
                    f"stages[{position}].name",
                    f"repeats the name of stages[{seen[key]}]; stage names are unique in a pipeline",
                    "duplicate",
                )
            )
        seen.setdefault(key, position)
        fixed = {StageStatus.WON: 100, StageStatus.LOST: 0}.get(stage["status"])
        if fixed is not None and stage["probability"] != fixed:
            problems.append(
                FieldError(f"stages[{position}].probability", f"must be {fixed} for a {stage['status']} stage")
            )
    if not any(stage["status"] == StageStatus.OPEN for stage in stages):
        problems.append(FieldError("stages", "needs at least one open stage", "no_open_stage"))
    return problems


class ContactRole(StrEnum):
    DECISION_MAKER = "decision_maker"
    ECONOMIC_BUYER = "economic_buyer"
    TECHNICAL_BUYER = "technical_buyer"
    CHAMPION = "champion"
    INFLUENCER = "influencer"
    EVALUATOR = "evaluator"
    EXECUTIVE_SPONSOR = "executive_sponsor"
    USER = "user"
    OTHER = "other"


def _distinct(values: list[str] | None) -> list[str] | None:
    if values is not None and len(set(values)) != len(values):
        raise ValueError("must not repeat a contact")
    return values


ContactIds = Annotated[list[RecordId], Field(max_length=MAX_CONTACTS)]


class DealFields(StrictModel):
    currency: CurrencyCode | None = Field(default=None, description="ISO 4217; the tenant currency if left out")
    stage: StageName | None = Field(default=None, description="A stage of the pipeline; its first if left out")
    owner_id: UserId | None = Field(default=None, description="The staff user who owns the deal; you if left out")
    account_id: RecordId | None = None
    contact_ids: ContactIds = Field(default_factory=list)
    contact_roles: dict[RecordId, ContactRole] = Field(
        default_factory=dict, description="A role for some of contact_ids: {contact id: role}"
    )
    lost_reason: LostReason | None = Field(default=None, description="Required in a lost stage, only there")
    custom: CustomValues | None = None

    @field_validator("contact_ids")
    @classmethod
    def _distinct_contacts(cls, contact_ids: list[str] | None) -> list[str] | None:
        return _distinct(contact_ids)

    @field_validator("contact_roles")
    @classmethod
    def _roles_of_linked_contacts(cls, roles: dict[str, ContactRole], info: ValidationInfo) -> dict[str, Any]:
        linked = set(info.data.get("contact_ids") or [])
        strangers = sorted(set(roles) - linked)
        if strangers:
            raise ValueError(f"names contacts that are not in contact_ids: {', '.join(strangers)}")
        return roles


class DealCreate(DealFields):
    name: Name
    amount: Money
    pipeline_id: RecordId
    close_date: Day = Field(description="Expected close date; set to the day it closes unless you send one")


class Deal(RecordMeta):
    name: str
    amount: Money
    currency: str
    pipeline_id: str
    stage: str
    close_date: date
    owner_id: str
    account_id: str | None = None
    contact_ids: list[str] = Field(default_factory=list)
    contact_roles: dict[str, ContactRole] = Field(default_factory=dict)
    lost_reason: str | None = None
    status: StageStatus
    probability: int = Field(description="The stage's probability when the deal entered it, percent")
    stage_entered_at: datetime
    closed_at: datetime | None = Field(default=None, description="When it entered a won or lost stage")
    last_activity_at: datetime = Field(description="Its creation, last stage change, or last linked activity")
    rotting: bool = Field(description="Open, and no activity for the pipeline's rotting_days")
    custom: CustomValues | None = None


DealPatch = merge_patch.model(DealCreate, Deal)


class StageChange(LazyModel):
    """One transition of a deal: stage history is data."""

    from_stage: str | None = Field(description="None for the deal's creation")
    to_stage: str
    from_pipeline_id: str | None = Field(default=None, description="Set when the deal moved between pipelines")
    pipeline_id: str
    status: StageStatus = Field(description="The status of to_stage")
    probability: int | None = Field(
        default=None,
        description="The probability of to_stage as the deal entered it, percent (null for moves recorded before "
        "it was kept)",
    )
    at: datetime
    by: str
    days_in_previous_stage: float | None = Field(description="Days spent in from_stage, two decimals")


class CurrencyRatesPut(StrictModel):
    currency: CurrencyCode = Field(description="The tenant currency: forecasts and lifetime values are in it")
    rates: dict[CurrencyCode, Rate] = Field(
        default_factory=dict,
        max_length=200,
        description='What one unit of each currency is worth in the tenant currency: {"USD": "0.92"}',
    )

    @field_validator("rates")
    @classmethod
    def _not_itself(cls, rates: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        if info.data.get("currency") in rates:
            raise ValueError("must not list the tenant currency itself")
        return rates


class CurrencyRates(LazyModel):
    currency: str
    rates: dict[str, Rate]
    version: int = Field(description="0 until an admin sets the rates")
    updated_at: datetime | None = None
    updated_by: str | None = None


class ForecastFigures(LazyModel):
    weighted: Money = Field(description="Open deals: sum of amount x probability")
    commit: Money = Field(description=f"Open deals at probability >= {COMMIT_PROBABILITY} %, unweighted")
    best_case: Money = Field(description="All open deals, unweighted")
    closed_won: Money = Field(description="Deals won")
    open_deals: int
    won_deals: int


class OwnerForecast(ForecastFigures):
    owner_id: str


class Unconverted(LazyModel):
    currency: str
    deals: int


class Forecast(LazyModel):
    period: str
    start: date
    end: date
    currency: str = Field(description="The tenant currency every figure is in")
    owner_id: str | None = None
    pipeline_id: str | None = None
    totals: ForecastFigures
    owners: list[OwnerForecast]
    unconverted: list[Unconverted] = Field(description="Deals left out: no rate for their currency")


class Performance(LazyModel):
    deals_won: int
    deals_lost: int
    revenue_won: Money
    win_rate: float | None = Field(description="Won / (won + lost), percent, one decimal; None with no closed deal")
    average_days_to_close: float | None = Field(description="Days from creation to won, averaged over won deals")
    activities: int = Field(description="Activities logged, in the period by when they happened")


class OwnerPerformance(Performance):
    owner_id: str


class SalesPerformance(LazyModel):
    period: str
    start: date
    end: date
    currency: str | None = Field(description="The tenant currency revenue was recorded in; None with no revenue")
    totals: Performance
    owners: list[OwnerPerformance]
