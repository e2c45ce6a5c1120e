"""Deals: an opportunity moving through a pipeline's stages to won or lost.

Every deal write is one transaction: the deal, its stage history entry and, for a move, a stage change entry in
its timeline and its account's (rapport.timeline), the summaries in its contacts' partitions (the 360
view), and what it adds to its owner's monthly stats and its contacts' lifetime values.
Reads are one request: a GetItem, or one Query per list filter combination (see its store).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ulid import ULID

from rapport import merge_patch, normalize, pagination, timeline
from rapport.accounts.manifest import ACCOUNT
from rapport.api.filters import Combinations
from rapport.auth import Action, Caller
from rapport.contacts.manifest import CONTACT
from rapport.custom_fields.models import CustomField
from rapport.dal import repository
from rapport.dal.repository import Guard, GuardTaken, IndexKeys, Parent, ParentMissing, Record, StaleVersion, UnitOfWork
from rapport.deals import rules, store
from rapport.deals.manifest import DEAL
from rapport.deals.models import Deal, DealCreate, StageChange, StageStatus
from rapport.deals.money import cents, convert
from rapport.deals.rates import default_rates
from rapport.errors import Conflict, FieldError, InvalidInput, NotFound
from rapport.pagination import Page
from rapport.records import RecordService, new_id
from rapport.timeline.models import StageChangeEntry
from rapport.types import utc_now
from rapport.users import teams

# The filter combinations of GET /deals, each one Query on its own index partition (see `DealService.search`).
FILTERS = Combinations(
    "Deals",
    (
        (),
        ("deleted",),
        ("owner_id",),
        ("owner_id", "status"),
        ("owner_id", "status", "pipeline_id"),
        ("pipeline_id",),
        ("pipeline_id", "stage"),
        ("status",),
        ("status", "pipeline_id"),
        ("account_id",),
    ),
)


def _now() -> datetime:
    return datetime.now(UTC)


class DealService(RecordService[DealCreate, Deal]):
    kind = DEAL
    resource = "deals"
    label = "deal"
    create_model = DealCreate
    out_model = Deal
    owner_fields = ("owner_id",)
    ownership = teams.STAFF

    def guards(self, data: Mapping[str, Any]) -> dict[Guard, str]:
        return {}

    def parents(self, data: Mapping[str, Any]) -> dict[Parent, str]:
        linked = {
            Parent(CONTACT, contact_id): f"contact_ids[{position}]"
            for position, contact_id in enumerate(data.get("contact_ids", []))
        }
        account_id = data.get("account_id")
        return {**({Parent(ACCOUNT, account_id): "account_id"} if account_id else {}), **linked}

    def index_keys(self, tenant_id: str, record_id: str, data: Mapping[str, Any], *, deleted: bool) -> IndexKeys:
        return store.deal_index_keys(
            tenant_id,
            record_id,
            close_date=data["close_date"],
            status=data["status"],
            owner_id=data["owner_id"],
            pipeline_id=data["pipeline_id"],
            stage_key=normalize.name_key(data["stage"]),
            account_id=data.get("account_id"),
            deleted=deleted,
        )

    # Writes

    def create(self, caller: Caller, payload: DealCreate) -> Deal:
        work = UnitOfWork()
        record, parents = self.stage_deal(work, caller, payload, complete=True)
        return self._finish(work, record, parents)

    def stage_deal(
        self, work: UnitOfWork, caller: Caller, payload: DealCreate, *, complete: bool = False
    ) -> tuple[Record, dict[Parent, str]]:
        """Add a new deal's writes to `work`. Returns the deal and the parents `_finish` maps failures of.
        `complete`: its required custom fields are asked (a conversion cannot fill them in)."""
        caller.require(self.resource, Action.CREATE)
        changes = payload.model_dump(mode="json", exclude_none=True)
        custom = self._custom_fields(caller.tenant_id)
        data = self._with_custom(custom, self._validated(changes), complete=complete)
        data.setdefault("owner_id", caller.user_id)
        pipeline, table = store.pipeline_and_rates(caller.tenant_id, data["pipeline_id"], rates=True)
        now = utc_now()
        record = Record(
            kind=self.kind,
            id=new_id(),
            tenant_id=caller.tenant_id,
            data=data,
            created_at=now,
            created_by=caller.user_id,
            updated_at=now,
            updated_by=caller.user_id,
        )
        entry = self._settle(record, None, changes, pipeline, table or default_rates(), moved=True, actor=caller)
        parents = self.parents(data)
        self._stage_deal(work, record, before=None, entry=entry, parents=parents)
        self.stage_custom(work, record, custom, None, record.data)
        return record, parents

    def update(self, caller: Caller, record_id: str, patch: Mapping[str, Any], expected_version: int) -> Deal:
        caller.require(self.resource, Action.UPDATE)
        record = self._load(caller, record_id, expected_version)
        if record.deleted:
            raise Conflict("The deal is deleted; restore it before editing it.")
        self.require_owner(caller, Action.UPDATE, record)
        owners = self.owners(record)
        changes = dict(patch)
        before = copy.deepcopy(record.data)
        merged = merge_patch.apply(rules.inputs(before), changes)
        if "contact_ids" in changes and "contact_roles" not in changes:
            merged["contact_roles"] = {
                contact_id: role
                for contact_id, role in merged.get("contact_roles", {}).items()
                if contact_id in merged.get("contact_ids", [])
            }
        custom = self._custom_fields_of(caller.tenant_id, changes)
        checked = self._with_custom(custom, self._validated(merged))
        data = {**{name: before[name] for name in rules.DERIVED if name in before}, **checked}
        moved = data["pipeline_id"] != before["pipeline_id"]
        if moved and "stage" not in changes:
            del data["stage"]  # the new pipeline's first stage
        moved = moved or normalize.name_key(data["stage"]) != normalize.name_key(before["stage"])
        money_changed = any(data[name] != before[name] for name in ("amount", "currency"))
        # A move may win the deal (its value in the tenant currency); a new currency needs a rate.
        needs_rates = (
            moved or data["currency"] != before["currency"] or (before["status"] == StageStatus.WON and money_changed)
        )
        pipeline, table = None, None
        if needs_rates:
            pipeline, table = store.pipeline_and_rates(
                caller.tenant_id, data["pipeline_id"] if moved else None, rates=True
            )
            table = table or default_rates()
        new_parents = {
            parent: field for parent, field in self.parents(data).items() if parent not in self.parents(before)
        }
        record.data = data
        self.require_reassign(caller, owners, record)
        self._touch(record, caller)
        entry = self._settle(record, before, changes, pipeline, table, moved=moved, actor=caller)
        return self._commit(record, before=before, entry=entry, parents=new_parents, custom=custom)

    def delete(self, caller: Caller, record_id: str, expected_version: int | None) -> None:
        """Trash: the deal leaves lists, its contacts' views, and the stats; restore brings it all back."""
        caller.require(self.resource, Action.DELETE)
        record = self._load(caller, record_id, expected_version)
        if record.deleted:
            return
        self.require_owner(caller, Action.DELETE, record)
        record.deleted_at, record.deleted_by = utc_now(), caller.user_id
        self._touch(record, caller)
        self._commit(record, before=record.data, entry=None, parents={})

    def restore(self, caller: Caller, record_id: str, expected_version: int | None) -> Deal:
        caller.require(self.resource, Action.RESTORE)
        record = self._load(caller, record_id, expected_version)
        if not record.deleted:
            raise Conflict("The deal is not deleted.")
        self.require_owner(caller, Action.RESTORE, record)
        record.deleted_at = record.deleted_by = None
        self._touch(record, caller)
        return self._commit(record, before=None, entry=None, parents=self.parents(record.data))

    def erase(self, caller: Caller, record_id: str, expected_version: int | None) -> None:
        """For good: the deal, its summaries and its contributions in one transaction, then its history."""
        caller.require(self.resource, Action.ERASE)
        record = self._load(caller, record_id, expected_version)
        self.require_owner(caller, Action.ERASE, record)
        custom = self._custom_fields_of(caller.tenant_id, record.data)
        work = UnitOfWork()
        work.delete_record(record, by=caller.user_id, at=utc_now())
        self._add_effects(work, record, rules.effects(None if record.deleted else record.data, None))
        self.stage_custom(work, record, custom, record.data, None)
        try:
            work.commit()
        except StaleVersion as error:
            raise self._stale() from error
        repository.delete_items(store.history_items(caller.tenant_id, record.id))
        timeline.delete_entries(caller.tenant_id, Parent(DEAL, record.id), StageChangeEntry)

    def _settle(
        self,
        record: Record,
        before: Mapping[str, Any] | None,
        changes: Mapping[str, Any],
        pipeline: Record | None,
        table: store.RateTable | None,
        *,
        moved: bool,
        actor: Caller,
    ) -> dict[str, Any] | None:
        """Derive what follows from the deal's fields (stage, status, closing); the history entry if it moved.

        `pipeline` and `table` are read only when the write needs them: a move, a new currency, won money.
        """
        data = record.data
        if table is not None:
            data.setdefault("currency", table.currency)
            if before is None or data["currency"] != before.get("currency"):
                self._require_rate(data["currency"], table)
        entry = None
        if moved:
            if pipeline is None:
                raise InvalidInput.of(
                    "pipeline_id", f"No pipeline has the id {data['pipeline_id']}.", "unknown_reference"
                )
            stages = pipeline.data["stages"]
            stage = rules.find_stage(stages, data.get("stage") or stages[0]["name"])
            if stage is None:
                names = ", ".join(f"'{stage['name']}'" for stage in stages)
                raise InvalidInput.of(
                    "stage", f"is not a stage of the pipeline; its stages are {names}", "unknown_stage"
                )
            if pipeline.data.get("rotting_days"):
                data["rotting_days"] = pipeline.data["rotting_days"]
            else:
                data.pop("rotting_days", None)
            entry = rules.enter_stage(
                data, stage, before=before, now=record.updated_at, actor=actor.user_id, explicit=set(changes)
            )
        problem = rules.lost_reason_problem(data, changes)
        if problem:
            raise InvalidInput(f"The lost_reason {problem.message}.", [problem])

        def tenant_value() -> tuple[Decimal, str]:
            assert table is not None, "a deal becoming won, or won money changing, reads the rate table"
            value = convert(Decimal(data["amount"]), data["currency"], table.currency, table.rates)
            if value is None:
                raise Conflict(
                    f"The tenant's currency rates have no rate for {data['currency']}; an admin adds one with "
                    "PUT /currency-rates.",
                    [FieldError("currency", f"has no rate to {table.currency}", "no_rate")],
                )
            return cents(value), table.currency

        closing = rules.closing_of(data, before, created_at=record.created_at, tenant_value=tenant_value)
        if closing:
            data["closing"] = closing.as_data()
        else:
            data.pop("closing", None)
        return entry

    @staticmethod
    def _require_rate(currency: str, table: store.RateTable) -> None:
        if currency != table.currency and currency not in table.rates:
            raise InvalidInput.of(
                "currency",
                f"has no rate in the tenant's currency rates (tenant currency {table.currency}); an admin adds "
                "one with PUT /currency-rates",
                "no_rate",
            )

    def _commit(
        self,
        record: Record,
        *,
        before: Mapping[str, Any] | None,
        entry: Mapping[str, Any] | None,
        parents: Mapping[Parent, str],
        custom: Sequence[CustomField] | None = None,
    ) -> Deal:
        """One transaction: the deal over its version, its history entry, summaries, stats, lifetime values, and
        what its custom values need when the write changed them (`custom`: their fields)."""
        work = UnitOfWork()
        self._stage_deal(work, record, before=before, entry=entry, parents=parents)
        self.stage_custom(work, record, custom, before, record.data)
        return self._finish(work, record, parents)

    def record_activity(self, work: UnitOfWork, tenant_id: str, deal_id: str, at: str, actor: str) -> None:
        """Set the deal's `last_activity_at` to `at` (when the activity was logged, by `actor`) as part of `work` (the
        activity's write), in its record and in its search entries, which copy it: the deal is read for those (one
        GetItem) and updated without a version condition, so activities logged at once on one deal all land. A
        missing or trashed deal, or one whose entries a write moved after the read, makes `work.commit()` raise
        `ParentMissing`."""
        record = repository.get(tenant_id, DEAL, deal_id)
        entries = record.entries if record is not None else frozenset()
        touch = store.touch_deal_activity(tenant_id, deal_id, at, actor, entries)
        work.update_item(touch.item, touch.actions, touch.condition, touch.parent)
        for update in store.touch_deal_entries(tenant_id, deal_id, at, actor, entries):
            work.update_item(*update)

    def _stage_deal(
        self,
        work: UnitOfWork,
        record: Record,
        *,
        before: Mapping[str, Any] | None,
        entry: Mapping[str, Any] | None,
        parents: Mapping[Parent, str],
    ) -> None:
        for parent in parents:
            work.require_live(record.tenant_id, parent)
        work.put_record(record, self.index_keys(record.tenant_id, record.id, record.data, deleted=record.deleted))
        if entry:
            store.stage_history(work, record.tenant_id, record.id, entry["at"], entry)
            owners = timeline.timelines_of(DEAL, record)
            for item in timeline.entry_items(record.tenant_id, _stage_change(record, entry), owners):
                work.put_item(item)
        visible_before = None if before is None else before
        visible_after = None if record.deleted else record.data
        self._add_effects(work, record, rules.effects(visible_before, visible_after))

    def _finish(self, work: UnitOfWork, record: Record, parents: Mapping[Parent, str]) -> Deal:
        try:
            work.commit()
        except ParentMissing as error:
            field = parents.get(error.parent, "id")
            raise InvalidInput.of(
                field, f"No live {error.parent.kind.label} has the id {error.parent.id}.", "unknown_reference"
            ) from error
        except GuardTaken as error:
            raise self._duplicate(error, self._guard_field(error.guard)) from error
        except StaleVersion as error:
            raise self._stale() from error
        return self.out(record)

    @staticmethod
    def _add_effects(work: UnitOfWork, record: Record, effects: rules.Effects) -> None:
        tenant_id = record.tenant_id
        for contact_id, summary in effects.summaries.items():
            work.put_item(store.deal_summary(tenant_id, contact_id, record.id, summary))
        for contact_id in effects.unlinked:
            work.delete_item(store.no_deal_summary(tenant_id, contact_id, record.id))
        for (month, user_id), delta in effects.stats.items():
            currency = effects.currency if delta.revenue_won else None
            work.update_item(*store.stats_update(tenant_id, month, user_id, delta, currency))
        for contact_id, amount in effects.lifetime_values.items():
            work.update_item(*store.lifetime_value_update(tenant_id, contact_id, amount, effects.currency or ""))

    # Reads

    def out(self, record: Record) -> Deal:
        shown = {name: value for name, value in record.data.items() if name not in rules.INTERNAL}
        return Deal.model_validate(
            {
                **shown,
                "rotting": rules.is_rotting(record.data, _now()) and not record.deleted,
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

    def search(
        self,
        caller: Caller,
        *,
        owner_id: str | None,
        status: str | None,
        pipeline_id: str | None,
        stage: str | None,
        account_id: str | None,
        deleted: bool,
        limit: int,
        cursor: str | None,
    ) -> Page[Deal]:
        """One Query per filter combination in FILTERS; any other combination is a 400 that lists them."""
        tenant = caller.tenant_id
        filters: dict[str, Any] = {
            "owner_id": owner_id,
            "status": status,
            "pipeline_id": pipeline_id,
            "stage": stage,
            "account_id": account_id,
            "deleted": deleted,
        }
        FILTERS.check(filters)
        if deleted:
            found = store.deals_by_close_date(tenant, deleted=True)
        elif owner_id is not None:
            found = store.deals_of_owner(tenant, owner_id, status, pipeline_id)
        elif status is not None:
            found = store.deals_in_status(tenant, status, pipeline_id)
        elif pipeline_id is not None:
            found = store.deals_of_pipeline(tenant, pipeline_id, normalize.name_key(stage) if stage else None)
        elif account_id is not None:
            found = store.deals_of_account(tenant, account_id)
        else:
            found = store.deals_by_close_date(tenant)
        return self.list(caller, found, limit=limit, cursor=cursor, bound_to=filters)

    def stage_history(self, caller: Caller, record_id: str, *, limit: int, cursor: str | None) -> Page[StageChange]:
        """The deal's stage transitions, oldest first (one Query); 404 for a deal the tenant does not have."""
        caller.require(self.resource, Action.READ)
        binding = pagination.fingerprint(caller.tenant_id, "deals:history", {"deal_id": record_id})
        position = pagination.decode_cursor(cursor, binding)
        entries, next_position = store.history(caller.tenant_id, record_id, limit=limit, position=position)
        if position is None and not entries:
            raise NotFound(f"No deal has the id {record_id}.")
        return Page(
            items=[StageChange.model_validate(rules.stage_change_out(entry)) for entry in entries],
            next_cursor=pagination.encode_cursor(next_position, binding),
        )


def _stage_change(deal: Record, entry: Mapping[str, Any]) -> StageChangeEntry:
    """A move into a stage (its history `entry`) as the deal's and its account's timelines show it."""
    at = datetime.fromisoformat(entry["at"])
    return StageChangeEntry(
        id=str(ULID.from_datetime(at)),
        occurred_at=at,
        created_by=entry["by"],
        deal_id=deal.id,
        account_id=deal.data.get("account_id"),
        from_stage=entry.get("from_stage"),
        to_stage=entry["to_stage"],
        status=entry["status"],
        pipeline_id=entry["pipeline_id"],
        from_pipeline_id=entry.get("from_pipeline_id"),
    )


deals = DealService()
