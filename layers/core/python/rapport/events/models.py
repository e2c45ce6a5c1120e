"""The shape of a domain event on the bus: EventBridge's envelope carries `detail-type` and this `detail`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from pydantic import Field

from rapport.types import LazyModel

SOURCE = "rapport"


class Erasure(NamedTuple):
    """Who erased a record for good, and when (ISO 8601 UTC): what its `erased` event says."""

    by: str
    at: str


class FieldChange(LazyModel):
    before: Any = None
    after: Any = None


def changes_between(
    before: Mapping[str, Any], after: Mapping[str, Any], shown: Callable[[Any], Any] = lambda value: value
) -> dict[str, FieldChange]:
    """Each field whose value differs (a field one side lacks is None there), with both values as `shown`."""
    return {
        name: FieldChange(before=shown(before.get(name)), after=shown(after.get(name)))
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


class DomainEvent(LazyModel):
    """`detail` of a Rapport event. Consumers deduplicate on `event_id`, which a redelivery keeps."""

    event_id: str = Field(description="Stable per committed change: derived from the stream record")
    detail_type: str = Field(description="<entity>.<created|updated|deleted|restored|erased> or a meaningful one")
    tenant_id: str
    entity: str = Field(description="account, contact, lead, deal, web_form, currency_rates, ...")
    entity_id: str = Field(
        description="The record's id; for a settings document, the tenant's; for a summary's event (customer, "
        "retention, segment_membership), the record it is about (a segment_membership's: the segment's)"
    )
    actor: str = Field(
        description="Who made the change (a token subject, or a workflow: assignment, web_form...); who trashed or "
        "erased the record for those events; `unknown` for a record erased without leaving who did it, and for a "
        "summary removed (segment_membership.left)"
    )
    occurred_at: str = Field(description="When the change was made (trashed, erased), ISO 8601 UTC")
    version: int | None = Field(
        description="The record's version after the write; null when erased, and for a summary's event"
    )
    changes: dict[str, FieldChange] = Field(
        default_factory=dict, description="Fields that changed, with their values before and after"
    )
    record: dict[str, Any] = Field(
        description="The record's fields after the write (before it, when erased, or a summary removed)"
    )
