"""Segment fill: a dynamic segment created, restored or refiltered is filled from its tenant's contacts, a page at
a time, for as long as the invocation has time; then the fill goes on in a new invocation (an event on the bus
that routes back here). An erased segment's members are taken out."""

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from rapport.dal import tenancy
from rapport.dal.repository import Position
from rapport.events import bus
from rapport.events.bus import PutEvents
from rapport.events.models import DomainEvent
from rapport.segments import placement
from rapport.segments.membership import CONTINUED, FILL_SOURCE, Continuation, fills

logger = Logger()
PAGE_TIME_MS = 60_000  # what one page of contacts may take, at worst: stop before the timeout can cut one


@logger.inject_lambda_context
@tenancy.fenced()
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event, context.get_remaining_time_in_millis, bus.put_events)


def handle(event: dict[str, Any], remaining_ms: Callable[[], int], put_events: PutEvents) -> dict[str, Any]:
    """Fill (or go on filling) the segment the event names while time remains; erase's clean-up."""
    if event["detail-type"] == CONTINUED:
        step = Continuation.model_validate(event["detail"])
        tenant, segment_id, version, position = step.tenant_id, step.segment_id, step.version, step.position
    else:
        detail = DomainEvent.model_validate(event["detail"])
        tenant, segment_id = detail.tenant_id, detail.entity_id
        if detail.detail_type == "segment.erased":
            with tenancy.tenant_scope(tenant):
                return {"left": placement.dissolve(tenant, segment_id)}
        if not fills(detail) or detail.version is None:
            return {"filled": False}
        version, position = detail.version, None
    pages = 0
    with tenancy.tenant_scope(tenant):
        next_position: Position | None = placement.backfill_page(tenant, segment_id, version, position)
        pages += 1
        while next_position is not None and remaining_ms() > PAGE_TIME_MS:
            next_position = placement.backfill_page(tenant, segment_id, version, next_position)
            pages += 1
    if next_position is not None:
        _continue(
            Continuation(tenant_id=tenant, segment_id=segment_id, version=version, position=next_position), put_events
        )
    logger.info("segment fill", extra={"segment_id": segment_id, "pages": pages, "done": next_position is None})
    return {"filled": True, "pages": pages, "done": next_position is None}


def _continue(step: Continuation, put_events: PutEvents) -> None:
    bus.put(FILL_SOURCE, CONTINUED, step, what="the fill's continuation", sender=put_events)
