from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from rapport import normalize
from rapport.appointments.models import (
    MAX_ATTENDEES,
    MAX_STAFF_SLOTS,
    AppointmentCreate,
    AppointmentPatch,
    overlaps,
    slots,
    transaction_items,
)
from rapport.records import field_errors


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize(
    ("starts", "ends", "expected"),
    [
        ("2026-11-23T09:00Z", "2026-11-23T10:00Z", ["09:00", "09:15", "09:30", "09:45"]),
        ("2026-11-23T09:10Z", "2026-11-23T09:20Z", ["09:00", "09:15"]),
        ("2026-11-23T09:10Z", "2026-11-23T09:14:59Z", ["09:00"]),
        ("2026-11-23T09:14:59Z", "2026-11-23T09:15:01Z", ["09:00", "09:15"]),
        ("2026-11-23T10:30+01:00", "2026-11-23T10:45+01:00", ["09:30"]),
    ],
)
def test_an_appointment_holds_every_15_minute_slot_it_touches(starts, ends, expected):
    assert slots(at(starts), at(ends)) == [f"2026-11-23T{time}Z" for time in expected]


def test_slots_cross_midnight_and_back_to_back_appointments_share_none():
    assert slots(at("2026-11-23T23:50Z"), at("2026-11-24T00:10Z")) == ["2026-11-23T23:45Z", "2026-11-24T00:00Z"]
    morning = slots(at("2026-11-23T09:00Z"), at("2026-11-23T10:00Z"))
    assert not set(morning) & set(slots(at("2026-11-23T10:00Z"), at("2026-11-23T11:00Z")))
    assert set(morning) & set(slots(at("2026-11-23T09:50Z"), at("2026-11-23T10:10Z")))


def test_the_worst_change_of_an_appointment_fits_one_transaction():
    assert transaction_items(MAX_STAFF_SLOTS, MAX_STAFF_SLOTS, MAX_ATTENDEES) <= 100


Span = st.tuples(st.integers(0, 120), st.integers(1, 60)).map(lambda span: (span[0], span[0] + span[1]))


def _interval(span: tuple[int, int]) -> tuple[str, str]:
    start = datetime(2026, 11, 23, 9, tzinfo=UTC)
    return tuple(normalize.instant(start + timedelta(minutes=minute)) for minute in span)  # type: ignore[return-value]


@given(Span, Span)
def test_two_times_overlap_exactly_when_they_share_a_minute(first, second):
    shared = set(range(*first)) & set(range(*second))
    assert overlaps(_interval(first), _interval(second)) is bool(shared)
    assert overlaps(_interval(first), _interval(second)) is overlaps(_interval(second), _interval(first))


def test_meetings_that_only_meet_share_a_slot_but_do_not_overlap():
    bob, booking_ = ("2026-11-23T16:40:00Z", "2026-11-23T16:50:00Z"), ("2026-11-23T16:30:00Z", "2026-11-23T16:40:00Z")
    assert set(slots(at(bob[0]), at(bob[1]))) & set(slots(at(booking_[0]), at(booking_[1])))
    assert not overlaps(bob, booking_)


def booking(**fields: object) -> dict[str, object]:
    return {"title": "Demo", "starts_at": "2026-11-23T09:00:00Z", "ends_at": "2026-11-23T10:00:00Z", **fields}


@pytest.mark.parametrize(
    ("fields", "at_fault"),
    [
        ({"ends_at": "2026-11-23T09:00:00Z"}, "ends_at"),
        ({"ends_at": "2026-11-23T19:00:01Z"}, "ends_at"),
        ({"attendee_ids": ["a", "b", "c"], "ends_at": "2026-11-23T13:00:01Z"}, "attendee_ids"),
        ({"attendee_ids": [f"u{n}" for n in range(MAX_ATTENDEES + 1)]}, "attendee_ids"),
        ({"attendee_ids": ["a", "a"]}, "attendee_ids"),
        ({"attendee_ids": []}, "attendee_ids"),
        ({"starts_at": "2026-11-23T09:00:00"}, "starts_at"),
    ],
)
def test_bookings_within_the_limits(fields, at_fault):
    with pytest.raises(ValidationError) as error:
        AppointmentCreate.model_validate(booking(**fields))
    assert [entry.field for entry in field_errors(error.value)] == [at_fault]


def test_the_largest_bookings_allowed():
    assert AppointmentCreate.model_validate(booking(ends_at="2026-11-23T19:00:00Z", attendee_ids=["a"]))
    eight = [f"u{n}" for n in range(MAX_ATTENDEES)]
    assert AppointmentCreate.model_validate(booking(ends_at="2026-11-23T10:15:00Z", attendee_ids=eight))


def test_a_patch_may_not_clear_the_time():
    with pytest.raises(ValidationError) as error:
        AppointmentPatch.model_validate({"starts_at": None, "location": None})
    assert [entry.field for entry in field_errors(error.value)] == ["starts_at"]
