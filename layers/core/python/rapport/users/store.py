"""The staff users' key layout and access patterns (rapport.dal.keys has the shared layout and says why this is here).

A staff user's profile is a record `T#<t>#USER#<sub>` / `A#META` (the token's subject is its id), listed on gsi1
`T#<t>#USER` by name and per team on gsi2 `T#<t>#USER#TEAM#<team>`. Lead assignment keeps its counters in the
user's partition too (rapport.assignment.store).
"""

from __future__ import annotations

from rapport.dal import keys
from rapport.dal.access import IndexQuery
from rapport.dal.keys import IndexKeys
from rapport.users.manifest import USER


def _team_pk(tenant_id: str, team: str) -> str:
    return f"{keys.list_pk(tenant_id, USER)}#TEAM#{team}"


def index_keys(tenant_id: str, user_id: str, name_key: str, team: str | None, *, deleted: bool) -> IndexKeys:
    sk = keys.name_sk(name_key, user_id)
    if deleted:
        return IndexKeys(gsi1pk=keys.list_pk(tenant_id, USER, deleted=True), gsi1sk=sk)
    return IndexKeys(
        gsi1pk=keys.list_pk(tenant_id, USER),
        gsi1sk=sk,
        gsi2pk=_team_pk(tenant_id, team) if team else None,
        gsi2sk=sk if team else None,
    )


def of_team(tenant_id: str, team: str) -> IndexQuery:
    """A team's users by name."""
    return IndexQuery("gsi2", _team_pk(tenant_id, team))
