"""The service settings (`GET/PUT /service-settings`, one settings document per tenant, rapport.settings): the
queues and the rules routing cases to them (rapport.cases.routing), the business-hours calendars and the SLA
policies that time the cases.

A calendar is named, in an IANA time zone, open by weekday in shifts (split shifts allowed, none overlapping) and
closed on its holidays. A policy names the calendar its clock runs on, the conditions a case meets for it to
apply (each list empty for any; a case's account matches when it has one of `account_tags`), its targets per
priority in business minutes, when to warn before a breach, and what a breach escalates to. The first policy
whose conditions a case meets applies, when the case is created.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from itertools import pairwise
from typing import Annotated, Self
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, Field, StrictBool, StrictInt, StringConstraints, model_validator

from rapport.cases import manifest
from rapport.cases.business_hours import BusinessCalendar, Shift
from rapport.cases.models import CaseChannel, CasePriority, CaseType, Queue
from rapport.cases.routing import MAX_QUEUES, MAX_RULES, RoutingRule, ServiceQueue
from rapport.errors import FieldError, InvalidInput, dotted_path
from rapport.locales import TimeZone
from rapport.settings import SettingsDocument
from rapport.types import Day, StrictModel, Tags

MAX_TARGET_MINUTES = 366 * 24 * 60
MAX_CALENDARS = 20
MAX_POLICIES = 50
MAX_HOLIDAYS = 100
MAX_SHIFTS_PER_DAY = 6
WEEKS_PER_YEAR = 52
DEFAULT_CALENDAR = "business_hours"

SettingName = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
ClockTime = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$"), Field(examples=["09:00"])]
ClosingTime = Annotated[
    str, StringConstraints(pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"), Field(examples=["17:00"])
]
BusinessMinutes = Annotated[StrictInt, Field(gt=0, le=MAX_TARGET_MINUTES)]


class Weekday(StrEnum):
    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"


WEEKDAYS = list(Weekday)


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


class ShiftHours(StrictModel):
    start: ClockTime = Field(description="Local opening time, HH:MM")
    end: ClosingTime = Field(description="Local closing time, HH:MM (24:00 for midnight), after the start")

    @model_validator(mode="after")
    def _forward(self) -> Self:
        if _minutes(self.end) <= _minutes(self.start):
            raise ValueError(f"the shift ends ({self.end}) before it starts ({self.start})")
        return self

    def shift(self) -> Shift:
        return Shift(_minutes(self.start), _minutes(self.end))


def _apart(hours: dict[Weekday, list[ShiftHours]]) -> dict[Weekday, list[ShiftHours]]:
    """The shifts of each day in order, none overlapping another."""
    hours = {day: sorted(shifts, key=lambda shift: _minutes(shift.start)) for day, shifts in hours.items()}
    for day, ordered in hours.items():
        for earlier, later in pairwise(ordered):
            if _minutes(later.start) < _minutes(earlier.end):
                raise ValueError(
                    f"{day}: the shifts {earlier.start}-{earlier.end} and {later.start}-{later.end} overlap"
                )
    if not any(hours.values()):
        raise ValueError("a calendar is open at least one shift a week")
    return hours


def _distinct(days: list[date]) -> list[date]:
    if len(set(days)) != len(days):
        raise ValueError("lists a date twice")
    return sorted(days)


def _nine_to_five() -> dict[Weekday, list[ShiftHours]]:
    return {day: [ShiftHours(start="09:00", end="17:00")] for day in WEEKDAYS[:5]}


DayShifts = Annotated[list[ShiftHours], Field(max_length=MAX_SHIFTS_PER_DAY)]


class Calendar(StrictModel):
    name: SettingName = Field(description="What policies call it")
    time_zone: TimeZone = Field(description="IANA time zone of the hours and holidays, like Europe/Paris")
    hours: Annotated[
        dict[Weekday, Annotated[list[ShiftHours], Field(max_length=MAX_SHIFTS_PER_DAY)]], AfterValidator(_apart)
    ] = Field(
        default_factory=_nine_to_five,
        description="Shifts per weekday (split shifts allowed, none overlapping); a day not listed is closed",
    )
    holidays: Annotated[list[Day], Field(max_length=MAX_HOLIDAYS), AfterValidator(_distinct)] = Field(
        default_factory=list, description="Local dates closed all day"
    )

    def business(self) -> BusinessCalendar:
        weekly = {WEEKDAYS.index(day): tuple(hours.shift() for hours in shifts) for day, shifts in self.hours.items()}
        return BusinessCalendar(ZoneInfo(self.time_zone), weekly, frozenset(self.holidays))


class Targets(StrictModel):
    """Business minutes to reach each milestone (a target left out is not timed)."""

    first_response: BusinessMinutes | None = Field(default=None, description="To the first public staff reply")
    next_response: BusinessMinutes | None = Field(
        default=None, description="From a customer's message to the next public staff reply"
    )
    resolution: BusinessMinutes | None = Field(default=None, description="From creation to resolved")


class Conditions(StrictModel):
    """What a case must be for the policy to apply: each list empty for any."""

    types: list[CaseType] = Field(default_factory=list, max_length=len(CaseType))
    priorities: list[CasePriority] = Field(default_factory=list, max_length=len(CasePriority))
    channels: list[CaseChannel] = Field(default_factory=list, max_length=len(CaseChannel))
    account_tags: Tags = Field(default_factory=list, description="The case's account has one of these tags")


class Escalation(StrictModel):
    """What a breach does, in order: notify the owner, then the queue's manager, then change the case."""

    notify_owner: StrictBool = True
    notify_queue_manager: StrictBool = True
    raise_priority_to: CasePriority | None = Field(
        default=None, description="The case's priority becomes this one, when it is lower"
    )
    move_to_queue: Queue | None = None


class SlaPolicy(StrictModel):
    name: SettingName
    calendar: SettingName = Field(description="The name of one of `calendars`: the clock runs in its hours")
    conditions: Conditions = Field(default_factory=Conditions)
    targets: dict[CasePriority, Targets] = Field(description="Per priority; a priority not listed is not timed")
    warn_before_minutes: BusinessMinutes | None = Field(
        default=None, description="Business minutes before a breach to warn the owner (none: no warning)"
    )
    escalation: Escalation = Field(default_factory=Escalation)


class ServiceSettings(StrictModel):
    queues: list[ServiceQueue] = Field(default_factory=list, max_length=MAX_QUEUES, description="Each name once")
    routing_rules: list[RoutingRule] = Field(
        default_factory=list,
        max_length=MAX_RULES,
        description="In order: the first rule matching a case picks its queue",
    )
    default_queue: Queue | None = Field(default=None, description="The queue of a case no routing rule matches")
    calendars: list[Calendar] = Field(
        default_factory=lambda: [Calendar(name=DEFAULT_CALENDAR, time_zone="UTC")],
        max_length=MAX_CALENDARS,
        description="Business hours; by default Monday to Friday 09:00-17:00 UTC",
    )
    sla_policies: list[SlaPolicy] = Field(
        default_factory=list,
        max_length=MAX_POLICIES,
        description="In order: the first whose conditions a case meets applies to it (none: the case is not timed)",
    )

    def calendar(self, name: str) -> Calendar:
        return next(calendar for calendar in self.calendars if calendar.name == name)


def _duplicates(field: str, names: list[str]) -> list[FieldError]:
    seen: set[str] = set()
    errors = []
    for index, name in enumerate(names):
        if name in seen:
            errors.append(FieldError(dotted_path((field, index, "name")), f"another one is named {name}", "duplicate"))
        seen.add(name)
    return errors


def _queue_errors(content: ServiceSettings) -> list[FieldError]:
    """Queue names are unique, and every queue a rule, the default or an escalation names is one of them."""
    named: set[str] = set()
    errors: list[FieldError] = []
    for index, queue in enumerate(content.queues):
        if queue.name in named:
            errors.append(FieldError(f"queues[{index}].name", f"names the queue {queue.name} twice", "duplicate"))
        named.add(queue.name)
    for index, rule in enumerate(content.routing_rules):
        if rule.queue not in named:
            errors.append(FieldError(f"routing_rules[{index}].queue", f"no queue is named {rule.queue}", "unknown"))
    if content.default_queue is not None and content.default_queue not in named:
        errors.append(FieldError("default_queue", f"no queue is named {content.default_queue}", "unknown"))
    for index, policy in enumerate(content.sla_policies):
        target = policy.escalation.move_to_queue
        if target is not None and target not in named:
            field = dotted_path(("sla_policies", index, "escalation", "move_to_queue"))
            errors.append(FieldError(field, f"no queue is named {target}", "unknown"))
    return errors


def _beyond_a_year(content: ServiceSettings) -> list[FieldError]:
    """Targets longer than a year of their calendar's business hours: a due time that far is no target (and
    would cost a read that long a search)."""
    yearly = {
        calendar.name: calendar.business().weekly_seconds() * WEEKS_PER_YEAR / 60 for calendar in content.calendars
    }
    errors = []
    for index, policy in enumerate(content.sla_policies):
        for priority, targets in policy.targets.items():
            for name, minutes in targets.model_dump(exclude_none=True).items():
                if minutes > yearly.get(policy.calendar, minutes):
                    field = dotted_path(("sla_policies", index, "targets", priority.value, name))
                    message = f"is more than a year of the calendar {policy.calendar}'s business hours"
                    errors.append(FieldError(field, message, "too_long"))
    return errors


class ServiceSettingsDocument(SettingsDocument[ServiceSettings]):
    def validate(self, key: str | None, content: ServiceSettings) -> ServiceSettings:
        """Names are unique among queues, calendars and policies, and what a rule, a policy or an escalation names
        is one of them."""
        calendars = [calendar.name for calendar in content.calendars]
        errors = _queue_errors(content) + _duplicates("calendars", calendars)
        errors += _duplicates("sla_policies", [policy.name for policy in content.sla_policies])
        errors += _beyond_a_year(content)
        errors += [
            FieldError(
                dotted_path(("sla_policies", index, "calendar")),
                f"no calendar is named {policy.calendar} (calendars: {', '.join(calendars) or 'none'})",
                "unknown_reference",
            )
            for index, policy in enumerate(content.sla_policies)
            if policy.calendar not in calendars
        ]
        if errors:
            raise InvalidInput("The service settings do not hold together.", errors)
        return content


SERVICE_SETTINGS = ServiceSettingsDocument(
    manifest.SERVICE_SETTINGS, ServiceSettings, resource="service_settings", default=lambda _: ServiceSettings()
)
