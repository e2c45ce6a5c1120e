"""EventBridge semantics that need no AWS: event patterns, target input, schedule expressions.

- `compile_pattern` implements EventBridge content filtering: exact values (strings, numbers compared as
  numbers, booleans, null), `prefix`, `suffix`, `equals-ignore-case` (also inside `prefix`/`suffix`),
  `anything-but` (values, lists, `prefix`, `suffix`, `equals-ignore-case`, `wildcard`), `numeric`, `exists`,
  `wildcard`, `cidr`, nested objects, `$or`. A list in a pattern is an OR of its matchers; a list in the event
  matches when any of its elements does; a pattern object under an array of objects matches when one element
  matches it as a whole. Invalid patterns fail when compiled, not when an event arrives.
- `target_input` is what a rule target receives: the event, or its `Input`, `InputPath` or `InputTransformer`.
- `parse_schedule` reads `rate(...)` and `cron(...)` schedule expressions (times in UTC).
"""

from __future__ import annotations

import abc
import calendar
import ipaddress
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

EventPredicate = Callable[[Any], bool]
_ValuePredicate = Callable[[Any], bool]
_FieldCheck = Callable[[Mapping[str, Any]], bool]
_NUMERIC_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "=": lambda value, bound: value == bound,
    "<": lambda value, bound: value < bound,
    "<=": lambda value, bound: value <= bound,
    ">": lambda value, bound: value > bound,
    ">=": lambda value, bound: value >= bound,
}


class InvalidPattern(ValueError):
    """An event pattern EventBridge would reject."""


class InvalidSchedule(ValueError):
    """A schedule expression this runtime cannot read."""


def compile_pattern(pattern: Mapping[str, Any] | str) -> EventPredicate:
    """A predicate telling whether an event (the full envelope: source, detail-type, detail…) matches."""
    document = json.loads(pattern) if isinstance(pattern, str) else pattern
    if not isinstance(document, Mapping) or not document:
        raise InvalidPattern("an event pattern is a non-empty JSON object")
    return _compile_object(document)


def _compile_object(pattern: Mapping[str, Any]) -> EventPredicate:
    checks = [_compile_field(str(key), rule) for key, rule in pattern.items()]

    def match(value: Any) -> bool:
        if isinstance(value, list):
            return any(match(element) for element in value)
        fields = value if isinstance(value, Mapping) else {}
        return all(check(fields) for check in checks)

    return match


def _compile_field(key: str, rule: Any) -> _FieldCheck:
    if key == "$or":
        if not isinstance(rule, list) or len(rule) < 2 or not all(isinstance(item, Mapping) for item in rule):
            raise InvalidPattern("$or takes a list of at least two pattern objects")
        alternatives = [_compile_object(item) for item in rule]
        return lambda fields: any(alternative(fields) for alternative in alternatives)
    if isinstance(rule, Mapping):
        if not rule:
            raise InvalidPattern(f"{key}: an empty object matches nothing")
        nested = _compile_object(rule)
        return lambda fields: nested(fields.get(key, {}))
    if not isinstance(rule, list) or not rule:
        raise InvalidPattern(f"{key}: a pattern value must be a non-empty list, got {rule!r}")
    matchers = [_compile_matcher(key, item) for item in rule]

    def check(fields: Mapping[str, Any]) -> bool:
        leaves = list(_leaves(fields[key])) if key in fields else []
        return any(matcher(leaves) for matcher in matchers)

    return check


def _leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, list):
        for element in value:
            yield from _leaves(element)
    elif not isinstance(value, Mapping):
        yield value


def _compile_matcher(key: str, item: Any) -> Callable[[list[Any]], bool]:
    if isinstance(item, Mapping) and set(item) == {"exists"}:
        wanted = item["exists"]
        if not isinstance(wanted, bool):
            raise InvalidPattern(f"{key}: exists takes true or false")
        return lambda leaves: bool(leaves) == wanted
    predicate = _compile_value(key, item)
    return lambda leaves: any(predicate(leaf) for leaf in leaves)


def _compile_value(key: str, item: Any) -> _ValuePredicate:
    if not isinstance(item, Mapping):
        return _exactly(key, item)
    if len(item) != 1:
        raise InvalidPattern(f"{key}: a matcher object has exactly one operator, got {sorted(item)}")
    ((operator, argument),) = item.items()
    compilers: dict[str, Callable[[str, Any], _ValuePredicate]] = {
        "prefix": _prefix,
        "suffix": _suffix,
        "equals-ignore-case": _equals_ignore_case,
        "anything-but": _anything_but,
        "numeric": _numeric,
        "wildcard": _wildcard,
        "cidr": _cidr,
    }
    if operator not in compilers:
        raise InvalidPattern(f"{key}: unknown operator {operator!r}")
    return compilers[operator](key, argument)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _exactly(key: str, expected: Any) -> _ValuePredicate:
    if _is_number(expected):
        return lambda value: _is_number(value) and float(value) == float(expected)
    if expected is None or isinstance(expected, str | bool):
        return lambda value: type(value) is type(expected) and value == expected
    raise InvalidPattern(f"{key}: {expected!r} is not a value a pattern can match")


def _text(key: str, operator: str, argument: Any) -> str:
    if not isinstance(argument, str):
        raise InvalidPattern(f"{key}: {operator} takes a string, got {argument!r}")
    return argument


def _texts(key: str, operator: str, argument: Any) -> list[str]:
    return [_text(key, operator, item) for item in (argument if isinstance(argument, list) else [argument])]


def _affix(key: str, operator: str, argument: Any) -> tuple[str, bool]:
    """The affix and whether it ignores case (`{"prefix": {"equals-ignore-case": "x"}}`)."""
    if isinstance(argument, Mapping) and set(argument) == {"equals-ignore-case"}:
        return _text(key, operator, argument["equals-ignore-case"]).lower(), True
    return _text(key, operator, argument), False


def _prefix(key: str, argument: Any) -> _ValuePredicate:
    prefix, folded = _affix(key, "prefix", argument)
    return lambda value: isinstance(value, str) and (value.lower() if folded else value).startswith(prefix)


def _suffix(key: str, argument: Any) -> _ValuePredicate:
    suffix, folded = _affix(key, "suffix", argument)
    return lambda value: isinstance(value, str) and (value.lower() if folded else value).endswith(suffix)


def _equals_ignore_case(key: str, argument: Any) -> _ValuePredicate:
    expected = {text.lower() for text in _texts(key, "equals-ignore-case", argument)}
    return lambda value: isinstance(value, str) and value.lower() in expected


def _anything_but(key: str, argument: Any) -> _ValuePredicate:
    if isinstance(argument, Mapping):
        if set(argument) - {"prefix", "suffix", "equals-ignore-case", "wildcard"}:
            raise InvalidPattern(f"{key}: anything-but takes values, prefix, suffix, equals-ignore-case or wildcard")
        excluded = _compile_value(key, argument)
        return lambda value: not excluded(value)
    values = argument if isinstance(argument, list) else [argument]
    if not values:
        raise InvalidPattern(f"{key}: anything-but needs at least one value")
    literals = [_exactly(key, value) for value in values]
    return lambda value: not any(literal(value) for literal in literals)


def _numeric(key: str, argument: Any) -> _ValuePredicate:
    if not isinstance(argument, list) or len(argument) not in (2, 4):
        raise InvalidPattern(f"{key}: numeric takes one or two [operator, number] pairs")
    conditions = list(zip(argument[::2], argument[1::2], strict=True))
    for operator, bound in conditions:
        if operator not in _NUMERIC_OPERATORS or not _is_number(bound):
            raise InvalidPattern(f"{key}: {operator!r} {bound!r} is not a numeric condition")
    return lambda value: (
        _is_number(value)
        and all(_NUMERIC_OPERATORS[operator](float(value), float(bound)) for operator, bound in conditions)
    )


def _wildcard(key: str, argument: Any) -> _ValuePredicate:
    expressions = [_wildcard_regex(key, text) for text in _texts(key, "wildcard", argument)]
    return lambda value: isinstance(value, str) and any(expression.fullmatch(value) for expression in expressions)


def _wildcard_regex(key: str, text: str) -> re.Pattern[str]:
    if "**" in text:
        raise InvalidPattern(f"{key}: wildcard {text!r} has consecutive wildcard characters")
    parts: list[str] = []
    characters = iter(text)
    for character in characters:
        if character == "\\":
            parts.append(re.escape(next(characters, "\\")))
        else:
            parts.append(".*" if character == "*" else re.escape(character))
    return re.compile("".join(parts), re.DOTALL)


def _cidr(key: str, argument: Any) -> _ValuePredicate:
    try:
        network = ipaddress.ip_network(_text(key, "cidr", argument), strict=False)
    except ValueError as error:
        raise InvalidPattern(f"{key}: {error}") from error

    def contains(value: Any) -> bool:
        try:
            return isinstance(value, str) and ipaddress.ip_address(value) in network
        except ValueError:
            return False

    return contains


class _Missing:
    """A JSON path that leads nowhere."""


MISSING = _Missing()
_PATH_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")


def json_path(document: Any, path: str) -> Any:
    """The value at a JSON path of EventBridge's dialect (`$`, `$.a.b`, `$.a[0].b`), or MISSING."""
    if not path.startswith("$"):
        raise ValueError(f"{path!r} is not a JSON path")
    rest, value = path[1:], document
    while rest:
        step = _PATH_STEP.match(rest)
        if step is None:
            raise ValueError(f"{path!r} is not a JSON path EventBridge supports")
        name, index = step.groups()
        value = _step(value, name, index)
        if value is MISSING:
            return MISSING
        rest = rest[step.end() :]
    return value


def _step(value: Any, name: str | None, index: str | None) -> Any:
    if index is not None:
        return value[int(index)] if isinstance(value, list) and int(index) < len(value) else MISSING
    if isinstance(value, list) and name is not None and name.isdigit():
        return value[int(name)] if int(name) < len(value) else MISSING
    return value.get(name, MISSING) if isinstance(value, Mapping) else MISSING


def target_input(target: Mapping[str, Any], event: Mapping[str, Any], rule_name: str, rule_arn: str) -> Any:
    """The JSON value (or, for a text template, the string) EventBridge sends to a rule's target."""
    if "Input" in target:
        return json.loads(target["Input"])
    if "InputPath" in target:
        value = json_path(event, target["InputPath"])
        return None if value is MISSING else value
    if "InputTransformer" in target:
        transformer = target["InputTransformer"]
        variables = {name: json_path(event, path) for name, path in transformer.get("InputPathsMap", {}).items()}
        variables |= {
            "aws.events.rule-arn": rule_arn,
            "aws.events.rule-name": rule_name,
            "aws.events.event.ingestion-time": event.get("time", ""),
            "aws.events.event": {key: value for key, value in event.items() if key != "detail"},
            "aws.events.event.json": dict(event),
        }
        return render_template(transformer["InputTemplate"], variables)
    return dict(event)


def render_template(template: str, variables: Mapping[str, Any]) -> Any:
    """An InputTemplate filled in, as EventBridge does it.

    In a JSON template (one starting with `{`, `[` or `"`), a placeholder inside a string receives the value's
    text escaped for that string, and one outside receives the value as JSON; the result is parsed. Otherwise
    the template is plain text and strings are inserted as they are.
    """
    is_json = template.lstrip().startswith(("{", "[", '"'))
    parts: list[str] = []
    quoted, last = False, 0
    for placeholder in _PLACEHOLDER.finditer(template):
        literal = template[last : placeholder.start()]
        quoted = _quoted_after(literal, quoted)
        name = placeholder.group(1)
        parts += [literal, _format(variables[name], is_json, quoted) if name in variables else placeholder.group(0)]
        last = placeholder.end()
    text = "".join([*parts, template[last:]])
    if not is_json:
        return text
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"the InputTemplate does not give JSON: {text!r}") from error


def _quoted_after(literal: str, quoted: bool) -> bool:
    escaped = False
    for character in literal:
        if escaped:
            escaped = False
        elif character == "\\":
            escaped = True
        elif character == '"':
            quoted = not quoted
    return quoted


def _format(value: Any, is_json: bool, quoted: bool) -> str:
    if value is MISSING:
        return "null" if is_json and not quoted else ""
    if not is_json:
        return value if isinstance(value, str) else json.dumps(value)
    if not quoted:
        return json.dumps(value)
    text = value if isinstance(value, str) else json.dumps(value)
    return json.dumps(text)[1:-1]


_RATE = re.compile(r"rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)")
_CRON = re.compile(r"cron\(([^)]*)\)")
_MONTHS = {name.upper(): number for number, name in enumerate(calendar.month_abbr) if name}
_WEEKDAYS = {name: number for number, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), 1)}
_SEARCH_DAYS = 366 * 5


class Schedule(abc.ABC):
    """When a scheduled rule fires next."""

    def __init__(self, expression: str) -> None:
        self.expression = expression

    @abc.abstractmethod
    def next_after(self, moment: datetime) -> datetime: ...


class Rate(Schedule):
    def __init__(self, expression: str, interval: timedelta) -> None:
        super().__init__(expression)
        self.interval = interval

    def next_after(self, moment: datetime) -> datetime:
        return moment + self.interval


@dataclass(frozen=True)
class _Days:
    """Which calendar days a cron expression fires on."""

    months: frozenset[int]
    years: frozenset[int]
    day_of_month: Callable[[date], bool]
    day_of_week: Callable[[date], bool]

    def __call__(self, day: date) -> bool:
        return day.month in self.months and day.year in self.years and self.day_of_month(day) and self.day_of_week(day)


class Cron(Schedule):
    def __init__(self, expression: str, minutes: frozenset[int], hours: frozenset[int], days: _Days) -> None:
        super().__init__(expression)
        self.minutes, self.hours, self.days = sorted(minutes), sorted(hours), days

    def next_after(self, moment: datetime) -> datetime:
        start = moment.astimezone(UTC)
        for offset in range(_SEARCH_DAYS):
            day = start.date() + timedelta(days=offset)
            if not self.days(day):
                continue
            for hour in self.hours:
                for minute in self.minutes:
                    candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
                    if candidate > start:
                        return candidate
        raise InvalidSchedule(f"{self.expression} does not fire in the next {_SEARCH_DAYS} days")


def parse_schedule(expression: str) -> Schedule:
    rate = _RATE.fullmatch(expression.strip())
    if rate:
        value, unit = int(rate.group(1)), rate.group(2).rstrip("s")
        if value < 1:
            raise InvalidSchedule(f"{expression}: the rate must be positive")
        return Rate(expression, timedelta(**{f"{unit}s": value}))
    cron = _CRON.fullmatch(expression.strip())
    if cron is None:
        raise InvalidSchedule(f"{expression!r} is neither rate(...) nor cron(...)")
    return _parse_cron(expression, cron.group(1).split())


def _parse_cron(expression: str, fields: list[str]) -> Cron:
    if len(fields) != 6:
        raise InvalidSchedule(f"{expression}: cron takes six fields: minutes hours day-of-month month day-of-week year")
    minute, hour, day_of_month, month, day_of_week, year = fields
    if (day_of_month == "?") == (day_of_week == "?"):
        raise InvalidSchedule(f"{expression}: exactly one of day-of-month and day-of-week must be ?")
    days = _Days(
        months=_values(month, 1, 12, _MONTHS),
        years=_values(year, 1970, 2199),
        day_of_month=_day_of_month(day_of_month),
        day_of_week=_day_of_week(day_of_week),
    )
    return Cron(expression, _values(minute, 0, 59), _values(hour, 0, 23), days)


def _values(field: str, low: int, high: int, names: Mapping[str, int] | None = None) -> frozenset[int]:
    def number(text: str) -> int:
        value = (names or {}).get(text.upper()) or int(text)
        if not low <= value <= high:
            raise InvalidSchedule(f"{text} is outside {low}-{high}")
        return value

    values: set[int] = set()
    try:
        for part in field.split(","):
            body, _, step = part.partition("/")
            if body in ("*", "?"):
                first, last = low, high
            elif "-" in body:
                first, last = (number(bound) for bound in body.split("-", 1))
            else:
                first = number(body)
                last = high if step else first
            values.update(range(first, last + 1, int(step or 1)))
    except ValueError as error:
        raise InvalidSchedule(f"cannot read cron field {field!r}: {error}") from error
    return frozenset(values)


def _day_of_month(field: str) -> Callable[[date], bool]:
    if field == "L":
        return lambda day: day.day == calendar.monthrange(day.year, day.month)[1]
    if "W" in field:
        raise InvalidSchedule(f"day-of-month {field!r}: W (nearest weekday) is not supported locally")
    days = _values(field, 1, 31)
    return lambda day: day.day in days


def _aws_weekday(day: date) -> int:
    """AWS numbers days of the week 1 (Sunday) to 7 (Saturday)."""
    return (day.weekday() + 1) % 7 + 1


def _day_of_week(field: str) -> Callable[[date], bool]:
    if "#" in field:
        weekday_text, nth_text = field.split("#", 1)
        weekday, nth = _single(weekday_text), int(nth_text)
        return lambda day: _aws_weekday(day) == weekday and (day.day - 1) // 7 + 1 == nth
    if field.endswith("L") and field != "L":
        weekday = _single(field[:-1])
        return lambda day: _aws_weekday(day) == weekday and day.day + 7 > calendar.monthrange(day.year, day.month)[1]
    days = _values("7" if field == "L" else field, 1, 7, _WEEKDAYS)
    return lambda day: _aws_weekday(day) in days


def _single(text: str) -> int:
    (value,) = _values(text, 1, 7, _WEEKDAYS)
    return value
