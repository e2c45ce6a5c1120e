"""Where custom fields keep what their checks need, in the tenant's settings partition beside the document:

| item                                 | pk              | sk                                      |
|--------------------------------------|-----------------|-----------------------------------------|
| a field's usage (records with a value) | T#<t>#SETTINGS | CUSTOM#<family>#<key>                   |
| an option's usage (records choosing it) | T#<t>#SETTINGS | CUSTOM#<family>#<key>#=<option>        |

Counters (`CounterItem`) moved by ADD in each record write's own transaction, so that a save of the document that
would change a field's type, drop an option or drop a field while values use it is refused from ONE Query of the
family's counters. A unique value's guard is the family's and the field's: `T#<t>#UNIQ#CUSTOM#<family>#<key>#<value>`
(keys.guard_pk), taken and freed with the record like an email's.
"""

from __future__ import annotations

from collections.abc import Mapping

from rapport.dal import keys, repository
from rapport.dal.models import CounterItem
from rapport.dal.repository import Guard, UnitOfWork

PREFIX = "CUSTOM#"
OPTION = "#="
Counted = tuple[str, str | None]  # a field's key, and one of its options (None: the field itself)


def _family_prefix(family: str) -> str:
    return f"{PREFIX}{family}#"


def usage_sk(family: str, key: str, option: str | None = None) -> str:
    return f"{_family_prefix(family)}{key}" + (f"{OPTION}{option}" if option is not None else "")


def stage_usage(work: UnitOfWork, tenant_id: str, family: str, moves: Mapping[Counted, int]) -> None:
    """ADD each move to its counter in `work` (the record's write)."""
    for (key, option), delta in moves.items():
        repository.stage_count(work, tenant_id, keys.settings_pk(tenant_id), usage_sk(family, key, option), delta)


def usage(tenant_id: str) -> dict[str, dict[Counted, int]]:
    """ONE Query: by family, how many records use each field and option (only those some record uses)."""
    counted: dict[str, dict[Counted, int]] = {}
    for item in CounterItem.query(keys.settings_pk(tenant_id), CounterItem.sk.startswith(PREFIX)):
        if not isinstance(item, CounterItem) or not item.value:
            continue
        family, _, rest = item.sk.removeprefix(PREFIX).partition("#")
        key, chosen, option = rest.partition(OPTION)
        counted.setdefault(family, {})[(key, option if chosen else None)] = int(item.value)
    return counted


def guard(family: str, key: str, value: str) -> Guard:
    return Guard(f"{PREFIX}{family}#{key}", value)


def guarded_key(guard: Guard) -> str | None:
    """The custom field whose value `guard` holds, or None for another guard (an email ...)."""
    if not guard.field.startswith(PREFIX):
        return None
    return guard.field.removeprefix(PREFIX).partition("#")[2]
