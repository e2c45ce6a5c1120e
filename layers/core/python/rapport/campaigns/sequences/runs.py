"""An enrollment's run: one Step Functions execution that takes the contact through the sequence's steps, calling the
stepper (rapport.campaigns.sequences.stepping) until it says the enrollment ended, and waiting where it says.

An execution's name is `<sequence id>-<contact id>`: a contact goes through a sequence once, so starting its run again
(an enrollment retried after it committed, a segment's event redelivered) finds the one started.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

from rapport import config, executions


@dataclass(frozen=True)
class EnrollmentRun:
    tenant_id: str
    sequence_id: str
    contact_id: str

    @property
    def execution_name(self) -> str:
        return f"{self.sequence_id}-{self.contact_id}"


StartRun = Callable[[EnrollmentRun], None]


def start_execution(run: EnrollmentRun) -> None:
    """Start the enrollment's execution of the sequence state machine (SEQUENCE_STATE_MACHINE_ARN)."""
    arn = config.current().require("sequence_state_machine_arn")
    executions.start_once(arn, run.execution_name, asdict(run))
