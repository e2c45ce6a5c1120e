"""The retention workflow's decisions without I/O: whether a run starts, what the owner's task says, which order
recovers a customer, the coupon codes, the events an episode's changes make and the tenant's wait setting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from rapport.contacts.manifest import CONTACT
from rapport.dal.repository import Record
from rapport.orders import retention
from rapport.orders.churn import AnalyticsSettings, ChurnReason
from rapport.orders.episode import RetentionEpisode, RetentionStatus
from rapport.orders.manifest import CONTEXT, RETENTION
from rapport.orders.retention import Customer

SINCE = "2026-11-02T03:00:00Z"
REASON = ChurnReason(
    code="revenue_drop",
    detail="Bought 500.00 a month over the last 3 months, down 50.0 % from 1000.00 a month",
    figures={},
)


def episode(**changes: Any) -> RetentionEpisode:
    at = datetime(2026, 11, 2, 3, 5, tzinfo=UTC)
    fields: dict[str, Any] = {
        "status": RetentionStatus.OPEN,
        "since": SINCE,
        "started_at": at,
        "wait_until": at + timedelta(days=30),
        "reasons": [REASON],
        "coupon_code": "BACK-7KQ2M9XW4T",
        "execution": "run-1",
        "updated_at": at,
        "updated_by": retention.ACTOR,
    }
    return RetentionEpisode(**{**fields, **changes})


def record(record_id: str, data: dict[str, Any]) -> Record:
    return Record(CONTACT, record_id, "t", data, SINCE, "x", SINCE, "x")


def customer(status: str | None = "deserting", since: str = SINCE, kept: RetentionEpisode | None = None) -> Customer:
    standing = {"churn": {"status": status, "since": since}} if status else None
    return Customer(record("c1", {"first_name": "Rachael"}), standing, kept)


def test_a_deserting_customer_without_an_episode_starts() -> None:
    assert retention.why_not_start(customer(), SINCE, "run-1") is None


@pytest.mark.parametrize(
    ("status", "since"),
    [("at_risk", SINCE), ("lost", SINCE), ("active", SINCE), ("deserting", "2026-12-01T03:00:00Z"), (None, SINCE)],
)
def test_a_customer_no_longer_deserting_since_the_event_starts_nothing(status: str | None, since: str) -> None:
    assert retention.why_not_start(customer(status, since), SINCE, "run-1") == (
        "the customer is no longer deserting since then"
    )


def test_the_episode_started_by_another_run_starts_nothing_and_its_own_run_carries_on() -> None:
    kept = customer(kept=episode())
    assert retention.why_not_start(kept, SINCE, "run-2") == "the episode's retention already started"
    assert retention.why_not_start(kept, SINCE, "run-1") is None
    # whatever the standing says by then: the episode is the run's
    assert retention.why_not_start(customer("active", kept=episode()), SINCE, "run-1") is None


def test_an_earlier_episode_does_not_stop_a_new_one() -> None:
    earlier = episode(since="2026-05-01T03:00:00Z", status=RetentionStatus.RECOVERED, execution="run-0")
    assert retention.why_not_start(customer(kept=earlier), SINCE, "run-1") is None


def test_the_task_cites_the_reasons_and_says_what_became_of_the_offer() -> None:
    offered = retention.task_description("Rachael", episode(offer_contact_id="c1"))
    assert "Rachael is deserting since 2026-11-02T03:00:00Z" in offered
    assert "- Bought 500.00 a month over the last 3 months, down 50.0 % from 1000.00 a month" in offered
    assert "An offer with the coupon code BACK-7KQ2M9XW4T is emailed" in offered
    assert "On 2026-12-02T03:05:00Z Rapport checks" in offered
    skipped = retention.task_description("Rachael", episode(offer_skipped="the contact has no email address"))
    assert "No offer email: the contact has no email address. The coupon code BACK-7KQ2M9XW4T is kept" in skipped


def test_only_a_paid_or_fulfilled_order_recovers() -> None:
    def order(order_id: str, status: str) -> Record:
        return record(order_id, {"status": status})

    assert retention.recovering_order([order("1", "placed"), order("2", "cancelled"), order("3", "returned")]) is None
    assert retention.recovering_order([order("1", "placed"), order("2", "fulfilled"), order("3", "paid")]) == order(
        "2", "fulfilled"
    )
    assert retention.recovering_order([]) is None


def test_coupon_codes_are_long_unambiguous_and_not_repeated() -> None:
    codes = {retention.new_coupon_code() for _ in range(1000)}
    assert len(codes) == 1000
    for code in codes:
        body = code.removeprefix(retention.CODE_PREFIX)
        assert len(body) == retention.CODE_LENGTH and set(body) <= set(retention.CODE_ALPHABET)
    assert not set("01IO") & set(retention.CODE_ALPHABET)


def test_an_episode_s_changes_are_started_then_recovered_or_escalated() -> None:
    derive = CONTEXT.derivations[RETENTION.entity].derive
    opened = episode().model_dump(mode="json")
    assert derive({}, opened) == ["started"]
    assert derive(opened, {**opened, "status": "recovered"}) == ["recovered"]
    assert derive(opened, {**opened, "status": "escalated"}) == ["escalated"]
    assert derive(opened, {**opened, "updated_at": "2026-11-03T00:00:00Z"}) == []
    recovered = {**opened, "status": "recovered"}
    assert derive(recovered, {**opened, "since": "2027-03-01T03:00:00Z"}) == ["started"]


def test_the_wait_is_a_validated_tenant_setting_of_30_days_by_default() -> None:
    assert AnalyticsSettings().retention_wait_days == 30
    assert AnalyticsSettings().retention_offer_topic == "offers"
    assert AnalyticsSettings(retention_wait_days=0).retention_wait_days == 0
    for wrong in (-1, 366, "30", 1.5):
        with pytest.raises(ValidationError) as error:
            AnalyticsSettings.model_validate({"retention_wait_days": wrong})
        assert error.value.errors()[0]["loc"] == ("retention_wait_days",)
    with pytest.raises(ValidationError):
        AnalyticsSettings.model_validate({"retention_offer_topic": "not a topic!"})
