"""Staff user profiles: admins and managers keep them; a user edits their own contact details and availability.

A profile's id is the user's token subject (`sub`), so `PUT /users/{id}` creates or replaces it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from rapport import merge_patch, normalize, pagination
from rapport.auth import Caller, Role
from rapport.dal import keys, repository
from rapport.dal.keys import Kind
from rapport.dal.repository import Record, StaleVersion
from rapport.errors import Forbidden, InvalidInput, NotFound, PreconditionFailed, PreconditionRequired
from rapport.pagination import Page
from rapport.records import field_errors
from rapport.types import utc_now
from rapport.users.models import CONTACT_FIELDS, User, UserProfile

_MANAGERS = frozenset({Role.ADMIN, Role.MANAGER})


def is_manager(caller: Caller) -> bool:
    return bool(caller.roles & _MANAGERS)


def profile_of(record: Record) -> UserProfile:
    return UserProfile.model_validate(record.data)


class UserService:
    label = "user"

    def get(self, caller: Caller, user_id: str) -> User:
        return _out(self._load(caller.tenant_id, user_id))

    def search(self, caller: Caller, *, team: str | None, limit: int, cursor: str | None) -> Page[User]:
        """Users by name (one Query on gsi1), or one team's (gsi2)."""
        tenant = caller.tenant_id
        index, partition = (
            ("gsi2", keys.user_team_pk(tenant, team)) if team else ("gsi1", keys.list_pk(tenant, Kind.USER))
        )
        binding = pagination.fingerprint(tenant, f"users:{index}", {"team": team})
        page = repository.query(index, partition, limit=limit, position=pagination.decode_cursor(cursor, binding))
        return Page(
            items=[_out(record) for record in page.records],
            next_cursor=pagination.encode_cursor(page.next_position, binding),
        )

    def put(
        self, caller: Caller, user_id: str, profile: UserProfile, expected_version: int | None
    ) -> tuple[User, bool]:
        """Create (no If-Match, no profile yet) or replace (If-Match) the profile; True when created.

        Admins and managers set everything; a user may change only their own contact fields.
        """
        record = repository.get(caller.tenant_id, Kind.USER, user_id)
        data = profile.model_dump(mode="json", exclude_none=True, by_alias=True)
        if not is_manager(caller):
            if caller.user_id != user_id or record is None:
                raise Forbidden("Only an admin or a manager may set up another user's profile.")
            kept = {name: value for name, value in record.data.items() if name not in CONTACT_FIELDS}
            changed = {name: value for name, value in data.items() if name not in CONTACT_FIELDS}
            if changed != kept:
                raise Forbidden(f"You may change only {', '.join(sorted(CONTACT_FIELDS))} on your own profile.")
        if record is None:
            if expected_version is not None:
                raise PreconditionFailed(f"No user has the id {user_id} yet; create it without If-Match.")
            now = utc_now()
            record = Record(Kind.USER, user_id, caller.tenant_id, data, now, caller.user_id, now, caller.user_id)
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
        """The user themselves or a manager sets, changes or clears (`null`) the away window: `patch` is a JSON merge
        patch of `{"away": {"from", "until"}}`."""
        if caller.user_id != user_id and not is_manager(caller):
            raise Forbidden("Only the user or a manager may change their availability.")
        record = self._load(caller.tenant_id, user_id)
        if expected_version is not None and record.version != expected_version:
            raise _stale(record.version)
        record.data = merge_patch.apply(record.data, patch)
        record.updated_at, record.updated_by = utc_now(), caller.user_id
        return self._write(record)

    def _load(self, tenant_id: str, user_id: str) -> Record:
        record = repository.get(tenant_id, Kind.USER, user_id)
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
        index_keys = keys.user_index_keys(
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


users = UserService()
