"""An import run in the background, a batch of rows at a time, for as long as the invocation has time for another;
then it goes on in a new invocation (functions/import_runner puts its continuation on the bus).

A batch is BATCH_ROWS rows read from the file at the import's position (rapport.imports.rows), each made data by the
plan's mapping, matched (one BatchGetItem of the match values' guards, one of the matched records), its in-batch
repeats merged into the first (upsert, update) or refused (create), and staged apart: a create or an update of its
record with everything the API's write of it writes (guards, search entries, linked summaries, custom values). The
staged rows are then committed together, with the batch's summary and the import's progress over the version the
runner read, in as few transactions as hold them (DynamoDB's 100 items; two rows touching one item go in two). A
transaction refused for one row (a value taken since it was matched) is sent again a row at a time, and that row
fails alone. So every row is written once and its outcome recorded with it: a run cut short (a timeout) goes on from
the last batch recorded, another run of the same start finds the import taken and writes nothing, and a cancel
moves the version under the runner, whose next commit fails and stops it.

A dry run (validate) does all of this but commit the rows: its batches say what each row would come to.

A revert undoes the batches from the last: it erases each record the import created and puts back each record it
updated (the merge patch from what the import wrote to what was there before), each only at the version the import
left it at: a record changed since is kept, and counted so.
"""

from __future__ import annotations

import copy
import csv
import io
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from pydantic import Field, ValidationError

from rapport import merge_patch
from rapport.auth import Action, Caller, Role
from rapport.custom_fields import service as custom_fields
from rapport.custom_fields.models import CustomField
from rapport.dal import repository
from rapport.dal.repository import MAX_TRANSACTION_ITEMS, Guard, Record, StaleVersion, UnitOfWork
from rapport.errors import InvalidInput, NotFound, RapportError
from rapport.imports import manifest, rows, store
from rapport.imports.entities import Importable, importable
from rapport.imports.files import ImportFiles
from rapport.imports.manifest import IMPORT
from rapport.imports.models import ImportMode, ImportPlan, ImportStatus, ImportStored, Position
from rapport.imports.rows import Row
from rapport.records import field_errors
from rapport.types import LazyModel, utc_now

BATCH_ROWS = 25
RESERVED_ITEMS = 3  # in each transaction: the batch's summary, the import's progress, a fence
SOURCE = "rapport.imports"
CONTINUED = "import.continued"
STARTS = tuple(f"{IMPORT.entity}.{status}" for status in manifest.STARTS)
RUNNER = "import-runner"
REPORT_COLUMNS = ("row", "outcome", "id", "field", "reason")
ERROR_COLUMNS = ("import_row", "import_field", "import_reason")


class Continuation(LazyModel):
    """Where a runner goes on: the import and its run (its progress says from where)."""

    tenant_id: str
    import_id: str
    run: str = Field(description="The event_id of the event that began it")


class Progress(NamedTuple):
    """What an invocation did: whether the run goes on in another, and the batches it wrote (or undid)."""

    going_on: bool
    batches: int


@dataclass
class Outcome:
    row: int
    outcome: str
    id: str | None = None
    field: str | None = None
    reason: str | None = None
    cells: list[str] | None = None

    def stored(self) -> list[Any]:
        return [self.row, self.outcome, self.id, self.field, self.reason, self.cells]

    def failed(self, field_name: str | None, reason: str) -> None:
        self.outcome, self.id, self.field, self.reason = "failed", None, field_name, reason


@dataclass
class Staged:
    """A row as the batch will write it: its outcome, its writes (None: none), the byte after it."""

    outcome: Outcome
    end: int
    work: UnitOfWork | None = None
    record: Record | None = None
    restore: dict[str, Any] | None = None
    patch: dict[str, Any] = field(default_factory=dict)


@dataclass
class Parsed:
    row: Row
    outcome: Outcome
    data: dict[str, Any] = field(default_factory=dict)
    guard: Guard | None = None
    merged_into: Outcome | None = None


class Run:
    """One invocation's work on an import, read as `record`."""

    def __init__(self, record: Record, files: ImportFiles) -> None:
        self.record = record
        self.files = files
        self.stored = ImportStored.model_validate(record.data)
        plan = self.stored.plan
        if plan is None:
            raise ValueError(f"import {record.id} has no plan")
        self.plan: ImportPlan = plan
        self.entity: Importable = importable(plan.entity)
        roles = frozenset(Role(role) for role in self.stored.roles)
        self.caller = Caller(record.tenant_id, self.stored.actor or record.created_by, roles)
        # Erasing is an admin's, but a record the import made and nobody changed since is the import's to take
        # back: whoever may revert it may erase those (only those: `_erase` is at the version the import left).
        self.undoer = Caller(record.tenant_id, self.caller.user_id, roles | {Role.ADMIN})
        self.defined: Mapping[str, CustomField] = self.entity.custom_fields(record.tenant_id)
        self.seen: dict[Guard, int] = {}  # a dry run's match values, for repeats in other batches

    @property
    def dry(self) -> bool:
        return self.stored.dry_run

    # Reading and staging

    def read_rows(self) -> Iterator[Row]:
        at, size = self.stored.position, self.stored.size or 0
        chunks = self.files.read(self.file_key, at.offset) if at.offset < size else iter(())
        return rows.rows(chunks, at.offset, at.row, self.stored.delimiter or ",")

    @property
    def file_key(self) -> str:
        return store.file_key(self.record.tenant_id, self.record.id)

    def stage(self, batch: Sequence[Row]) -> list[Staged]:
        parsed = [self._parse(row) for row in batch]
        self._merge_repeats(parsed)
        wanted = [each.guard for each in parsed if each.guard is not None and each.outcome.outcome == "pending"]
        owners = repository.guard_owners(self.record.tenant_id, wanted)
        owned = {owner_id for kind, owner_id in owners.values() if kind == self.entity.service.kind.code}
        records = repository.get_many(self.record.tenant_id, self.entity.service.kind, owned)
        with custom_fields.read_once():
            staged = [self._staged(each, owners, records) for each in parsed]
        for each in parsed:
            if each.merged_into is not None:
                each.outcome.id = each.merged_into.id
        return staged

    def _parse(self, row: Row) -> Parsed:
        outcome = Outcome(row.number, "pending", cells=row.cells)
        parsed = Parsed(row, outcome)
        headers = self.stored.headers or []
        if row.cells is None:
            outcome.failed(None, "is not a CSV row of UTF-8 text")
        elif len(row.cells) != len(headers):
            outcome.failed(None, f"has {len(row.cells)} cells; the header has {len(headers)}")
        else:
            parsed.data = self.entity.data(dict(zip(headers, row.cells, strict=True)), self.plan.mapping, self.defined)
            if not parsed.data:
                outcome.outcome, outcome.reason = "skipped", "holds no value"
            elif self.plan.match is not None:
                try:
                    parsed.guard = self.entity.match_guard(parsed.data, self.plan.match)
                except InvalidInput as error:
                    outcome.failed(error.errors[0].field, error.errors[0].message)
        return parsed

    def _merge_repeats(self, parsed: Sequence[Parsed]) -> None:
        """A row whose match value an earlier row of the batch (or, in a dry run, of the file) holds is merged into
        that row (update, upsert: its values win) or refused (create)."""
        first: dict[Guard, Parsed] = {}
        for each in parsed:
            if each.guard is None or each.outcome.outcome != "pending":
                continue
            earlier = first.get(each.guard)
            number = earlier.row.number if earlier is not None else self.seen.get(each.guard)
            if number is None:
                first[each.guard] = each
                if self.dry:
                    self.seen[each.guard] = each.row.number
            elif self.plan.mode == ImportMode.CREATE:
                each.outcome.failed(self.plan.match, f"repeats row {number}'s {self.plan.match}")
            else:
                if earlier is not None:
                    earlier.data = merge_patch.apply(earlier.data, each.data)
                    each.merged_into = earlier.outcome
                each.outcome.outcome, each.outcome.reason = "merged", f"into row {number}"

    def _staged(self, parsed: Parsed, owners: Mapping[Guard, tuple[str, str]], records: Mapping[str, Record]) -> Staged:
        staged = Staged(parsed.outcome, parsed.row.end, patch=parsed.data)
        if parsed.outcome.outcome != "pending":
            return staged
        owner = owners.get(parsed.guard) if parsed.guard is not None else None
        existing = records.get(owner[1]) if owner is not None else None
        mode, outcome = self.plan.mode, parsed.outcome
        try:
            if owner is not None and (mode == ImportMode.CREATE or existing is None):
                outcome.failed(self.plan.match, f"already belongs to {self.entity.service.label} {owner[1]}")
            elif existing is not None and existing.deleted:
                outcome.failed(self.plan.match, f"matches {self.entity.service.label} {existing.id}, in the trash")
            elif existing is not None:
                self._stage_update(staged, existing, parsed.data)
            elif mode == ImportMode.UPDATE:
                outcome.outcome, outcome.reason = "skipped", f"matches no {self.entity.service.label}"
            else:
                self._stage_create(staged, parsed.data)
        except ValidationError as error:
            fault = field_errors(error)[0]
            outcome.failed(fault.field, fault.message)
        except RapportError as error:
            outcome.failed(*_fault(error))
        if outcome.outcome == "failed":
            staged.work = None
        return staged

    def _stage_create(self, staged: Staged, data: dict[str, Any]) -> None:
        payload = self.entity.model.model_validate(data)
        work = UnitOfWork()
        service = self.entity.service
        created = service.stage_create(work, self.record.tenant_id, self.caller.user_id, payload, complete=True)
        staged.outcome.outcome = "created"
        if not self.dry:
            staged.outcome.id, staged.work, staged.record = created.id, work, created

    def _stage_update(self, staged: Staged, existing: Record, data: dict[str, Any]) -> None:
        service = self.entity.service
        service.require_owner(self.caller, Action.UPDATE, existing)
        before = copy.deepcopy(existing.data)
        work = UnitOfWork()
        service.stage_update(work, self.caller, existing, data)
        staged.outcome.id = existing.id
        if existing.unchanged:
            staged.outcome.outcome = "unchanged"
            return
        staged.outcome.outcome = "updated"
        if not self.dry:
            written = (existing.version or 0) + 1
            staged.work, staged.record = work, existing
            staged.restore = {
                "id": existing.id,
                "version": written,
                "patch": merge_patch.between(existing.data, before),
            }

    # Committing

    def commit(self, staged: Sequence[Staged]) -> None:
        """The staged rows written with their batches and the import's progress, as few transactions as hold
        them; StaleVersion for the import itself when it moved (a cancel)."""
        group, members = UnitOfWork(), list[Staged]()
        for each in staged:
            if each.work is not None and not self._fits(group, each.work):
                if members:
                    self._commit_group(group, members)
                group, members = UnitOfWork(), []
                if not self._fits(group, each.work):
                    each.outcome.failed(None, "needs more writes than one transaction holds")
                    each.work, each.restore = None, None
            members.append(each)
        if members:
            self._commit_group(group, members)

    @staticmethod
    def _fits(group: UnitOfWork, work: UnitOfWork) -> bool:
        return group.size + work.size + RESERVED_ITEMS <= MAX_TRANSACTION_ITEMS and group.join(work)

    def _commit_group(self, group: UnitOfWork, members: Sequence[Staged]) -> None:
        try:
            self._commit_with_progress(group, members)
        except StaleVersion as error:
            if error.subject is self.record:
                raise
            self._one_at_a_time(members)
        except (RapportError, repository.GuardTaken, repository.ParentMissing, repository.TooManyWrites):
            self._one_at_a_time(members)

    def _one_at_a_time(self, members: Sequence[Staged]) -> None:
        for each in members:
            if each.work is not None and each.record is not None:
                try:
                    self._commit_with_progress(each.work, [each])
                    continue
                except StaleVersion as error:
                    if error.subject is self.record:
                        raise
                    each.outcome.failed(None, f"the {self.entity.service.label} changed while it was imported")
                except (repository.GuardTaken, repository.ParentMissing, repository.TooManyWrites) as error:
                    each.outcome.failed(*self._explained(each.record, error))
                except RapportError as error:
                    each.outcome.failed(*_fault(error))
                each.work, each.restore = None, None
            self._commit_with_progress(UnitOfWork(), [each])

    def _explained(self, record: Record, error: Exception) -> tuple[str | None, str]:
        """The field and reason the API would answer for `error`, a failed write of `record`."""
        try:
            with self.entity.service.client_errors(record, None):
                raise error
        except RapportError as explained:
            return _fault(explained)
        return None, str(error)

    def _commit_with_progress(self, work: UnitOfWork, members: Sequence[Staged]) -> None:
        at = self.stored.position
        counts = self.stored.counts.model_copy()
        for each in members:
            counts.read += 1
            name = each.outcome.outcome
            setattr(counts, name, getattr(counts, name) + 1)
        last = members[-1]
        position = Position(offset=last.end, row=last.outcome.row, batches=at.batches + 1)
        batch = {
            "outcomes": [each.outcome.stored() for each in members],
            "created": [each.outcome.id for each in members if each.outcome.outcome == "created" and not self.dry],
            "restored": [each.restore for each in members if each.restore is not None],
        }
        work.put_item(store.batch_item(self.record.tenant_id, self.record.id, at.batches, batch))
        as_read = copy.deepcopy(self.record.data)
        self._set(counts=counts.model_dump(), position=position.model_dump())
        repository.stage_write(
            work, self.record, store.index_keys(self.record.tenant_id, self.record.id, deleted=False)
        )
        try:
            work.commit()
        except Exception:
            self.record.data = as_read
            raise
        self.stored.counts, self.stored.position = counts, position
        for each in members:
            if each.outcome.outcome == "updated" and not self.dry:
                self.entity.service.after_update(self.caller, each.outcome.id or "", each.patch)

    def _set(self, **changes: Any) -> None:
        data = {**self.record.data, **changes}
        self.record.data = {name: value for name, value in data.items() if value is not None}
        self.record.updated_at, self.record.updated_by = utc_now(), RUNNER

    def save(self, **changes: Any) -> None:
        """The import with `changes`, alone, over the version read (StaleVersion if it moved)."""
        self._set(**changes)
        repository.write(self.record, store.index_keys(self.record.tenant_id, self.record.id, deleted=False))
        self.stored = ImportStored.model_validate(self.record.data)

    # Reverting

    def revert_batch(self, seq: int, versions: dict[str, int]) -> None:
        """Undo batch `seq`: its updates put back, then its creations erased, each at the version the import left
        it at (`versions`: where a later batch's undo moved it)."""
        found, _ = store.batches(self.record.tenant_id, self.record.id, seq, limit=1)
        counts = self.stored.counts.model_copy()
        if found and found[0].ref_id == str(seq):
            data = found[0].data
            for restore in data.get("restored") or []:
                moved = self._put_back(restore["id"], int(restore["version"]), restore["patch"])
                counts.reverted, counts.kept = counts.reverted + (moved is not None), counts.kept + (moved is None)
                if moved is not None:
                    versions[restore["id"]] = moved
            for record_id in reversed(data.get("created") or []):
                erased = self._erase(record_id, versions.get(record_id, 1))
                counts.reverted, counts.kept = counts.reverted + erased, counts.kept + (not erased)
        position = self.stored.position.model_copy(update={"undone": self.stored.position.undone + 1})
        self.save(counts=counts.model_dump(), position=position.model_dump())

    def _put_back(self, record_id: str, version: int, patch: dict[str, Any]) -> int | None:
        service = self.entity.service
        try:
            service.update(self.caller, record_id, patch, version)
        except RapportError:
            return None
        record = repository.get(self.record.tenant_id, service.kind, record_id)
        return record.version if record is not None else None

    def _erase(self, record_id: str, version: int) -> bool:
        try:
            self.entity.service.erase(self.undoer, record_id, version)
        except NotFound:
            return True
        except RapportError:
            return False
        return True

    # Reports

    def write_reports(self) -> str:
        """The report and the errors file, from the batches; the report's key."""
        tenant_id, import_id = self.record.tenant_id, self.record.id
        report_key = store.file_key(tenant_id, import_id, "-report")
        self.files.write(report_key, self._lines(REPORT_COLUMNS, failed_only=False))
        headers = self.stored.headers or []
        self.files.write(
            store.file_key(tenant_id, import_id, "-errors"), self._lines([*ERROR_COLUMNS, *headers], failed_only=True)
        )
        return report_key

    def _lines(self, header: Sequence[str], *, failed_only: bool) -> Iterator[bytes]:
        yield rows.BOM + _line(header)
        for outcome in self._outcomes():
            row, name, record_id, field_name, reason, cells = outcome
            if not failed_only:
                yield _line([str(row), name, record_id or "", field_name or "", reason or ""])
            elif name == "failed":
                yield _line([str(row), field_name or "", reason or "", *(cells or [])])

    def _outcomes(self) -> Iterator[list[Any]]:
        position: dict[str, str] | None = None
        while True:
            found, position = store.batches(self.record.tenant_id, self.record.id, 0, limit=100, position=position)
            for batch in found:
                yield from batch.data.get("outcomes") or []
            if position is None:
                return


def _fault(error: RapportError) -> tuple[str | None, str]:
    fault = error.errors[0] if error.errors else None
    return (fault.field, fault.message) if fault is not None else (None, error.detail)


def _line(cells: Sequence[str]) -> bytes:
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerow(cells)
    return text.getvalue().encode("utf-8")


def run(tenant_id: str, import_id: str, run_id: str, files: ImportFiles, go_on: Callable[[], bool]) -> Progress:
    """Go on with the import's run `run_id` (import, dry run or revert) while `go_on()` says there is time for
    another batch. The first run of a start takes the import; another finds it taken and does nothing."""
    record = repository.get(tenant_id, IMPORT, import_id)
    if record is None:
        return Progress(False, 0)
    status = ImportStatus(record.data["status"])
    if status not in (ImportStatus.VALIDATING, ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.REVERTING):
        return Progress(False, 0)
    if record.data.get("run") not in (None, run_id):
        return Progress(False, 0)
    job = Run(record, files)
    try:
        if record.data.get("run") is None:
            taken = ImportStatus.RUNNING if status == ImportStatus.QUEUED else status
            job.save(status=taken.value, run=run_id, started_at=utc_now())
        if status == ImportStatus.REVERTING:
            return _revert(job, go_on)
        return _import(job, go_on)
    except StaleVersion:
        return Progress(False, 0)


def _import(job: Run, go_on: Callable[[], bool]) -> Progress:
    read = job.read_rows()
    done = 0
    while True:
        batch = list(itertools.islice(read, BATCH_ROWS))
        if not batch:
            ended = ImportStatus.VALIDATED if job.dry else ImportStatus.COMPLETED
            report_key = job.write_reports()
            job.save(status=ended.value, finished_at=utc_now(), report_key=report_key)
            return Progress(False, done)
        job.commit(job.stage(batch))
        done += 1
        if not go_on():
            return Progress(True, done)


def _revert(job: Run, go_on: Callable[[], bool]) -> Progress:
    versions: dict[str, int] = {}
    done = 0
    while job.stored.position.undone < job.stored.position.batches:
        job.revert_batch(job.stored.position.batches - 1 - job.stored.position.undone, versions)
        done += 1
        if not go_on():
            return Progress(True, done)
    job.save(status=ImportStatus.REVERTED.value, finished_at=utc_now())
    return Progress(False, done)
