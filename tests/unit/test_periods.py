from datetime import date

import pytest

from rapport.periods import parse_period


@pytest.mark.parametrize(
    ("text", "start", "end", "months"),
    [
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31), ["2026-10", "2026-11", "2026-12"]),
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31), ["2026-01", "2026-02", "2026-03"]),
        ("2028-02", date(2028, 2, 1), date(2028, 2, 29), ["2028-02"]),
        ("2026-12", date(2026, 12, 1), date(2026, 12, 31), ["2026-12"]),
    ],
)
def test_quarters_and_months_are_ranges_of_days_and_months(text, start, end, months):
    period = parse_period(text)
    assert (period.label, period.start, period.end, period.months) == (text, start, end, months)


@pytest.mark.parametrize(
    "text", ["2026-Q5", "2026-Q0", "2026-13", "2026-00", "2026", "26-Q1", "2026-q4", "1899-01", "2026-Q4\n"]
)
def test_anything_else_is_refused_with_the_formats(text):
    with pytest.raises(ValueError, match="2026-Q4 or a month like 2026-11"):
        parse_period(text)
