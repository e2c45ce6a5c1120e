"""What a sequence (a drip) is: steps that send, wait and branch, the contacts enrolled in it, and its report.

A contact goes through the steps in order from the first. A `send` step sends its message (consent read at that
moment), a `wait` step waits its duration, a `branch` step goes on at one step or another by what the contact did
since a send step's message went out: opened it, clicked in it (emails only: people's opens and clicks, machines'
left out), replied, bought. A branch leads only forward (to a later step, or `end`): every enrollment ends.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from rapport import merge_patch
from rapport.consent.models import Channel, TopicName
from rapport.notifications.models import TemplateContent
from rapport.types import LazyModel, LongText, Name, RecordId, RecordMeta, StrictModel

MAX_STEPS = 20
MAX_ENROLLED_AT_ONCE = 100
END = "end"  # a branch's target: the enrollment is completed
StepKey = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$",
        description="The step's name in the sequence: lower case letters, digits, `_` and `-`",
        examples=["welcome"],
    ),
]


class Signal(StrEnum):
    OPENED = "opened"  # a person opened the step's email (its pixel loaded, or a link followed)
    CLICKED = "clicked"  # a person followed a link of the step's email
    REPLIED = "replied"  # the contact wrote to the company (an email, a case, an inbound activity) since it went
    BOUGHT = "bought"  # a deal of the contact's was won, or it placed an order, since it went


class ExitOn(StrEnum):
    REPLIED = "replied"
    CONVERTED = "converted"  # a won deal or a placed order
    UNSUBSCRIBED = "unsubscribed"  # opted out of the sequence's topic, or of a channel it sends by
    LEFT_SEGMENT = "left_segment"  # left the segment it enrolls from


class Duration(StrictModel):
    days: int = Field(default=0, ge=0, le=365)
    hours: int = Field(default=0, ge=0, le=23)
    minutes: int = Field(default=0, ge=0, le=59)

    @model_validator(mode="after")
    def _some(self) -> Duration:
        if not (self.days or self.hours or self.minutes):
            raise ValueError("a wait lasts at least a minute")
        return self

    @property
    def length(self) -> timedelta:
        return timedelta(days=self.days, hours=self.hours, minutes=self.minutes)


class SendStep(StrictModel):
    type: Literal["send"]
    key: StepKey
    channel: Channel
    content: TemplateContent = Field(
        description="As a campaign's: email subject, text and html optional; SMS text only. Placeholders: "
        "{{ recipient.name }}, {{ recipient.first_name }}. An email gets the postal address and unsubscribe link."
    )


class WaitStep(StrictModel):
    type: Literal["wait"]
    key: StepKey
    duration: Duration


class BranchStep(StrictModel):
    type: Literal["branch"]
    key: StepKey
    on: Signal
    after: StepKey = Field(description="The send step (before this one) whose message the signal is about")
    then: StepKey | None = Field(
        default=None, description="Where it goes on when the contact did: a later step, or `end`; the next if absent"
    )
    otherwise: StepKey | None = Field(
        default=None,
        description="Where it goes on when the contact did not: a later step, or `end`; the next if absent",
    )


Step = Annotated[SendStep | WaitStep | BranchStep, Field(discriminator="type")]


def _distinct(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("names one twice")
    return values


def _walkable(steps: list[SendStep | WaitStep | BranchStep]) -> list[SendStep | WaitStep | BranchStep]:
    """Keys distinct (and not `end`), a branch's `after` an earlier send step (an email for opened and clicked), its
    targets later steps or `end`: at least one step sends."""
    positions: dict[str, int] = {}
    for index, step in enumerate(steps):
        if step.key == END:
            raise ValueError(f"steps[{index}]: `{END}` is where branches end; name the step otherwise")
        if step.key in positions:
            raise ValueError(f"steps[{index}]: another step is named {step.key}")
        positions[step.key] = index
    for index, step in enumerate(steps):
        if isinstance(step, BranchStep):
            _check_branch(index, step, steps, positions)
    if not any(isinstance(step, SendStep) for step in steps):
        raise ValueError("no step sends anything")
    return steps


def _check_branch(
    index: int, step: BranchStep, steps: list[SendStep | WaitStep | BranchStep], positions: dict[str, int]
) -> None:
    after = steps[positions[step.after]] if positions.get(step.after, index) < index else None
    if not isinstance(after, SendStep):
        raise ValueError(f"steps[{index}].after: {step.after} is not a send step before this branch")
    if step.on in (Signal.OPENED, Signal.CLICKED) and after.channel != Channel.EMAIL:
        raise ValueError(f"steps[{index}].on: only an email's opens and clicks are tracked, and {step.after} is a text")
    for name in ("then", "otherwise"):
        target = getattr(step, name)
        if target is not None and target != END and positions.get(target, -1) <= index:
            raise ValueError(f"steps[{index}].{name}: {target} is not a step after this branch (or `{END}`)")


class SequenceCreate(StrictModel):
    name: Name
    description: LongText | None = None
    topic: TopicName = Field(description="One of the marketing settings' topics: each send needs consent to it")
    steps: Annotated[list[Step], Field(min_length=1, max_length=MAX_STEPS), AfterValidator(_walkable)] = Field(
        description="What happens to each enrolled contact, in order from the first"
    )
    segment: RecordId | None = Field(
        default=None, description="Contacts entering this segment while the sequence is active are enrolled"
    )
    exit_on: Annotated[list[ExitOn], AfterValidator(_distinct)] = Field(
        default_factory=lambda: list(ExitOn),
        description="What ends an enrollment at once (all four unless said): a reply, a conversion, an "
        "unsubscribe, leaving the segment. Consent is read again before every send whatever this says.",
    )


class SequenceStatus(StrEnum):
    DRAFT = "draft"  # edited freely; nobody is enrolled
    ACTIVE = "active"  # enrolls, and its enrollments go on
    PAUSED = "paused"  # editable; its enrollments wait where they are until it is active again


EDITABLE = frozenset({SequenceStatus.DRAFT, SequenceStatus.PAUSED})


class SequenceStored(SequenceCreate):
    status: SequenceStatus = SequenceStatus.DRAFT
    activated_at: datetime | None = None
    paused_at: datetime | None = None


class Sequence(SequenceStored, RecordMeta):
    pass


SequencePatch = merge_patch.model(SequenceCreate, Sequence)


class EnrollmentStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"  # went through its last step (or a branch to `end`)
    EXITED = "exited"  # ended early: see `reason`


class Enrollment(LazyModel):
    contact_id: str
    status: EnrollmentStatus
    step: str | None = Field(default=None, description="The step it is at (while active)")
    enrolled_at: datetime
    enrolled_by: str = Field(description="Who enrolled it: a user id, or `segment:<id>`")
    waiting_until: datetime | None = Field(default=None, description="When its wait step ends")
    replied_at: datetime | None = None
    converted_at: datetime | None = None
    ended_at: datetime | None = None
    reason: str | None = Field(default=None, description="Why it exited")


class Enroll(StrictModel):
    contact_ids: Annotated[list[RecordId], AfterValidator(_distinct)] = Field(
        min_length=1, max_length=MAX_ENROLLED_AT_ONCE
    )


class NotEnrolled(LazyModel):
    contact_id: str
    reason: str


class Enrolled(LazyModel):
    enrolled: list[str] = Field(description="Contacts enrolled now")
    already: list[str] = Field(description="Contacts enrolled before (each contact goes through a sequence once)")
    refused: list[NotEnrolled]


class StepReport(LazyModel):
    key: str
    type: str
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    delivered: int = 0
    bounced: int = 0
    complained: int = 0
    unsubscribed: int = 0
    opened: int = 0
    machine_opened: int = 0
    clicked: int = 0
    machine_clicked: int = 0
    taken: int = Field(default=0, description="A branch: enrollments that went on at `then`")
    not_taken: int = Field(default=0, description="A branch: enrollments that went on at `otherwise`")


class SequenceReport(LazyModel):
    sequence_id: str
    status: SequenceStatus
    enrolled: int
    active: int
    completed: int
    exited: dict[str, int] = Field(description="Ended early, by why")
    steps: list[StepReport]
