"""Times as a person reads them: in their time zone, in the words and order of their locale.

A small table of locales rather than an i18n library: a message needs a day, a date and a time of day, and the
deps layer stays small. Zone data comes from the `tzdata` package (a runtime dependency: the Lambda runtime's
Python has no system zone database to fall back on).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field


class Locale(StrEnum):
    EN_US = "en-US"
    EN_GB = "en-GB"
    DE_DE = "de-DE"
    FR_FR = "fr-FR"
    ES_ES = "es-ES"


DEFAULT_LOCALE = Locale.EN_US
DEFAULT_TIME_ZONE = "UTC"


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:  # a folder of zones (`America`) is an OSError
        raise ValueError("must be an IANA time zone, like Europe/London") from error
    return value


TimeZone = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_time_zone)]


class _Words(NamedTuple):
    days: tuple[str, ...]  # Monday first
    months: tuple[str, ...]
    pattern: str  # str.format fields: day, date, month, year, time, zone
    twelve_hour: bool = False


_EN_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_LOCALES: dict[Locale, _Words] = {
    Locale.EN_US: _Words(_EN_DAYS, _EN_MONTHS, "{day}, {month} {date}, {year}, {time} {zone}", twelve_hour=True),
    Locale.EN_GB: _Words(_EN_DAYS, _EN_MONTHS, "{day} {date} {month} {year}, {time} {zone}"),
    Locale.DE_DE: _Words(
        ("Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."),
        ("Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.", "Dez."),
        "{day}, {date}. {month} {year}, {time} {zone}",
    ),
    Locale.FR_FR: _Words(
        ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."),
        ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."),
        "{day} {date} {month} {year}, {time} {zone}",
    ),
    Locale.ES_ES: _Words(
        ("lun", "mar", "mié", "jue", "vie", "sáb", "dom"),
        ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"),
        "{day}, {date} {month} {year}, {time} {zone}",
    ),
}


def format_instant(value: datetime, time_zone: str, locale: Locale) -> str:
    """`value` (aware) as a person in `time_zone` reading `locale` writes it: `Mon, Nov 23, 2026, 2:00 PM EST`."""
    local = value.astimezone(ZoneInfo(time_zone))
    words = _LOCALES[locale]
    if words.twelve_hour:
        time = f"{(local.hour - 1) % 12 + 1}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"
    else:
        time = f"{local.hour:02d}:{local.minute:02d}"
    return words.pattern.format(
        day=words.days[local.weekday()],
        date=local.day,
        month=words.months[local.month - 1],
        year=local.year,
        time=time,
        zone=local.tzname(),
    )
