"""Assignment's counters, for leads and cases (rapport.dal.keys has the shared layout and says why this is here).

| item                                   | pk                     | sk                      |
|----------------------------------------|------------------------|-------------------------|
| the rep's open leads assigned (Number) | T#<t>#USER#<sub>       | B#LOAD                  |
| leads assigned on a day (rep's day)    | T#<t>#USER#<sub>       | B#DAY#<yyyy-mm-dd>      |
| the agent's open cases owned (Number)  | T#<t>#USER#<sub>       | B#LOAD#CASE             |
| a team's round-robin cursor (turn)     | T#<t>#SETTINGS         | RR#<team>               |
| a service queue's round-robin cursor   | T#<t>#SETTINGS         | RR#QUEUE#<queue>        |

The counters are `CounterItem`s updated with ADD under a cap condition, the cursor with a condition on the turn
read, all in the assignment's one transaction (rapport.assignment.service): a concurrent assignment that got in
first fails it, and the loser reads again. Counting open leads down when a lead is closed by hand is not wired yet;
open cases are counted by every case write (rapport.cases.service), whoever makes it. Team names have no `#`, so a
team's cursor never meets a queue's.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from pynamodb.exceptions import DoesNotExist

from rapport.dal import keys, repository
from rapport.dal.models import CounterItem, Item, RecordItem
from rapport.dal.repository import UnitOfWork, plain
from rapport.users.manifest import USER

LOAD_SK = "B#LOAD"
CASE_LOAD_SK = "B#LOAD#CASE"
QUEUE_POOL_PREFIX = "QUEUE#"
ASSIGNED_DAY_PREFIX = "B#DAY#"
ROUND_ROBIN_PREFIX = "RR#"


class Rep(NamedTuple):
    """A rep as assignment reads them: their live profile's data (None without one), their open leads and the leads
    assigned to them on their day."""

    profile: dict[str, Any] | None
    open_leads: int
    today: int


def _user_pk(tenant_id: str, user_id: str) -> str:
    return keys.record_pk(tenant_id, USER, user_id)


def _day_sk(day: str) -> str:
    return f"{ASSIGNED_DAY_PREFIX}{day}"


def _round_robin_sk(team: str) -> str:
    return f"{ROUND_ROBIN_PREFIX}{team}"


def _batch_get(wanted: list[tuple[str, str]]) -> dict[tuple[str, str], Item]:
    if not wanted:
        return {}
    return {(item.pk, item.sk): item for item in Item.batch_get(wanted, consistent_read=True)}


def _value(item: Item | None) -> int:
    return int(item.value or 0) if isinstance(item, CounterItem) else 0


def profiles(
    tenant_id: str, reps: Iterable[str], load_sk: str = LOAD_SK
) -> dict[str, tuple[dict[str, Any] | None, int]]:
    """Each rep's live profile's data (None without one) and load (`load_sk`: open leads, or CASE_LOAD_SK's open
    cases): one BatchGetItem."""
    wanted = [(_user_pk(tenant_id, rep), sk) for rep in reps for sk in (keys.META_SK, load_sk)]
    found = _batch_get(wanted)
    read: dict[str, tuple[dict[str, Any] | None, int]] = {}
    for rep in reps:
        item = found.get((_user_pk(tenant_id, rep), keys.META_SK))
        live = isinstance(item, RecordItem) and item.deleted_at is None
        profile = plain(item.data) if live and isinstance(item, RecordItem) else None
        read[rep] = profile, _value(found.get((_user_pk(tenant_id, rep), load_sk)))
    return read


def queue_pool(queue: str) -> str:
    """The round-robin pool of a service queue, beside the teams' (`turn`, `stage_turn`)."""
    return f"{QUEUE_POOL_PREFIX}{queue}"


def assigned_on(tenant_id: str, days: dict[str, str]) -> dict[str, int]:
    """How many leads each rep was assigned on their day (`days`: rep -> YYYY-MM-DD): one BatchGetItem."""
    found = _batch_get([(_user_pk(tenant_id, rep), _day_sk(day)) for rep, day in days.items()])
    return {rep: _value(found.get((_user_pk(tenant_id, rep), _day_sk(day)))) for rep, day in days.items()}


def _read_counter(pk: str, sk: str) -> int | None:
    try:
        item = CounterItem.get(pk, sk, consistent_read=True)
    except DoesNotExist:
        return None
    return None if item.value is None else int(item.value)


def open_leads(tenant_id: str, user_id: str) -> int:
    return _read_counter(_user_pk(tenant_id, user_id), LOAD_SK) or 0


def turn(tenant_id: str, team: str) -> int | None:
    """The team's (or `queue_pool`'s) round-robin turn (None before its first assignment)."""
    return _read_counter(keys.settings_pk(tenant_id), _round_robin_sk(team))


def _counter(tenant_id: str, pk: str, sk: str) -> tuple[CounterItem, list[Any]]:
    item = CounterItem(pk, sk)
    return item, [CounterItem.item_type.set(CounterItem), CounterItem.tenant_id.set(tenant_id)]


def _bump(work: UnitOfWork, tenant_id: str, pk: str, sk: str, delta: int, cap: int | None) -> None:
    """ADD `delta`, only while the counter is under `cap` (None: no cap)."""
    condition = None if cap is None else (CounterItem.value.does_not_exist() | (CounterItem.value < cap))
    repository.stage_count(work, tenant_id, pk, sk, delta, condition)


def stage_assigned(
    work: UnitOfWork, tenant_id: str, user_id: str, day: str, *, max_open_leads: int | None, daily_quota: int | None
) -> None:
    """One more open lead for the rep, and one more on their `day`, each only while under its cap."""
    _bump(work, tenant_id, _user_pk(tenant_id, user_id), LOAD_SK, 1, max_open_leads)
    _bump(work, tenant_id, _user_pk(tenant_id, user_id), _day_sk(day), 1, daily_quota)


def stage_released(work: UnitOfWork, tenant_id: str, user_id: str) -> None:
    """One open lead fewer for the rep."""
    _bump(work, tenant_id, _user_pk(tenant_id, user_id), LOAD_SK, -1, None)


def stage_case_load(work: UnitOfWork, tenant_id: str, user_id: str, delta: int) -> None:
    """The agent's open cases up or down by `delta` (uncapped: a case given by hand counts too)."""
    _bump(work, tenant_id, _user_pk(tenant_id, user_id), CASE_LOAD_SK, delta, None)


def stage_turn(work: UnitOfWork, tenant_id: str, team: str, read: int | None, turn: int) -> None:
    """Move the team's turn to `turn`, only if it is still the turn read."""
    item, actions = _counter(tenant_id, keys.settings_pk(tenant_id), _round_robin_sk(team))
    condition = CounterItem.value.does_not_exist() if read is None else CounterItem.value == read
    work.update_item(item, [*actions, CounterItem.value.set(turn)], condition)
