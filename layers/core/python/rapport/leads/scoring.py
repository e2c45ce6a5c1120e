"""Lead scoring: a tenant's rules on fit and engagement give a lead a score of 0 to 100 with its reasons.

Pure: `score` reads a lead's data and the rules, nothing else, so it runs wherever a lead's inputs change
(create, update, an engagement counted) and the stored score is always the one its inputs give.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, NamedTuple

from pydantic import Field, StrictInt, StringConstraints

from rapport.types import LazyModel, SingleLine, StrictModel

MAX_SCORE = 100


class FitField(StrEnum):
    TITLE = "title"
    INDUSTRY = "industry"
    COMPANY_SIZE = "company_size"
    COUNTRY = "country"


ENGAGEMENT_ATTEMPTS = 3  # an engagement write that meets a concurrent change of the lead reads it again


class EngagementKind(StrEnum):
    """What counts as engagement. An activity linked to a lead counts as ACTIVITY, a web visit (activity type
    web) as WEB_VISIT, an inbound email (activity type email, inbound) as EMAIL_REPLY."""

    ACTIVITY = "activities"
    WEB_VISIT = "web_visits"
    EMAIL_REPLY = "email_replies"


MatchValue = Annotated[str, StringConstraints(min_length=1, max_length=100), SingleLine]


class FitRule(StrictModel):
    field: FitField
    any_of: list[MatchValue] = Field(
        min_length=1,
        max_length=50,
        description="Matches when the lead's field equals one of these (case-insensitively); for title, when "
        "the title contains one of them",
    )
    points: StrictInt = Field(
        ge=-100, le=100, description="Added once when the rule matches; negative lowers the score"
    )


class EngagementRule(StrictModel):
    points: StrictInt = Field(ge=0, le=100, description="Points per engagement of this kind")
    max: StrictInt = Field(ge=0, le=100, description="At most this many points from this kind")


class EngagementRules(StrictModel):
    activities: EngagementRule = EngagementRule(points=5, max=20)
    web_visits: EngagementRule = EngagementRule(points=2, max=10)
    email_replies: EngagementRule = EngagementRule(points=10, max=30)


class ScoringRules(StrictModel):
    """A tenant's rules. Score = fit points (each matching rule once) + engagement points, kept to 0..100."""

    fit: list[FitRule] = Field(default_factory=list, max_length=50)
    engagement: EngagementRules = Field(default_factory=EngagementRules)


DEFAULT_RULES = ScoringRules(
    fit=[
        FitRule(field=FitField.TITLE, any_of=["chief", "vp", "vice president", "head", "director"], points=25),
        FitRule(field=FitField.TITLE, any_of=["manager", "lead"], points=10),
        FitRule(field=FitField.COMPANY_SIZE, any_of=["51-200", "201-1000", "1001-5000", "5001+"], points=20),
    ]
)


class ScoreReason(LazyModel):
    kind: str = Field(description="fit or engagement")
    field: str = Field(description="The lead field or engagement counter the points come from")
    points: int
    detail: str


class Engagement(LazyModel):
    """How often a lead engaged: counted by `rapport.leads.service.record_engagement`."""

    activities: int = 0
    web_visits: int = 0
    email_replies: int = 0
    last_at: str | None = None


class Score(NamedTuple):
    value: int
    reasons: list[ScoreReason]


def score(data: Mapping[str, Any], rules: ScoringRules) -> Score:
    """The score `rules` give the lead `data` (its fields and its `engagement` counters), with its reasons."""
    reasons = [reason for rule in rules.fit if (reason := _fit(rule, data)) is not None]
    engagement = Engagement.model_validate(data.get("engagement") or {})
    for kind in EngagementKind:
        count = getattr(engagement, kind.value)
        rule: EngagementRule = getattr(rules.engagement, kind.value)
        points = min(count * rule.points, rule.max)
        if count and points:
            label = _COUNTED[kind][count != 1]
            reasons.append(ScoreReason(kind="engagement", field=kind.value, points=points, detail=f"{count} {label}"))
    total = sum(reason.points for reason in reasons)
    return Score(value=max(0, min(MAX_SCORE, total)), reasons=reasons)


_COUNTED = {
    EngagementKind.ACTIVITY: ("activity", "activities"),
    EngagementKind.WEB_VISIT: ("web visit", "web visits"),
    EngagementKind.EMAIL_REPLY: ("email reply", "email replies"),
}


def _fit(rule: FitRule, data: Mapping[str, Any]) -> ScoreReason | None:
    value = data.get(rule.field.value)
    if not isinstance(value, str) or not value:
        return None
    have = value.casefold()
    for wanted in rule.any_of:
        target = wanted.casefold()
        if (target in have) if rule.field == FitField.TITLE else (target == have):
            verb = "contains" if rule.field == FitField.TITLE else "is"
            detail = f"{rule.field.value} {verb} {wanted!r}"
            return ScoreReason(kind="fit", field=rule.field.value, points=rule.points, detail=detail)
    return None
