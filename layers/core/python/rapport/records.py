"""The life cycle every business record shares: create, read, list, patch, soft delete, restore, erase.

A bounded context (accounts, contacts, ...) subclasses `RecordService` with its models, the unique values
it guards, the parents it needs alive, its index keys, the summaries it keeps in other records' partitions
(`linked_writes`) and the fields that name a record's owners (`owner_fields`); the storage rules, and who may
change a record (`rapport.auth`), live here once.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from ulid import ULID

from rapport import contexts, field_history, merge_patch, normalize, pagination
from rapport.auth import Action, Caller, Ownership
from rapport.contexts import Kind
from rapport.custom_fields import service as custom_fields
from rapport.custom_fields.models import CustomField
from rapport.dal import access, repository
from rapport.dal.access import IndexQuery, PartitionQuery
from rapport.dal.repository import (
    MAX_TRANSACTION_ITEMS,
    Changes,
    Guard,
    GuardTaken,
    IndexKeys,
    Parent,
    ParentMissing,
    Record,
    StaleVersion,
    Summary,
    TooManyWrites,
    UnitOfWork,
)
from rapport.errors import (
    BadRequest,
    Busy,
    Conflict,
    FieldError,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    dotted_path,
)
from rapport.field_history import RecordChange
from rapport.pagination import Page
from rapport.types import RecordMeta, utc_now

CreateT = TypeVar("CreateT", bound=BaseModel)
OutT = TypeVar("OutT", bound=RecordMeta)
T = TypeVar("T")


def new_id() -> str:
    return str(ULID())


def field_errors(error: ValidationError, location: str = "body") -> list[FieldError]:
    """pydantic's errors as field errors: `("emails", 1)` becomes `emails[1]`."""
    return [
        FieldError(dotted_path(entry["loc"]), entry["msg"].removeprefix("Value error, "), entry["type"], location)
        for entry in error.errors()
    ]


def normalized_filter(field: str, normalizer: Callable[[str], str], value: str | None) -> str | None:
    """A query filter in canonical form; a value that cannot be normalized is a 400 on that parameter."""
    try:
        return None if value is None else normalizer(value)
    except ValueError as error:
        raise BadRequest.of(field, str(error)) from error


def too_many_writes(label: str, data: Mapping[str, Any], error: TooManyWrites) -> InvalidInput:
    """A change that one transaction cannot hold, named by the record's lists: each of their values is written
    with the record (a search entry, a guard), and each value that comes or goes twice."""
    lists = [name for name, value in data.items() if isinstance(value, list) and value]
    message = "changes too many values at once; send the change in two steps"
    return InvalidInput(
        f"This change of the {label} writes {error.items} items at once, more than one transaction holds "
        f"({MAX_TRANSACTION_ITEMS}): change fewer emails, phones or tags at a time.",
        [FieldError(name, message, "too_many_changes") for name in lists],
    )


class RecordService(ABC, Generic[CreateT, OutT]):
    kind: ClassVar[Kind]
    resource: ClassVar[str]
    label: ClassVar[str]
    create_model: type[BaseModel]  # what every stored record's data satisfies: usually the create model
    out_model: type[OutT]
    write_attempts: ClassVar[int] = 3  # see `restage_on`
    # The fields naming who owns a record (a user id, or a list of them); none: its kind is not owned (unless
    # `owners` says otherwise), and the role's rights reach every record. A kind that is owned says whose team an
    # owner is in (`ownership`: rapport.users.teams.STAFF for staff users' profiles).
    owner_fields: ClassVar[tuple[str, ...]] = ()
    # The list route's name of each `search` keyword it names otherwise (`type_`: `type`), for exports' filters.
    filter_aliases: ClassVar[Mapping[str, str]] = {}
    ownership: ClassVar[Ownership]

    @abstractmethod
    def guards(self, data: Mapping[str, Any]) -> dict[Guard, str]:
        """The unique values `data` holds, each with the field it comes from."""

    @abstractmethod
    def index_keys(self, tenant_id: str, record_id: str, data: Mapping[str, Any], *, deleted: bool) -> IndexKeys:
        """Where the record shows in the indexes, given its state."""

    def parents(self, data: Mapping[str, Any]) -> dict[Parent, str]:
        """The records `data` points at, which must exist and be live, each with its field."""
        return {}

    def exclusions(self, data: Mapping[str, Any]) -> dict[Guard, str]:
        """Unique values that records of other kinds guard and `data` must not meet, each with its field.

        Checked when they appear (on create, or when an update brings them in), in the same transaction.
        """
        return {}

    def derive(self, tenant_id: str, data: dict[str, Any], before: Record | None) -> dict[str, Any]:
        """The validated data with the fields the service computes (a score, ...); `before` on update.

        Raises a domain error when the change is not allowed in the record's state.
        """
        return data

    def before_erase(self, caller: Caller, record: Record) -> None:
        """Refuse an erase that would leave dangling references."""

    def before_update(self, caller: Caller, record: Record, data: Mapping[str, Any]) -> None:
        """Refuse a change from `record` to `data` (validated) that would leave dangling references."""

    def linked_writes(self, work: UnitOfWork, before: Record | None, after: Record | None) -> None:
        """Add to `work` what a change of a record implies for other items: its summaries in linked records'
        partitions (its store), and changes of the linked records themselves, committed in the record's own
        transaction (the unit of work folds the record's parent checks into its writes of those parents).

        `before` is the record as it was (None when it is created), `after` as it is written (None when it is
        erased); either may be trashed.
        """

    def owners(self, record: Record) -> frozenset[str] | None:
        """Who owns `record`: the users its `owner_fields` name (empty: nobody); None when its kind is not owned."""
        if not self.owner_fields:
            return None
        named: set[str] = set()
        for name in self.owner_fields:
            value = record.data.get(name)
            named.update(value if isinstance(value, list) else [value] if value else [])
        return frozenset(named)

    def require_owner(self, caller: Caller, action: Action, record: Record) -> None:
        """403 unless the caller's right to `action` reaches `record` as it is now (rapport.auth.Ownership)."""
        owners = self.owners(record)
        if owners is not None:
            self.ownership.require(caller, self.resource, action, owners)

    def require_reassign(self, caller: Caller, before: frozenset[str] | None, after: Record) -> None:
        """A change of owners (from `before`, to `after`'s) is the previous owners' to give (Action.REASSIGN)."""
        if before is not None and self.owners(after) != before:
            field = ", ".join(self.owner_fields)
            self.ownership.require(caller, self.resource, Action.REASSIGN, before, field=field)

    def new_record_id(self, data: Mapping[str, Any]) -> str:
        """The id of a record created with `data`."""
        return new_id()

    def create(self, caller: Caller, payload: CreateT) -> OutT:
        caller.require(self.resource, Action.CREATE)
        return self._create(caller.tenant_id, caller.user_id, payload, complete=True)

    def create_as(self, tenant_id: str, actor: str, payload: BaseModel) -> OutT:
        """Create for `actor` without a role check: for requests authorized another way (a web form's key) and
        for workflows, which cannot fill in the tenant's required custom fields (their values are still checked)."""
        return self._create(tenant_id, actor, payload, complete=False)

    def _create(self, tenant_id: str, actor: str, payload: BaseModel, *, complete: bool) -> OutT:
        record, changes, custom = self._new_record(tenant_id, actor, payload, complete=complete)
        return self._write(record, None, changes, custom=custom)

    def stage_create(
        self, work: UnitOfWork, tenant_id: str, actor: str, payload: BaseModel, *, complete: bool = False
    ) -> Record:
        """Add the creation of a record from `payload` to `work`, which the caller commits (`commit`): for writes of
        several records (a conversion, a workflow), which ask no required custom field unless `complete` (an
        import's rows, written for a person)."""
        record, changes, custom = self._new_record(tenant_id, actor, payload, complete=complete)
        self._stage(work, record, changes, None, custom)
        return record

    @property
    def has_custom_fields(self) -> bool:
        """Whether the kind's records carry the tenant's custom fields (rapport.custom_fields)."""
        return self.resource in custom_fields.FAMILIES

    def _custom_fields_of(self, tenant_id: str, data: Mapping[str, Any]) -> Sequence[CustomField] | None:
        """The custom fields when `data` (a patch, or a record) holds custom values, else None (nothing read)."""
        return self._custom_fields(tenant_id) if custom_fields.FIELD in data else None

    def _custom_fields(self, tenant_id: str) -> Sequence[CustomField] | None:
        return custom_fields.definitions(tenant_id, self.resource) if self.has_custom_fields else None

    def _with_custom(
        self, fields: Sequence[CustomField] | None, data: dict[str, Any], *, complete: bool = True
    ) -> dict[str, Any]:
        """`data` with its custom values checked; `complete`: its required custom fields too."""
        return data if fields is None else custom_fields.checked(self.resource, fields, data, complete=complete)

    def _custom_guards(self, fields: Sequence[CustomField] | None, data: Mapping[str, Any]) -> dict[Guard, str]:
        return {} if fields is None else custom_fields.guards(self.resource, fields, data)

    def stage_custom(
        self,
        work: UnitOfWork,
        record: Record,
        fields: Sequence[CustomField] | None,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
    ) -> None:
        """For a service that stages its own writes (deals): add to `work` the guards of the unique custom values
        that come and go from `before` to `after` (None: no record), and the fields' usage counts."""
        if fields is None:
            return
        old, new = self._custom_guards(fields, before or {}), self._custom_guards(fields, after or {})
        for guard in new:
            if guard not in old:
                work.take(record, guard)
        for guard in old:
            if guard not in new:
                work.free(record, guard)
        custom_fields.stage_usage(work, record.tenant_id, self.resource, fields, before, after)

    def _new_record(
        self, tenant_id: str, actor: str, payload: BaseModel, *, complete: bool
    ) -> tuple[Record, Changes, Sequence[CustomField] | None]:
        custom = self._custom_fields(tenant_id)
        data = self._validated(payload.model_dump(mode="json", exclude_none=True))
        data = self._with_custom(custom, data, complete=complete)
        data = self.derive(tenant_id, data, None)
        now = utc_now()
        record = Record(
            kind=self.kind,
            id=self.new_record_id(data),
            tenant_id=tenant_id,
            data=data,
            created_at=now,
            created_by=actor,
            updated_at=now,
            updated_by=actor,
        )
        changes = Changes(
            take=[*self.guards(data), *self._custom_guards(custom, data)],
            parents=list(self.parents(data)),
            absent=list(self.exclusions(data)),
        )
        return record, changes, custom

    def get(self, caller: Caller, record_id: str) -> OutT:
        caller.require(self.resource, Action.READ)
        return self.out(self._load(caller, record_id))

    def update(self, caller: Caller, record_id: str, patch: Mapping[str, Any], expected_version: int) -> OutT:
        """Apply `patch`, a JSON merge patch (RFC 7396), to the record at `expected_version`."""
        caller.require(self.resource, Action.UPDATE)

        def attempt() -> OutT:
            record = self._load(caller, record_id, expected_version)
            self.require_owner(caller, Action.UPDATE, record)
            owners = self.owners(record)
            work = UnitOfWork()
            self.stage_update(work, caller, record, patch)
            self.require_reassign(caller, owners, record)
            return self.commit(work, record)

        updated = self._restaged(attempt)
        self.after_update(caller, record_id, patch)
        return updated

    def after_update(self, caller: Caller, record_id: str, patch: Mapping[str, Any]) -> None:
        """What follows an update committed with `patch` outside its transaction (copies to many other records)."""

    def stage_update(self, work: UnitOfWork, caller: Caller, record: Record, changes: Mapping[str, Any]) -> None:
        """Add `record` changed by `changes`, a JSON merge patch (objects merge, null removes), to `work`, which the
        caller commits (`commit`)."""
        if record.deleted:
            raise Conflict(f"The {self.label} is deleted; restore it before editing it.")
        before = copy.deepcopy(record)
        custom = self._custom_fields_of(caller.tenant_id, changes)
        data = self._with_custom(custom, self._validated(merge_patch.apply(record.data, changes)))
        data = self.derive(caller.tenant_id, data, record)
        old_guards = {**self.guards(record.data), **self._custom_guards(custom, record.data)}
        new_guards = {**self.guards(data), **self._custom_guards(custom, data)}
        old_exclusions, new_exclusions = self.exclusions(record.data), self.exclusions(data)
        old_parents = self.parents(record.data)
        self.before_update(caller, record, data)
        record.data = data
        self._touch(record, caller)
        changed = Changes(
            take=[guard for guard in new_guards if guard not in old_guards],
            free=[guard for guard in old_guards if guard not in new_guards],
            parents=[parent for parent in self.parents(data) if parent not in old_parents],
            absent=[guard for guard in new_exclusions if guard not in old_exclusions],
        )
        self._stage(work, record, changed, before, custom)

    def delete(self, caller: Caller, record_id: str, expected_version: int | None) -> None:
        caller.require(self.resource, Action.DELETE)
        record = self._load(caller, record_id, expected_version)
        if record.deleted:
            return
        self.require_owner(caller, Action.DELETE, record)
        before = copy.deepcopy(record)
        record.deleted_at, record.deleted_by = utc_now(), caller.user_id
        record.updated_at, record.updated_by = record.deleted_at, caller.user_id
        self._write(record, {}, Changes(), before)

    def restore(self, caller: Caller, record_id: str, expected_version: int | None) -> OutT:
        caller.require(self.resource, Action.RESTORE)
        record = self._load(caller, record_id, expected_version)
        if not record.deleted:
            raise Conflict(f"The {self.label} is not deleted.")
        self.require_owner(caller, Action.RESTORE, record)
        before = copy.deepcopy(record)
        record.deleted_at = record.deleted_by = None
        self._touch(record, caller)
        return self._write(record, {}, Changes(parents=list(self.parents(record.data))), before)

    def erase(self, caller: Caller, record_id: str, expected_version: int | None) -> None:
        caller.require(self.resource, Action.ERASE)
        record = self._load(caller, record_id, expected_version)
        self.require_owner(caller, Action.ERASE, record)
        self.before_erase(caller, record)

        custom = self._custom_fields_of(caller.tenant_id, record.data)

        def attempt() -> None:
            work = UnitOfWork()
            self.linked_writes(work, record, None)
            if custom is not None:
                custom_fields.stage_usage(work, caller.tenant_id, self.resource, custom, record.data, None)
            guards = {**self.guards(record.data), **self._custom_guards(custom, record.data)}
            with self.client_errors(record, None):
                repository.erase(record, guards, work, by=caller.user_id, at=utc_now())

        self._restaged(attempt)

    def list(
        self, caller: Caller, found: IndexQuery, *, limit: int, cursor: str | None, bound_to: Mapping[str, object]
    ) -> Page[OutT]:
        """A page of the records of `found` (ONE Query), the cursor bound to the tenant, the pattern's index and the
        filters `bound_to`."""
        caller.require(self.resource, Action.READ)
        binding = pagination.fingerprint(caller.tenant_id, f"{self.resource}:{found.index}", bound_to)
        page = repository.query(found, limit=limit, position=pagination.decode_cursor(cursor, binding))
        return Page(
            items=[self.out(record) for record in page.records],
            next_cursor=pagination.encode_cursor(page.next_position, binding),
        )

    def history(self, caller: Caller, record_id: str, *, limit: int, cursor: str | None) -> Page[RecordChange]:
        """Every change of the record, newest first (rapport.field_history): for whoever may read it."""
        caller.require(self.resource, Action.READ)
        return field_history.read(
            caller.tenant_id, self.kind, record_id, query=f"{self.resource}:history", limit=limit, cursor=cursor
        )

    def find_by_name(
        self,
        caller: Caller,
        q: str,
        *,
        limit: int,
        cursor: str | None,
        bound_to: Mapping[str, object],
        data_equals: Mapping[str, str] | None = None,
    ) -> Page[OutT]:
        """Live records with a word of their name starting with each word of `q` (case and accents aside): ONE
        Query on the kind's word partition for the longest word, the others (and `data_equals`) as a filter."""
        terms = normalize.search_terms(q)
        if not terms:
            raise BadRequest.of("q", "must hold a letter or a digit")
        found = access.named(caller.tenant_id, self.kind, terms, data_equals)
        return self.list(caller, found, limit=limit, cursor=cursor, bound_to=bound_to)

    def _validated(self, data: Mapping[str, Any]) -> dict[str, Any]:
        try:
            model = self.create_model.model_validate(data)
        except ValidationError as error:
            raise InvalidInput(f"The {self.label} is not valid.", field_errors(error)) from error
        return model.model_dump(mode="json", exclude_none=True)

    def child_summaries(
        self, caller: Caller, record_id: str, pattern: PartitionQuery, kind: str, *, limit: int, cursor: str | None
    ) -> tuple[Sequence[Summary], str | None]:
        """A page of what the record keeps in its partition (summaries of `kind`: a campaign's sends, a segment's
        members, a webhook's deliveries) and the next page's cursor, bound to the record: ONE Query, which reads the
        record too on the first page (a 404 for one the tenant does not have)."""
        caller.require(self.resource, Action.READ)
        binding = pagination.fingerprint(caller.tenant_id, f"{self.resource}:{kind}", {"record_id": record_id})
        position = pagination.decode_cursor(cursor, binding)
        page = repository.read_partition(pattern, limit=limit if position else limit + 1, position=position)
        if position is None and page.record is None:
            raise NotFound(f"No {self.label} has the id {record_id}.")
        found = [summary for summary in page.summaries if summary.kind == kind]
        return found, pagination.encode_cursor(page.next_position, binding)

    def _load(self, caller: Caller, record_id: str, expected_version: int | None = None) -> Record:
        record = repository.get(caller.tenant_id, self.kind, record_id)
        if record is None:
            raise NotFound(f"No {self.label} has the id {record_id}.")
        if expected_version is not None and record.version != expected_version:
            raise self._stale(record.version)
        return record

    def _write(
        self,
        record: Record,
        guards: Mapping[Guard, str] | None,
        changes: Changes,
        before: Record | None = None,
        *,
        custom: Sequence[CustomField] | None = None,
    ) -> OutT:
        def attempt() -> None:
            with self.client_errors(record, guards):
                self._store(record, changes, before, custom)

        self._restaged(attempt)
        return self.out(record)

    def restage_on(self, error: StaleVersion) -> bool:
        """Whether a write that failed with `error` is staged and sent again: true when the condition that failed
        was on an item `linked_writes` read to stage it (a lead, a calendar slot), which a fresh read may satisfy;
        false for the record itself (a 412)."""
        return False

    def _restaged(self, attempt: Callable[[], T]) -> T:
        """`attempt` (which stages from fresh reads and commits), sent again while `restage_on` says so, up to
        `write_attempts` times in all; then a 409 busy with nothing written."""
        for remaining in reversed(range(self.write_attempts)):
            try:
                return attempt()
            except StaleVersion as error:
                if not self.restage_on(error):
                    raise self._stale() from error
                if not remaining:
                    raise Busy(
                        f"What the {self.label} depends on kept changing while it was written; retry."
                    ) from error
        raise AssertionError("write_attempts is at least 1")

    def _store(
        self, record: Record, changes: Changes, before: Record | None, custom: Sequence[CustomField] | None
    ) -> None:
        """The record's write with its `linked_writes`, in one transaction; raises the repository's errors."""
        work = UnitOfWork()
        self._stage(work, record, changes, before, custom)
        work.commit()

    def _stage(
        self,
        work: UnitOfWork,
        record: Record,
        changes: Changes,
        before: Record | None,
        custom: Sequence[CustomField] | None = None,
    ) -> None:
        """`custom`: the custom fields the write checked its values against (None: it left them as they were)."""
        self.linked_writes(work, before, record)
        if custom is not None:
            old = before.data if before else None
            custom_fields.stage_usage(work, record.tenant_id, self.resource, custom, old, record.data)
        index_keys = self.index_keys(record.tenant_id, record.id, record.data, deleted=record.deleted)
        repository.stage_write(work, record, index_keys, changes)

    def move_status(self, caller: Caller, record: Record, allowed: Collection[str], changes: Mapping[str, Any]) -> OutT:
        """`changes` (a move of the record's `status` and what comes with it) written only from a status in
        `allowed`: a 409 naming the status otherwise, or when the record is in the trash."""
        if record.deleted:
            raise Conflict(f"The {self.label} is deleted; restore it first.")
        status = str(record.data["status"])
        if status not in allowed:
            may = " or ".join(sorted(str(each) for each in allowed))
            raise Conflict(f"The {self.label} is {status}; only a {self.label} {may} can be moved so.")
        work = UnitOfWork()
        self.stage_update(work, caller, record, changes)
        return self.commit(work, record)

    def commit(self, work: UnitOfWork, record: Record, guards: Mapping[Guard, str] | None = None) -> OutT:
        """Commit `work`, which writes `record`; a failed condition becomes the client's error for this record."""
        with self.client_errors(record, guards):
            work.commit()
        return self.out(record)

    @contextmanager
    def client_errors(self, record: Record, guards: Mapping[Guard, str] | None) -> Iterator[None]:
        """The repository's failures as the client's errors: `guards` names the field each unique value comes
        from (default: the record's guards and exclusions)."""
        fields = {**self.guards(record.data), **self.exclusions(record.data)} if guards is None else guards
        try:
            yield
        except GuardTaken as error:
            raise self._duplicate(error, fields.get(error.guard) or self._guard_field(error.guard)) from error
        except ParentMissing as error:
            field = self.parents(record.data).get(error.parent, "id")
            raise InvalidInput.of(
                field, f"No live {error.parent.kind.label} has the id {error.parent.id}.", "unknown_reference"
            ) from error
        except StaleVersion as error:
            if self.restage_on(error):
                raise
            raise self._stale() from error
        except TooManyWrites as error:
            raise too_many_writes(self.label, record.data, error) from error

    @staticmethod
    def _guard_field(guard: Guard) -> str:
        """The field a guard's value comes from, when the service's own guards do not say (a custom field's)."""
        return custom_fields.field_of(guard) or str(guard.field).lower()

    def _duplicate(self, error: GuardTaken, field: str) -> Conflict:
        kind = contexts.kind(error.owner_kind).label if error.owner_kind else self.label
        return Conflict(
            f"The {field} {error.guard.value} already belongs to {kind} {error.owner_id}.",
            [FieldError(field, f"already belongs to {kind} {error.owner_id}", "duplicate")],
            existing_kind=kind,
            existing_id=error.owner_id,
        )

    def _stale(self, current: int | None = None) -> PreconditionFailed:
        now = f" (it is at version {current})" if current is not None else ""
        return PreconditionFailed(f"The {self.label} has changed since you read it{now}; read it again.")

    @staticmethod
    def _touch(record: Record, caller: Caller) -> None:
        record.updated_at, record.updated_by = utc_now(), caller.user_id

    def out(self, record: Record) -> OutT:
        return self.out_model.model_validate(
            {
                **record.data,
                "id": record.id,
                "created_at": record.created_at,
                "created_by": record.created_by,
                "updated_at": record.updated_at,
                "updated_by": record.updated_by,
                "version": record.version,
                "deleted_at": record.deleted_at,
                "deleted_by": record.deleted_by,
            }
        )
