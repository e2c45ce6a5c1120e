"""What the cases write to timelines: a case opened or moved to another status (rapport.cases.service)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from rapport.timeline.models import Entry


class CaseEntry(Entry):
    """A case opened for the contact (no `from_status`), or moved from one status to another (GET /cases/{id} has
    it whole)."""

    kind: Literal["case"] = "case"
    case_id: str
    number: str = Field(description="CS-<n>")
    subject: str
    status: str
    from_status: str | None = None
