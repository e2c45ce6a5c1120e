"""Export writer: an export asked for (`export.created`) is written a part at a time for as long as the invocation
has time for another; then it goes on in a new invocation (an event on the bus that routes back here)."""

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from rapport.dal import tenancy
from rapport.events import bus
from rapport.events.bus import PutEvents
from rapport.events.models import DomainEvent
from rapport.exports import writer
from rapport.exports.files import S3_EXPORT_FILES, ExportFiles
from rapport.exports.writer import CONTINUED, SOURCE, Continuation

logger = Logger()
PART_TIME_MS = 120_000  # what one part (PART_SIZE of rows) may take, at worst: stop before the timeout can cut one


@logger.inject_lambda_context
@tenancy.fenced()
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event, lambda: context.get_remaining_time_in_millis() > PART_TIME_MS, S3_EXPORT_FILES, bus.put_events)


def handle(
    event: dict[str, Any],
    go_on: Callable[[], bool],
    files: ExportFiles,
    put_events: PutEvents,
    *,
    part_size: int = writer.PART_SIZE,
) -> dict[str, Any]:
    """Write (or go on writing) the export the event names while there is time."""
    step = bus.step_of(event, CONTINUED, Continuation, _first)
    with tenancy.tenant_scope(step.tenant_id):
        progress = writer.write(step.tenant_id, step.export_id, step.run, files, go_on, part_size=part_size)
    if progress.going_on:
        bus.put(SOURCE, CONTINUED, step, what="the export's continuation", sender=put_events)
    done = not progress.going_on
    logger.info("export", extra={"export_id": step.export_id, "parts": progress.parts, "done": done})
    return {"parts": progress.parts, "done": done}


def _first(started: DomainEvent) -> Continuation:
    return Continuation(tenant_id=started.tenant_id, export_id=started.entity_id, run=started.event_id)
