"""A contact's open cases in its 360 view, from the summaries the cases keep in its partition (rapport.cases.store:
by case id, so by creation)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from rapport.cases import store
from rapport.cases.manifest import CASE
from rapport.contexts import Seen, SummaryPart
from rapport.types import LazyModel

LATEST = 3


class CaseBrief(LazyModel):
    id: str
    number: str
    subject: str
    status: str
    priority: str
    type: str
    owner_id: str | None = None
    queue: str | None = None
    created_at: datetime


class OpenCases(LazyModel):
    count: int = Field(description="The contact's cases that are not resolved, closed or trashed")
    latest: list[CaseBrief] = Field(description=f"The {LATEST} newest of them, newest first")


def _open_cases(seen: Seen) -> OpenCases:
    newest_first = sorted(seen.summaries, key=lambda summary: summary.ref_id, reverse=True)
    latest = [CaseBrief.model_validate({**summary.data, "id": summary.ref_id}) for summary in newest_first[:LATEST]]
    return OpenCases(count=len(seen.summaries), latest=latest)


OPEN_CASES = SummaryPart(
    field="open_cases",
    annotation=OpenCases,
    info=Field(),
    prefix=store.SUMMARY_PREFIX,
    kinds=(CASE.code,),
    read=_open_cases,
)
