from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rapport.cases.business_hours import BusinessCalendar, NeverOpen, Shift

PARIS = ZoneInfo("Europe/Paris")
HOUR = 3600
NINE_TO_FIVE = (Shift(9 * 60, 17 * 60),)
WEEKDAYS = range(5)


def calendar(
    shifts: tuple[Shift, ...] = NINE_TO_FIVE, days: range = WEEKDAYS, holidays: frozenset[date] = frozenset()
) -> BusinessCalendar:
    return BusinessCalendar(PARIS, {day: shifts for day in days}, holidays)


def paris(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


# 2026-11-02 is a Monday; Paris is UTC+1 in November.


def test_raised_at_half_past_four_with_a_one_hour_target_is_due_at_half_past_nine_the_next_day() -> None:
    due = calendar().add(paris(2026, 11, 3, 16, 30), HOUR)
    assert due == paris(2026, 11, 4, 9, 30)


def test_friday_afternoon_is_due_on_monday() -> None:
    assert calendar().add(paris(2026, 11, 6, 16, 30), HOUR) == paris(2026, 11, 9, 9, 30)


def test_a_holiday_is_skipped() -> None:
    armistice = date(2026, 11, 11)
    due = calendar(holidays=frozenset({armistice})).add(paris(2026, 11, 10, 16, 30), HOUR)
    assert due == paris(2026, 11, 12, 9, 30)


def test_a_split_shift_skips_the_lunch_break() -> None:
    split = calendar((Shift(9 * 60, 12 * 60), Shift(13 * 60, 17 * 60)))
    assert split.add(paris(2026, 11, 3, 11, 30), HOUR) == paris(2026, 11, 3, 13, 30)
    assert split.between(paris(2026, 11, 3, 11, 30), paris(2026, 11, 3, 13, 30)) == HOUR


@pytest.mark.parametrize(
    ("raised", "due"),
    [
        (paris(2026, 11, 7, 10, 0), paris(2026, 11, 9, 10, 0)),  # Saturday
        (paris(2026, 11, 3, 7, 0), paris(2026, 11, 3, 10, 0)),  # before opening
        (paris(2026, 11, 3, 20, 0), paris(2026, 11, 4, 10, 0)),  # after closing
        (paris(2026, 11, 3, 17, 0), paris(2026, 11, 4, 10, 0)),  # at closing
    ],
)
def test_a_case_raised_out_of_hours_starts_counting_at_the_next_opening(raised: datetime, due: datetime) -> None:
    assert calendar().add(raised, HOUR) == due


def test_spring_forward_over_a_weekend_keeps_wall_clock_hours() -> None:
    # Paris moves from UTC+1 to UTC+2 on Sunday 2026-03-29
    friday, monday = paris(2026, 3, 27, 16, 30), paris(2026, 3, 30, 9, 30)
    due = calendar().add(friday, HOUR)
    assert due == monday
    assert due.astimezone(UTC) == datetime(2026, 3, 30, 7, 30, tzinfo=UTC)
    assert calendar().between(friday, monday) == HOUR


def test_a_night_shift_on_the_change_day_lasts_what_the_clocks_say() -> None:
    every_day = calendar((Shift(0, 6 * 60),), range(7))
    spring, autumn = date(2026, 3, 29), date(2026, 10, 25)
    assert sum(interval.seconds for interval in every_day.intervals(spring)) == 5 * HOUR
    assert sum(interval.seconds for interval in every_day.intervals(autumn)) == 7 * HOUR
    assert every_day.add(paris(2026, 3, 29, 0, 0), 5 * HOUR) == paris(2026, 3, 29, 6, 0)


def test_a_shift_to_midnight_ends_at_the_next_day() -> None:
    evening = calendar((Shift(18 * 60, 24 * 60),))
    assert evening.add(paris(2026, 11, 3, 23, 0), 2 * HOUR) == paris(2026, 11, 4, 19, 0)


def test_counting_skips_closed_time() -> None:
    assert calendar().between(paris(2026, 11, 6, 16, 0), paris(2026, 11, 9, 10, 0)) == 2 * HOUR
    assert calendar().between(paris(2026, 11, 9, 10, 0), paris(2026, 11, 6, 16, 0)) == 0


def test_adding_nothing_is_the_next_open_instant() -> None:
    assert calendar().add(paris(2026, 11, 3, 10, 0), 0) == paris(2026, 11, 3, 10, 0)
    assert calendar().add(paris(2026, 11, 7, 10, 0), 0) == paris(2026, 11, 9, 9, 0)


def test_is_open() -> None:
    assert calendar().is_open(paris(2026, 11, 3, 9, 0))
    assert not calendar().is_open(paris(2026, 11, 3, 17, 0))
    assert not calendar().is_open(paris(2026, 11, 7, 12, 0))


def test_a_calendar_never_open_says_so() -> None:
    with pytest.raises(NeverOpen):
        calendar(days=range(0)).add(paris(2026, 11, 3, 10, 0), HOUR)


def test_a_shift_must_run_forward_within_a_day() -> None:
    with pytest.raises(ValueError, match="start before end"):
        Shift(17 * 60, 9 * 60)


instants = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC))


@given(start=instants, seconds=st.integers(min_value=1, max_value=30 * 8 * HOUR))
def test_counting_what_was_added_gives_it_back(start: datetime, seconds: int) -> None:
    split = calendar((Shift(8 * 60, 12 * 60), Shift(13 * 60 + 30, 18 * 60)), range(6), frozenset({date(2026, 5, 1)}))
    due = split.add(start, seconds)
    assert split.between(start, due) == pytest.approx(seconds)
    assert split.is_open(due - timedelta(microseconds=1))


@given(start=instants, first=st.integers(0, 40 * HOUR), second=st.integers(1, 40 * HOUR))
def test_adding_in_two_steps_is_adding_once(start: datetime, first: int, second: int) -> None:
    assert calendar().add(calendar().add(start, first), second) == calendar().add(start, first + second)


def test_a_calendar_closed_by_a_long_run_of_holidays_still_opens_after_them() -> None:
    mondays = frozenset(date(2026, 11, 2) + timedelta(weeks=week) for week in range(60))
    only_mondays = calendar(days=range(1), holidays=mondays)
    assert only_mondays.add(paris(2026, 11, 2, 8, 0), HOUR) == paris(2027, 12, 27, 10, 0)
