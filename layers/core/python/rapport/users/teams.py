"""The `rapport.auth.Teams` port over staff profiles: a user's team is their profile's `team`; `STAFF`, how far a
caller's rights reach over records that staff users own (rapport.auth.Ownership)."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from rapport.auth import Ownership
from rapport.dal import repository
from rapport.users.manifest import USER


class ProfileTeams:
    def teams_of(self, tenant_id: str, user_ids: Collection[str]) -> Mapping[str, str | None]:
        """Each user's team (None without a profile or a team): one BatchGetItem of their profiles."""
        profiles = repository.get_many(tenant_id, USER, user_ids)
        return {user_id: profiles[user_id].data.get("team") if user_id in profiles else None for user_id in user_ids}


STAFF = Ownership(ProfileTeams())
