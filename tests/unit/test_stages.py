from typing import Any

from rapport.deals.models import stage_problems
from rapport.deals.pipelines import retired_stages


def stage(name: str, probability: int = 10, status: str = "open") -> dict[str, Any]:
    return {"name": name, "probability": probability, "status": status}


def test_stage_rules_point_at_the_stage_at_fault():
    problems = stage_problems([stage("Demo"), stage(" demo "), stage("Won", 90, "won"), stage("Lost", 0, "lost")])
    assert [(p.field, p.code) for p in problems] == [
        ("stages[1].name", "duplicate"),
        ("stages[2].probability", "invalid"),
    ]
    assert [p.field for p in stage_problems([stage("Won", 100, "won")])] == ["stages"]
    assert stage_problems([stage("Démo"), stage("Won", 100, "won")]) == []


def test_retired_stages_are_open_stages_removed_renamed_or_closed():
    before = [stage("Demo"), stage("Proposal"), stage("Trial"), stage("Won", 100, "won")]
    after = [stage("DEMO"), stage("Offer"), stage("Trial", 100, "won")]
    assert retired_stages(before, after) == {"proposal": "Proposal", "trial": "Trial"}
