import pytest
from pydantic import ValidationError

from rapport.leads.scoring import (
    DEFAULT_RULES,
    EngagementRule,
    EngagementRules,
    FitField,
    FitRule,
    ScoringRules,
    score,
)

RULES = ScoringRules(
    fit=[
        FitRule(field=FitField.TITLE, any_of=["VP", "head"], points=30),
        FitRule(field=FitField.INDUSTRY, any_of=["Software"], points=15),
        FitRule(field=FitField.COMPANY_SIZE, any_of=["201-1000", "1001-5000"], points=20),
        FitRule(field=FitField.COUNTRY, any_of=["GB", "DE"], points=10),
        FitRule(field=FitField.COUNTRY, any_of=["KP"], points=-50),
    ],
    engagement=EngagementRules(
        activities=EngagementRule(points=5, max=20),
        web_visits=EngagementRule(points=2, max=10),
        email_replies=EngagementRule(points=10, max=30),
    ),
)


def test_a_lead_matching_nothing_scores_zero_without_reasons():
    result = score({"email": "a@b.co"}, RULES)
    assert (result.value, result.reasons) == (0, [])


def test_each_matching_fit_rule_adds_its_points_once_with_its_reason():
    lead = {"title": "Head of Sales, VP", "industry": "software", "company_size": "201-1000", "country": "GB"}
    result = score(lead, RULES)
    assert result.value == 75
    assert [(reason.kind, reason.field, reason.points) for reason in result.reasons] == [
        ("fit", "title", 30),
        ("fit", "industry", 15),
        ("fit", "company_size", 20),
        ("fit", "country", 10),
    ]
    assert result.reasons[0].detail == "title contains 'VP'"
    assert result.reasons[1].detail == "industry is 'Software'"


def test_titles_match_by_substring_and_other_fields_exactly_ignoring_case():
    assert score({"title": "Senior VP Engineering"}, RULES).value == 30
    assert score({"industry": "software engineering"}, RULES).value == 0
    assert score({"industry": "SOFTWARE"}, RULES).value == 15
    assert score({"company_size": "51-200"}, RULES).value == 0


def test_engagement_adds_points_per_event_up_to_each_kinds_cap():
    result = score({"engagement": {"activities": 2, "web_visits": 9, "email_replies": 1}}, RULES)
    assert result.value == 10 + 10 + 10
    assert [(reason.field, reason.points, reason.detail) for reason in result.reasons] == [
        ("activities", 10, "2 activities"),
        ("web_visits", 10, "9 web visits"),
        ("email_replies", 10, "1 email reply"),
    ]


def test_the_score_stays_within_0_and_100():
    assert score({"country": "KP"}, RULES).value == 0
    hot = {
        "title": "VP",
        "industry": "Software",
        "company_size": "1001-5000",
        "country": "DE",
        "engagement": {"activities": 10, "web_visits": 10, "email_replies": 10},
    }
    result = score(hot, RULES)
    assert result.value == 100
    assert sum(reason.points for reason in result.reasons) == 135  # the reasons still say what it is made of


def test_missing_or_empty_inputs_are_ignored():
    assert score({"title": "", "engagement": None}, RULES).value == 0


def test_the_default_rules_favour_senior_titles_at_larger_companies():
    assert score({"title": "Chief Technology Officer", "company_size": "201-1000"}, DEFAULT_RULES).value == 45
    assert score({"title": "Engineer", "company_size": "1-10"}, DEFAULT_RULES).value == 0


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ({"fit": [{"field": "shoe_size", "any_of": ["42"], "points": 1}]}, "fit.0.field"),
        ({"fit": [{"field": "title", "any_of": [], "points": 1}]}, "fit.0.any_of"),
        ({"fit": [{"field": "title", "any_of": ["x"], "points": 101}]}, "fit.0.points"),
        ({"engagement": {"activities": {"points": -1, "max": 10}}}, "engagement.activities.points"),
        ({"engagement": {"calls": {"points": 1, "max": 10}}}, "engagement.calls"),
    ],
)
def test_rules_are_validated(rules, field):
    with pytest.raises(ValidationError) as error:
        ScoringRules.model_validate(rules)
    assert ".".join(str(part) for part in error.value.errors()[0]["loc"]) == field
