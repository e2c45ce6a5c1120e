from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from rapport.activities.models import ActivityCreate
from rapport.activities.service import activities
from rapport.dal import keys


def test_activity_ids_follow_when_it_happened_so_timelines_run_newest_first():
    start = datetime(2026, 11, 1, tzinfo=UTC)
    times = [start + timedelta(hours=hours) for hours in (5, 1, 30, 2, 0)]
    ids = {time: activities.new_record_id({"occurred_at": time.isoformat()}) for time in times}
    newest_first = sorted(times, reverse=True)
    assert sorted(keys.interaction_sk(ulid) for ulid in ids.values()) == [
        keys.interaction_sk(ids[time]) for time in newest_first
    ]


def test_two_activities_at_the_same_second_get_different_ids():
    data = {"occurred_at": "2026-11-20T14:30:00Z"}
    assert activities.new_record_id(data) != activities.new_record_id(data)


@pytest.mark.parametrize(
    "occurred_at",
    ["1969-12-31T23:59:59Z", (datetime.now(UTC) + timedelta(days=2)).isoformat()],
    ids=["before-1970", "in-two-days"],  # the same ids in every xdist worker, whatever the clock says
)
def test_an_activity_happened_within_what_an_id_can_say(occurred_at):
    with pytest.raises(ValidationError, match="occurred_at"):
        ActivityCreate(type="call", occurred_at=occurred_at, contact_id="c")
