"""Business time: the instants a calendar is open, adding business seconds to an instant and counting them
between two instants.

A calendar is a time zone (IANA, through zoneinfo), weekly opening hours (each weekday its shifts, local wall
clock, split shifts allowed) and holidays (local dates, closed all day). Shifts are turned into absolute
intervals day by day in the calendar's zone, so a shift on a daylight-saving change day lasts what the clocks
say it lasts (a 00:00-06:00 shift is 5 hours on a spring-forward night) and the arithmetic on the intervals is
plain UTC arithmetic. Pure: no I/O, no clock (callers pass the instants).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60
WEEK_DAYS = 7


class NeverOpen(ValueError):
    """The calendar has no open time left to count on."""


@dataclass(frozen=True)
class Shift:
    """Open from `start` to `end`, minutes after local midnight (`end` may be 1440: midnight of the next day)."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= MINUTES_PER_DAY:
            raise ValueError(f"a shift runs from 0 to {MINUTES_PER_DAY} minutes after midnight, start before end")


class Interval(NamedTuple):
    """An open interval of a calendar, as absolute instants (UTC)."""

    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True)
class BusinessCalendar:
    """`weekly` maps a weekday (0 Monday ... 6 Sunday) to its shifts, in order and not overlapping."""

    zone: ZoneInfo
    weekly: Mapping[int, Sequence[Shift]]
    holidays: frozenset[date] = field(default_factory=frozenset)

    def intervals(self, day: date) -> list[Interval]:
        """The open intervals of a local date (none on a holiday)."""
        if day in self.holidays:
            return []
        opened = (Interval(self._instant(day, shift.start), self._instant(day, shift.end)) for shift in self._on(day))
        return [interval for interval in opened if interval.end > interval.start]

    def is_open(self, at: datetime) -> bool:
        return any(interval.start <= at < interval.end for interval in self.intervals(self._local_date(at)))

    def add(self, start: datetime, seconds: float) -> datetime:
        """The instant `seconds` business seconds after `start` (the next opening when `seconds` is 0)."""
        remaining = max(seconds, 0.0)
        for interval in self._from(start):
            begin = max(interval.start, start)
            available = (interval.end - begin).total_seconds()
            if remaining <= available:
                return begin + timedelta(seconds=remaining)
            remaining -= available
        raise NeverOpen(f"the calendar is not open for {seconds} business seconds after {start.isoformat()}")

    def between(self, start: datetime, end: datetime) -> float:
        """Business seconds from `start` to `end` (0 when `end` is not after `start`)."""
        if end <= start:
            return 0.0
        total = 0.0
        day, last = self._local_date(start) - timedelta(days=1), self._local_date(end)
        while day <= last:
            for interval in self.intervals(day):
                overlap = (min(interval.end, end) - max(interval.start, start)).total_seconds()
                total += max(overlap, 0.0)
            day += timedelta(days=1)
        return total

    def weekly_seconds(self) -> float:
        """Business seconds in a week without holidays (wall clock: a shift's length on an ordinary day)."""
        return sum((shift.end - shift.start) * 60 for shifts in self.weekly.values() for shift in shifts)

    def _from(self, start: datetime) -> Iterator[Interval]:
        """The open intervals that end after `start`, in order. A calendar open some time each week is closed at
        most one week per holiday in a row: past that many closed days, it is never open."""
        closed_for_good = WEEK_DAYS * (len(self.holidays) + 2)
        scanned = 0
        day = self._local_date(start) - timedelta(days=1)
        while scanned <= closed_for_good:
            intervals = [interval for interval in self.intervals(day) if interval.end > start]
            scanned = 0 if intervals else scanned + 1
            yield from intervals
            day += timedelta(days=1)

    def _on(self, day: date) -> Sequence[Shift]:
        return self.weekly.get(day.weekday(), ())

    def _instant(self, day: date, minute: int) -> datetime:
        if minute == MINUTES_PER_DAY:
            day, minute = day + timedelta(days=1), 0
        local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.zone)
        return local.astimezone(UTC)

    def _local_date(self, at: datetime) -> date:
        return at.astimezone(self.zone).date()
