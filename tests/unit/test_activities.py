from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from rapport import normalize
from rapport.activities.models import ActivityCreate
from rapport.activities.service import activities
from rapport.dal import keys

MOMENTS = st.datetimes(datetime(1970, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC)).map(
    lambda moment: moment.replace(microsecond=0)
)


@given(st.lists(st.tuples(MOMENTS, MOMENTS), min_size=1, max_size=20))
# Twenty datetimes an example take Hypothesis longer than its health check allows on a loaded machine.
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_a_timeline_runs_newest_first_by_when_things_happened_also_once_moved_in_time(entries):
    """Each entry: when it was first said to happen (its id's time) and when it happened after any correction."""
    keyed = []
    for first, happened in entries:
        entry_id = activities.new_record_id({"occurred_at": first.isoformat()})
        keyed.append((keys.entry_sk(normalize.instant(happened), entry_id), happened, entry_id))
    assert len({key for key, _, _ in keyed}) == len(keyed), "every entry has a key of its own"
    times = [happened for _, happened, _ in sorted(keyed)]
    assert times == sorted(times, reverse=True)


@given(MOMENTS)
def test_an_activity_as_logged_keeps_the_key_it_was_stored_under(moment):
    """Before entries were keyed by `occurred_at`, an activity's key was `E#` and its inverted id."""
    inverted = str.maketrans("0123456789ABCDEFGHJKMNPQRSTVWXYZ", "0123456789ABCDEFGHJKMNPQRSTVWXYZ"[::-1])
    entry_id = activities.new_record_id({"occurred_at": normalize.instant(moment)})
    assert keys.entry_sk(normalize.instant(moment), entry_id) == f"E#{entry_id.translate(inverted)}"


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
