"""Import runner: an import validated, started or reverted (`import.validating`, `.queued`, `.reverting`) is run a
batch of rows at a time for as long as the invocation has time for another; then it goes on in a new invocation
(an event on the bus that routes back here)."""

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from rapport.dal import tenancy
from rapport.events import bus
from rapport.events.bus import PutEvents
from rapport.events.models import DomainEvent
from rapport.imports import runner
from rapport.imports.files import S3_IMPORT_FILES, ImportFiles
from rapport.imports.runner import CONTINUED, SOURCE, Continuation

logger = Logger()
BATCH_TIME_MS = 60_000  # what one batch may take, at worst: stop before the timeout can cut one


@logger.inject_lambda_context
@tenancy.fenced()
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(
        event, lambda: context.get_remaining_time_in_millis() > BATCH_TIME_MS, S3_IMPORT_FILES, bus.put_events
    )


def handle(
    event: dict[str, Any], go_on: Callable[[], bool], files: ImportFiles, put_events: PutEvents
) -> dict[str, Any]:
    """Run (or go on running) the import the event names while there is time."""
    step = bus.step_of(event, CONTINUED, Continuation, _first)
    with tenancy.tenant_scope(step.tenant_id):
        progress = runner.run(step.tenant_id, step.import_id, step.run, files, go_on)
    if progress.going_on:
        bus.put(SOURCE, CONTINUED, step, what="the import's continuation", sender=put_events)
    done = not progress.going_on
    logger.info("import", extra={"import_id": step.import_id, "batches": progress.batches, "done": done})
    return {"batches": progress.batches, "done": done}


def _first(started: DomainEvent) -> Continuation:
    return Continuation(tenant_id=started.tenant_id, import_id=started.entity_id, run=started.event_id)
