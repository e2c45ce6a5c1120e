from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field, ValidationInfo, field_validator

from rapport import merge_patch
from rapport.links import Links
from rapport.types import CustomValues, Instant, LongText, Name, RecordMeta, UserId


class TaskStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


OPEN_STATUSES = frozenset({TaskStatus.OPEN, TaskStatus.IN_PROGRESS})


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class TaskFields(Links):
    description: LongText | None = None
    assignee_id: UserId | None = Field(default=None, description="A staff user id (a token's subject); default: you")
    due_at: Instant | None = None
    reminder_at: Instant | None = Field(default=None, description="When to remind the assignee; not after due_at")
    custom: CustomValues | None = None

    @field_validator("reminder_at")
    @classmethod
    def _not_after_due(cls, reminder_at: datetime | None, info: ValidationInfo) -> datetime | None:
        due_at = info.data.get("due_at")
        if reminder_at is not None and due_at is not None and reminder_at > due_at:
            raise ValueError("must not be after due_at")
        return reminder_at


class TaskCreate(TaskFields):
    title: Name
    status: TaskStatus = TaskStatus.OPEN
    priority: Priority = Priority.NORMAL


class Task(TaskCreate, RecordMeta):
    assignee_id: str


TaskPatch = merge_patch.model(TaskCreate, Task)
