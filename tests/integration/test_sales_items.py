"""The sales items other contexts write through the dal: activity counts, lifetime values."""

from decimal import Decimal

import pytest

from rapport.dal.repository import UnitOfWork
from rapport.deals import store as sales

TENANT = "tenant-a"


def commit(*updates: sales.ItemUpdate) -> None:
    work = UnitOfWork()
    for update in updates:
        work.update_item(*update)
    work.commit()


def test_count_activity_counts_in_the_users_stats_for_the_month_of_its_timestamp():
    commit(sales.count_activity(TENANT, "ann", "2026-02-28T23:59:59.999Z"))
    commit(
        sales.count_activity(TENANT, "ann", "2026-02-01T00:00:00Z"), sales.count_activity(TENANT, "bob", "2026-02-03")
    )
    commit(sales.count_activity(TENANT, "ann", "2026-03-01T00:00:00Z"))
    february = {item.user_id: item for item in sales.stats_between(TENANT, "2026-02", "2026-02")}
    assert {user: item.activities for user, item in february.items()} == {"ann": 2, "bob": 1}
    assert (february["ann"].month, february["ann"].tenant_id) == ("2026-02", TENANT)
    assert february["ann"].revenue_won is None
    assert [item.month for item in sales.stats_between(TENANT, "2026-02", "2026-03") if item.user_id == "ann"] == [
        "2026-02",
        "2026-03",
    ]
    assert list(sales.stats_between("tenant-b", "2026-01", "2026-12")) == []


def test_count_activity_needs_an_iso_timestamp():
    with pytest.raises(ValueError, match="ISO 8601"):
        sales.count_activity(TENANT, "ann", "yesterday")


def test_lifetime_values_add_up_exactly_in_one_item_per_contact():
    assert sales.lifetime_value(TENANT, "c1") is None
    commit(sales.lifetime_value_update(TENANT, "c1", Decimal("0.10"), "EUR"))
    commit(sales.lifetime_value_update(TENANT, "c1", Decimal("0.20"), "EUR"))
    assert sales.lifetime_value(TENANT, "c1") == (Decimal("0.30"), "EUR")
    commit(sales.lifetime_value_update(TENANT, "c1", Decimal("-0.30"), "EUR"))
    assert sales.lifetime_value(TENANT, "c1") == (Decimal("0.00"), "EUR")
