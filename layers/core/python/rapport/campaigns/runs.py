"""A campaign's run: one Step Functions execution that waits until the campaign's `send_at`, then sends to its
audience batch after batch until it is walked, or the campaign is paused or cancelled.

Scheduling starts run 1; each resume starts the next. A run whose number is not the campaign's current one, or that
finds the campaign no longer scheduled or sending, stops at its next batch: so pausing, cancelling or rescheduling
never races a run that is waiting. An execution's name is `<campaign id>-<run>`: starting the same run twice starts
it once (a retried schedule or resume that had committed but not started its run).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

from rapport import config, executions


@dataclass(frozen=True)
class CampaignRun:
    tenant_id: str
    campaign_id: str
    run: int
    send_at: str  # YYYY-MM-DDTHH:MM:SS.fffZ: the form a Wait state's TimestampPath takes

    @property
    def execution_name(self) -> str:
        return f"{self.campaign_id}-{self.run}"


StartRun = Callable[[CampaignRun], None]


def start_execution(run: CampaignRun) -> None:
    """Start the run's execution of the campaign send state machine (CAMPAIGN_SEND_STATE_MACHINE_ARN)."""
    arn = config.current().require("campaign_send_state_machine_arn")
    executions.start_once(arn, run.execution_name, asdict(run))
