"""A delivery's run: one Step Functions execution that attempts it until it is delivered or given up.

Why Step Functions and not an SQS delay queue: SQS delays a message by 15 minutes at most, and the back-off grows
to hours over 3 days, so a queue would re-send each waiting delivery every 15 minutes (hundreds of hops, each an
invocation); an execution waits any length for free between attempts (Standard: up to a year, and 3 days of
attempts is a few dozen state transitions), shows each delivery's history in the console, retries the attempt
function's own failures, and is what the local runtime executes too. The attempt function decides and returns
the jittered wait (rapport.webhooks.delivery), so the back-off is code, tested, not a Retry block.
An execution's name is `<delivery id>-<run>`: starting the same run twice starts it once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from rapport import config, executions

GIVE_UP_AFTER = timedelta(days=3)


@dataclass(frozen=True)
class DeliveryRun:
    tenant_id: str
    webhook_id: str
    delivery_id: str
    run: int  # 0 when the event queued it, then one more per redelivery

    @property
    def execution_name(self) -> str:
        return f"{self.delivery_id}-{self.run}"


StartDelivery = Callable[[DeliveryRun], None]


def gives_up_at(queued_at: str) -> str:
    """No attempt after this: 3 days after the delivery was queued (or redelivered)."""
    at = datetime.fromisoformat(queued_at) + GIVE_UP_AFTER
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def start_execution(run: DeliveryRun) -> None:
    """Start the run's execution of the delivery state machine (WEBHOOK_DELIVERY_STATE_MACHINE_ARN)."""
    arn = config.current().require("webhook_delivery_state_machine_arn")
    executions.start_once(arn, run.execution_name, asdict(run))
