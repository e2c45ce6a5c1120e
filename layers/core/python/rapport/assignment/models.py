"""The tenant's assignment rules (`GET/PUT /assignment-rules`) and what one assignment step reports."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, StrictInt, model_validator

from rapport.types import CountryCode, LazyModel, ShortText, StrictModel, UserId
from rapport.users.models import Team

DEFAULT_SLA_MINUTES = 60
DEFAULT_MAX_REASSIGNMENTS = 2


class TerritoryMatch(StrictModel):
    """Every field given must equal the lead's (industry and source ignore case); none given matches all."""

    country: CountryCode | None = None
    industry: ShortText | None = None
    source: ShortText | None = None


class TerritoryRule(StrictModel):
    match: TerritoryMatch
    team: Team


class AssignmentRules(StrictModel):
    territories: list[TerritoryRule] = Field(
        default_factory=list, max_length=200, description="In order: the first rule matching the lead picks the team"
    )
    default_team: Team | None = Field(default=None, description="The team of a lead no territory rule matches")
    teams: dict[Team, list[UserId]] = Field(
        default_factory=dict, description="Each team's reps in round-robin order (user ids, each once)"
    )
    response_sla_minutes: StrictInt = Field(
        default=DEFAULT_SLA_MINUTES, ge=1, le=60 * 24 * 30, description="Time the owner has to contact a new lead"
    )
    max_reassignments: StrictInt = Field(
        default=DEFAULT_MAX_REASSIGNMENTS, ge=0, le=20, description="How often a lead missing its SLA moves on"
    )

    @model_validator(mode="after")
    def _consistent(self) -> AssignmentRules:
        for team, reps in self.teams.items():
            if len(set(reps)) != len(reps):
                raise ValueError(f"team {team} lists a rep twice")
        named = {rule.team for rule in self.territories} | ({self.default_team} if self.default_team else set())
        missing = sorted(named - set(self.teams))
        if missing:
            raise ValueError(f"teams without reps: {', '.join(missing)} (list them under teams)")
        return self


class Outcome(StrEnum):
    ASSIGNED = "assigned"
    ALREADY_OWNED = "already_owned"  # someone owns it (set at creation, by hand, or by a concurrent run)
    CLOSED = "closed"  # not an open, live lead any more
    NO_TEAM = "no_team"  # no territory rule and no default team
    NO_REP = "no_rep"  # every rep of the team is away, at capacity or excluded
    CAP_REACHED = "cap_reached"  # reassigned as often as the rules allow


class Assignment(LazyModel):
    """One assignment step's result, which the state machine carries to the next steps."""

    status: Outcome
    tenant_id: str
    lead_id: str
    owner_id: str | None = None
    previous_owner_id: str | None = None
    team: str | None = None
    task_id: str | None = None
    assigned_at: str | None = None
    due_at: str | None = Field(
        default=None, description="The SLA deadline, YYYY-MM-DDTHH:MM:SSZ (a Wait's TimestampPath)"
    )
    reassignments: int = 0


class AssignRequested(LazyModel):
    """`POST /leads/{id}/assign`: the execution started for it."""

    lead_id: str
    execution_arn: str
