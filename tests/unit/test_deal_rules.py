from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from rapport.deals.rules import Closing, closing_of, effects, enter_stage, is_rotting, lost_reason_problem
from rapport.deals.store import StatsDelta

OPEN = {"name": "Proposal", "probability": 60, "status": "open"}
WON = {"name": "Won", "probability": 100, "status": "won"}
LOST = {"name": "Lost", "probability": 0, "status": "lost"}
T0, T1 = "2026-11-01T09:00:00.000Z", "2026-11-04T21:00:00.000Z"


def deal(**fields: Any) -> dict[str, Any]:
    return {
        "name": "Deal",
        "amount": "100.00",
        "currency": "EUR",
        "pipeline_id": "p1",
        "stage": "Proposal",
        "status": "open",
        "probability": 60,
        "close_date": "2026-12-15",
        "owner_id": "ann",
        "contact_ids": ["c1"],
        "stage_entered_at": T0,
        **fields,
    }


def test_entering_a_stage_takes_its_status_and_probability_and_records_the_transition():
    data = deal()
    before = dict(data)
    entry = enter_stage(data, WON, before=before, now=T1, actor="bob", explicit=set())
    assert (data["stage"], data["status"], data["probability"]) == ("Won", "won", 100)
    assert data["closed_at"] == data["stage_entered_at"] == data["last_activity_at"] == T1
    assert data["close_date"] == "2026-11-04"  # the day it closed, unless the request sent one
    assert entry == {
        "from_stage": "Proposal",
        "to_stage": "Won",
        "pipeline_id": "p1",
        "status": "won",
        "probability": 100,
        "at": T1,
        "by": "bob",
        "from_entered_at": T0,
    }


def test_a_close_date_sent_with_the_move_is_kept_and_reopening_clears_closed_at():
    data = deal()
    enter_stage(data, LOST, before=deal(), now=T1, actor="bob", explicit={"close_date", "stage"})
    assert data["close_date"] == "2026-12-15"
    won = dict(data)
    enter_stage(data, OPEN, before=won, now=T1, actor="bob", explicit={"stage"})
    assert "closed_at" not in data and data["status"] == "open"


def test_moving_between_pipelines_names_both():
    data = deal(pipeline_id="p2")
    entry = enter_stage(data, OPEN, before=deal(), now=T1, actor="bob", explicit=set())
    assert (entry["from_pipeline_id"], entry["pipeline_id"]) == ("p1", "p2")


def test_a_lost_deal_needs_a_reason_and_only_a_lost_deal_has_one():
    missing = lost_reason_problem(deal(status="lost"), {})
    assert missing is not None and missing.field == "lost_reason"
    assert lost_reason_problem(deal(status="lost", lost_reason="price"), {}) is None
    stray = lost_reason_problem(deal(), {"lost_reason": "price"})
    assert stray is not None and stray.code == "not_lost"
    reopened = deal(lost_reason="price")
    assert lost_reason_problem(reopened, {"stage": "Proposal"}) is None
    assert "lost_reason" not in reopened


def won_closing(value: str = "100.00", owner: str = "ann", month: str = "2026-11") -> dict[str, Any]:
    return Closing("won", month, owner, value, "EUR", 3).as_data()


def test_a_won_deal_records_its_value_in_the_tenant_currency_once():
    data = deal(status="won", closed_at=T1, close_date="2026-11-04", currency="USD")
    calls = []

    def value():
        calls.append(1)
        return Decimal("92.00"), "EUR"

    closing = closing_of(data, deal(), created_at=T0, tenant_value=value)
    assert closing == Closing("won", "2026-11", "ann", "92.00", "EUR", 3)
    data["closing"] = closing.as_data()
    again = closing_of(dict(data, owner_id="bob"), data, created_at=T0, tenant_value=value)
    assert again == Closing("won", "2026-11", "bob", "92.00", "EUR", 3)
    assert len(calls) == 1  # the owner changed, not the money: no new conversion


def test_open_deals_have_no_closing():
    assert closing_of(deal(), None, created_at=T0, tenant_value=lambda: (Decimal(0), "EUR")) is None


def test_a_new_deal_on_contacts_puts_its_summary_in_each():
    change = effects(None, deal(contact_ids=["c1", "c2"]))
    assert set(change.summaries) == {"c1", "c2"}
    assert change.summaries["c1"]["stage"] == "Proposal" and change.unlinked == []
    assert change.stats == {} and change.lifetime_values == {}


def test_a_change_of_a_summarized_field_rewrites_every_summary_other_changes_only_the_new_contacts():
    before = deal(contact_ids=["c1", "c2"])
    assert set(effects(before, dict(before, amount="5.00")).summaries) == {"c1", "c2"}
    relinked = effects(before, dict(before, contact_ids=["c2", "c3"], lost_reason=None))
    assert set(relinked.summaries) == {"c3"} and relinked.unlinked == ["c1"]


def test_winning_adds_to_stats_and_lifetime_values_and_reopening_takes_it_back():
    open_deal = deal(contact_ids=["c1", "c2"])
    won = dict(open_deal, status="won", closing=won_closing())
    win = effects(open_deal, won)
    assert win.stats == {("2026-11", "ann"): StatsDelta(deals_won=1, revenue_won=Decimal("100.00"), won_days=3)}
    assert win.lifetime_values == {"c1": Decimal("100.00"), "c2": Decimal("100.00")} and win.currency == "EUR"
    reopen = effects(won, open_deal)
    assert reopen.stats == {("2026-11", "ann"): -win.stats[("2026-11", "ann")]}
    assert reopen.lifetime_values == {"c1": Decimal("-100.00"), "c2": Decimal("-100.00")}


def test_a_won_deal_changing_owner_moves_its_stats_and_a_new_contact_gets_its_value():
    won = deal(status="won", closing=won_closing())
    moved = deal(status="won", closing=won_closing(owner="bob"), contact_ids=["c1", "c2"])
    change = effects(won, moved)
    assert change.stats == {
        ("2026-11", "ann"): StatsDelta(deals_won=-1, revenue_won=Decimal("-100.00"), won_days=-3),
        ("2026-11", "bob"): StatsDelta(deals_won=1, revenue_won=Decimal("100.00"), won_days=3),
    }
    assert change.lifetime_values == {"c2": Decimal("100.00")}


def test_won_to_lost_in_one_month_is_one_stats_update():
    change = effects(deal(closing=won_closing()), deal(closing=Closing("lost", "2026-11", "ann", "0", "", 3).as_data()))
    assert change.stats == {
        ("2026-11", "ann"): StatsDelta(deals_won=-1, deals_lost=1, revenue_won=Decimal("-100.00"), won_days=-3)
    }


def test_trashing_removes_summaries_and_contributions():
    won = deal(contact_ids=["c1"], closing=won_closing())
    change = effects(won, None)
    assert change.summaries == {} and change.unlinked == ["c1"]
    assert change.lifetime_values == {"c1": Decimal("-100.00")}


NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("fields", "rotting"),
    [
        ({"rotting_days": 7, "last_activity_at": "2026-11-15T12:00:00Z"}, True),
        ({"rotting_days": 7, "last_activity_at": "2026-11-15T12:00:01Z"}, False),
        ({"rotting_days": 7, "last_activity_at": "2026-01-01T00:00:00Z", "status": "won"}, False),
        ({"last_activity_at": "2026-01-01T00:00:00Z"}, False),
    ],
)
def test_an_open_deal_rots_after_the_pipelines_days_without_activity(fields, rotting):
    assert is_rotting(deal(**fields), NOW) is rotting
