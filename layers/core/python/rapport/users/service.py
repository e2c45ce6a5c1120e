"""Staff user profiles: admins keep them all, a manager their team's; a user edits their own contact details and
availability.

A profile's id is the user's token subject (`sub`), so `PUT /users/{id}` creates or replaces it. A user's contact
details (`CONTACT_FIELDS`: where their notifications go) are theirs: once the profile exists, only they or an
admin change them. A manager's team is the users whose profile's `team` is the manager's own profile's `team`:
the manager sets up profiles in it, changes the rest of its members' profiles (and may take them out of the
team), and sets their availability.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from rapport import merge_patch, normalize, pagination
from rapport.auth import Caller, Role, Teams
from rapport.dal import access, repository
from rapport.dal.repository import Record, StaleVersion
from rapport.errors import FieldError, Forbidden, InvalidInput, NotFound, PreconditionFailed, PreconditionRequired
from rapport.pagination import Page
from rapport.records import field_errors
from rapport.types import utc_now
from rapport.users import store
from rapport.users.manifest import USER
from rapport.users.models import CONTACT_FIELDS, User, UserProfile
from rapport.users.teams import ProfileTeams


def profile_of(record: Record) -> UserProfile:
    return UserProfile.model_validate(record.data)


class UserService:
    label = "user"

    def __init__(self, teams: Teams) -> None:
        self._teams = teams

    def get(self, caller: Caller, user_id: str) -> User:
        return _out(self._load(caller.tenant_id, user_id))

    def search(self, caller: Caller, *, team: str | None, limit: int, cursor: str | None) -> Page[User]:
        """Users by name, or one team's: one Query."""
        tenant = caller.tenant_id
        found = store.of_team(tenant, team) if team else access.listed(tenant, USER)
        binding = pagination.fingerprint(tenant, f"users:{found.index}", {"team": team})
        page = repository.query(found, limit=limit, position=pagination.decode_cursor(cursor, binding))
        return Page(
            items=[_out(record) for record in page.records],
            next_cursor=pagination.encode_cursor(page.next_position, binding),
        )

    def put(
        self, caller: Caller, user_id: str, profile: UserProfile, expected_version: int | None
    ) -> tuple[User, bool]:
        """Create (no If-Match, no profile yet) or replace (If-Match) the profile; True when created.

        Admins set everything; a manager their team's profiles, but not the contact details of an existing one;
        a user only their own contact details.
        """
        record = repository.get(caller.tenant_id, USER, user_id)
        data = profile.model_dump(mode="json", exclude_none=True, by_alias=True)
        self._require_may_write(caller, user_id, record.data if record else None, data)
        if record is None:
            if expected_version is not None:
                raise PreconditionFailed(f"No user has the id {user_id} yet; create it without If-Match.")
            now = utc_now()
            record = Record(USER, user_id, caller.tenant_id, data, now, caller.user_id, now, caller.user_id)
            return self._write(record), True
        if expected_version is None:
            raise PreconditionRequired('The user exists: send If-Match: "<version>" with the ETag you read.')
        if record.version != expected_version:
            raise _stale(record.version)
        record.data = data
        record.updated_at, record.updated_by = utc_now(), caller.user_id
        return self._write(record), False

    def set_availability(
        self, caller: Caller, user_id: str, patch: Mapping[str, Any], expected_version: int | None
    ) -> User:
        """The user themselves, their team's manager or an admin sets, changes or clears (`null`) the away window:
        `patch` is a JSON merge patch of `{"away": {"from", "until"}}`."""
        record = self._load(caller.tenant_id, user_id)
        yours = caller.user_id == user_id or Role.ADMIN in caller.roles
        if not yours and not self._manages(caller, record.data.get("team")):
            raise Forbidden("Only the user, their team's manager or an admin may change their availability.")
        if expected_version is not None and record.version != expected_version:
            raise _stale(record.version)
        record.data = merge_patch.apply(record.data, patch)
        record.updated_at, record.updated_by = utc_now(), caller.user_id
        return self._write(record)

    def _require_may_write(
        self, caller: Caller, user_id: str, before: Mapping[str, Any] | None, after: Mapping[str, Any]
    ) -> None:
        """403 unless the caller may make `before` (None: no profile yet) into `after`, naming the fields at fault."""
        if Role.ADMIN in caller.roles:
            return
        changed = (
            set(after)
            if before is None
            else {name for name in {*before, *after} if before.get(name) != after.get(name)}
        )
        details = sorted(changed & CONTACT_FIELDS)
        if before is not None and details and caller.user_id != user_id:
            raise Forbidden(
                f"Only the user or an admin may change a user's {', '.join(sorted(CONTACT_FIELDS))}.",
                [FieldError(name, "is the user's to change (or an admin's)", "not_owner") for name in details],
            )
        if before is not None and not changed - CONTACT_FIELDS and caller.user_id == user_id:
            return
        team_before = before.get("team") if before is not None else after.get("team")
        team_after = after.get("team")
        if not self._manages(caller, team_before) or team_after not in (team_before, None):
            raise Forbidden(
                "A user changes only their own email, phone, notify_by and time_zone; a manager sets up and changes "
                "the profiles of their own team (the users whose team is the manager's); an admin, everyone's.",
                [
                    FieldError(name, "is not yours to set here", "forbidden")
                    for name in sorted(changed - CONTACT_FIELDS)
                ],
            )

    def _manages(self, caller: Caller, team: object) -> bool:
        """Whether the caller is a manager of `team` (their own profile's team)."""
        if Role.MANAGER not in caller.roles or not isinstance(team, str):
            return False
        return self._teams.teams_of(caller.tenant_id, [caller.user_id]).get(caller.user_id) == team

    def _load(self, tenant_id: str, user_id: str) -> Record:
        record = repository.get(tenant_id, USER, user_id)
        if record is None or record.deleted:
            raise NotFound(f"No user has the id {user_id}.")
        return record

    @staticmethod
    def _write(record: Record) -> User:
        try:
            profile = UserProfile.model_validate(record.data)
        except ValidationError as error:
            raise InvalidInput("The user is not valid.", field_errors(error)) from error
        record.data = profile.model_dump(mode="json", exclude_none=True, by_alias=True)
        index_keys = store.index_keys(
            record.tenant_id, record.id, normalize.name_key(profile.name), profile.team, deleted=record.deleted
        )
        try:
            repository.write(record, index_keys)
        except StaleVersion as error:
            raise _stale() from error
        return _out(record)


def _stale(current: int | None = None) -> PreconditionFailed:
    now = f" (it is at version {current})" if current is not None else ""
    return PreconditionFailed(f"The user has changed since you read it{now}; read it again.")


def _out(record: Record) -> User:
    return User.model_validate(
        {
            **record.data,
            "id": record.id,
            "created_at": record.created_at,
            "created_by": record.created_by,
            "updated_at": record.updated_at,
            "updated_by": record.updated_by,
            "version": record.version,
        }
    )


users = UserService(ProfileTeams())
