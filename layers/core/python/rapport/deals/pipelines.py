"""Pipelines: a tenant's ordered stages that deals move through; a tenant may have several."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rapport import normalize
from rapport.auth import Caller
from rapport.dal import access
from rapport.dal.repository import Guard, IndexKeys, Record
from rapport.deals import store
from rapport.deals.manifest import PIPELINE
from rapport.deals.models import Pipeline, PipelineCreate, StageStatus, stage_problems
from rapport.errors import Conflict, FieldError, InvalidInput
from rapport.pagination import Page
from rapport.records import RecordService


def retired_stages(before: Sequence[Mapping[str, Any]], after: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The open stages of `before` that `after` removes or closes, by name key, with their names.

    A stage is known by its name (case- and accent-insensitively): renaming one retires it.
    """
    after_status = {normalize.name_key(stage["name"]): stage["status"] for stage in after}
    return {
        key: stage["name"]
        for stage in before
        if stage["status"] == StageStatus.OPEN
        and after_status.get(key := normalize.name_key(stage["name"])) != StageStatus.OPEN
    }


class PipelineService(RecordService[PipelineCreate, Pipeline]):
    kind = PIPELINE
    resource = "pipelines"
    label = "pipeline"
    create_model = PipelineCreate
    out_model = Pipeline

    def guards(self, data: Mapping[str, Any]) -> dict[Guard, str]:
        return {}

    def index_keys(self, tenant_id: str, record_id: str, data: Mapping[str, Any], *, deleted: bool) -> IndexKeys:
        return store.pipeline_index_keys(tenant_id, record_id, normalize.name_key(data["name"]))

    def _validated(self, data: Mapping[str, Any]) -> dict[str, Any]:
        validated = super()._validated(data)
        problems = stage_problems(validated["stages"])
        if problems:
            raise InvalidInput("The pipeline's stages are not valid.", problems)
        return validated

    def before_update(self, caller: Caller, record: Record, data: Mapping[str, Any]) -> None:
        """A stage that open deals are in stays (open) until they move: a 409 saying how many there are."""
        retired = retired_stages(record.data["stages"], data["stages"])
        counts = store.open_deals_in_stages(caller.tenant_id, record.id, list(retired))
        if not counts:
            return
        used = [f"'{retired[key]}' has {count} open deal{'s' * (count != 1)}" for key, count in counts.items()]
        raise Conflict(
            f"Stage {'; stage '.join(used)}: move them to another stage before removing, renaming or closing it.",
            [FieldError("stages", f"would drop {', '.join(used)}", "stage_in_use")],
        )

    def search(self, caller: Caller, *, limit: int, cursor: str | None) -> Page[Pipeline]:
        return self.list(caller, access.listed(caller.tenant_id, PIPELINE), limit=limit, cursor=cursor, bound_to={})


pipelines = PipelineService()
