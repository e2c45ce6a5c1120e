"""Reporting periods: a quarter `2026-Q4` or a month `2026-11`, as a range of dates and of months (the sales and
service reports' `period`)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

from rapport.errors import BadRequest

_QUARTER = re.compile(r"(\d{4})-Q([1-4])")
_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
FORMAT_HINT = "must be a quarter like 2026-Q4 or a month like 2026-11"


class Period(NamedTuple):
    label: str
    start: date
    end: date  # inclusive

    @property
    def months(self) -> list[str]:
        """Every month of the period as YYYY-MM, first to last."""
        months, cursor = [], self.start
        while cursor <= self.end:
            months.append(cursor.strftime("%Y-%m"))
            cursor = _add_months(cursor, 1)
        return months

    @property
    def starts_at(self) -> datetime:
        """The period's first instant (UTC)."""
        return datetime.combine(self.start, time.min, tzinfo=UTC)

    @property
    def ends_at(self) -> datetime:
        """The first instant after the period (UTC)."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC)


def _add_months(day: date, count: int) -> date:
    index = day.year * 12 + day.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def parse_period(text: str) -> Period:
    """The period `text` names; ValueError when it names none."""
    if quarter := _QUARTER.fullmatch(text):
        year, number = int(quarter.group(1)), int(quarter.group(2))
        first_month, months = 3 * number - 2, 3
    elif month := _MONTH.fullmatch(text):
        year, first_month, months = int(month.group(1)), int(month.group(2)), 1
    else:
        raise ValueError(FORMAT_HINT)
    if year < 1900:
        raise ValueError(FORMAT_HINT)
    start = date(year, first_month, 1)
    return Period(label=text, start=start, end=_add_months(start, months) - timedelta(days=1))


def period_of(text: str) -> Period:
    """The period a `period` query parameter names; 400 on `period` when it names none."""
    try:
        return parse_period(text)
    except ValueError as error:
        raise BadRequest.of("period", str(error)) from error
