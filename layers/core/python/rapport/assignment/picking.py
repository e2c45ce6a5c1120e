"""Pure rules of assignment: which team a lead goes to, the weighted rotation, the least loaded first, who can take
a lead now. The rotation, the load order and `is_away` serve every pool of people taking work in turns: a team's
reps taking leads, a queue's agents taking cases (rapport.cases.router)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from functools import reduce
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from rapport.assignment.models import AssignmentRules
from rapport.normalize import INSTANT_FORMAT
from rapport.users.models import UserProfile

MAX_CYCLE = 1000  # slots in one weighted rotation; larger weights are scaled down


def team_for(lead: Mapping[str, Any], rules: AssignmentRules) -> str | None:
    """The team of the first territory rule the lead matches, else the default team."""
    for rule in rules.territories:
        match = rule.match
        if match.country is not None and lead.get("country") != match.country:
            continue
        if match.industry is not None and _folded(lead.get("industry")) != _folded(match.industry):
            continue
        if match.source is not None and _folded(lead.get("source")) != _folded(match.source):
            continue
        return rule.team
    return rules.default_team


def _folded(value: Any) -> str | None:
    return value.casefold().strip() if isinstance(value, str) else None


def weight(profile: UserProfile | None) -> int:
    """A rep's share of the rotation: their capacity (max open leads), 1 when uncapped or unknown."""
    if profile is None or not profile.max_open_leads:
        return 1
    return profile.max_open_leads


def rotation(reps: Sequence[str], weights: Mapping[str, int]) -> list[str]:
    """One cycle of smooth weighted round robin: each rep appears `weight` times (after dividing by the weights'
    common divisor), spread out rather than in runs; equal weights give the plain order."""
    wanted = {rep: max(1, weights.get(rep, 1)) for rep in reps}
    divisor = reduce(math.gcd, wanted.values(), 0) or 1
    wanted = {rep: value // divisor for rep, value in wanted.items()}
    total = sum(wanted.values())
    if total > MAX_CYCLE:
        wanted = {rep: max(1, value * MAX_CYCLE // total) for rep, value in wanted.items()}
        total = sum(wanted.values())
    current = dict.fromkeys(reps, 0)
    cycle: list[str] = []
    for _ in range(total):
        for rep in reps:
            current[rep] += wanted[rep]
        chosen = max(reps, key=lambda rep: current[rep])  # the first of equals: the team's order
        current[chosen] -= total
        cycle.append(chosen)
    return cycle


def turns_from(turn: int, cycle: Sequence[str]) -> list[tuple[int, str]]:
    """The next full cycle of (turn, rep) starting at `turn`, each rep at its first slot only."""
    seen: set[str] = set()
    order: list[tuple[int, str]] = []
    for step in range(len(cycle)):
        rep = cycle[(turn + step) % len(cycle)]
        if rep not in seen:
            seen.add(rep)
            order.append((turn + step, rep))
    return order


def least_loaded(turns: Sequence[tuple[int, str]], loads: Mapping[str, int]) -> list[tuple[int, str]]:
    """`turns` (as `turns_from` gives them) fewest open items first; equals keep their turn order."""
    return sorted(turns, key=lambda turn: loads.get(turn[1], 0))


def is_away(profile: UserProfile | None, now: datetime) -> bool:
    return profile is not None and profile.away is not None and profile.away.covers(now)


class Load(NamedTuple):
    open_leads: int = 0
    today: int = 0


def unavailable(profile: UserProfile | None, load: Load, now: datetime) -> str | None:
    """Why the rep cannot take a lead now (None: they can)."""
    if profile is None:
        return "no profile"
    if is_away(profile, now):
        return "away"
    if profile.max_open_leads is not None and load.open_leads >= profile.max_open_leads:
        return "at capacity"
    if profile.daily_quota is not None and load.today >= profile.daily_quota:
        return "daily quota reached"
    return None


def rep_day(now: datetime, time_zone: str) -> str:
    """The rep's calendar day at `now` (YYYY-MM-DD), which their daily quota counts."""
    return now.astimezone(ZoneInfo(time_zone)).date().isoformat()


def deadline(now: datetime, minutes: int) -> str:
    """The SLA deadline as Step Functions' Wait takes it: UTC, `YYYY-MM-DDTHH:MM:SSZ`."""
    return (now + timedelta(minutes=minutes)).strftime(INSTANT_FORMAT)
