from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator, model_validator

from rapport import merge_patch
from rapport.segments.filter import Filter, Node, shape_errors
from rapport.types import Instant, LazyModel, LongText, Name, RecordId, RecordMeta, StrictModel

MAX_MEMBER_CHANGES = 25  # contacts added or removed by one request: each is two items and a check in one transaction


class SegmentKind(StrEnum):
    DYNAMIC = "dynamic"  # its members are the contacts its filter selects, kept by the event stream
    STATIC = "static"  # its members are added and removed by hand


class SegmentFields(StrictModel):
    description: LongText | None = None


class SegmentCreate(SegmentFields):
    name: Name
    kind: SegmentKind = SegmentKind.DYNAMIC
    filter: Filter | None = Field(
        default=None,
        validate_default=True,
        description="Which contacts a dynamic segment holds: a clause, or and/or/not over clauses (required for a "
        "dynamic segment, refused for a static one)",
    )

    @field_validator("filter")
    @classmethod
    def _filter_of_its_kind(cls, tree: Node | None, info: ValidationInfo) -> Node | None:
        kind = info.data.get("kind")
        if kind is SegmentKind.DYNAMIC and tree is None:
            raise ValueError("a dynamic segment needs a filter")
        if kind is SegmentKind.STATIC and tree is not None:
            raise ValueError("a static segment has no filter: add and remove its members by id")
        if tree is not None and (errors := shape_errors(tree)):
            raise ValueError(f"the filter {'; '.join(errors)}")
        return tree


class BackfillState(StrEnum):
    RUNNING = "running"
    DONE = "done"


class Backfill(LazyModel):
    """How far the segment's fill from the tenant's contacts has gone, since it was created or its filter changed."""

    state: BackfillState
    processed: int = Field(description="Contacts evaluated so far")
    version: int | None = Field(default=None, description="The segment's version being filled, once the fill took it")
    started_at: Instant
    finished_at: Instant | None = None


class Segment(SegmentCreate, RecordMeta):
    count: int | None = Field(
        default=None, description="How many contacts it holds (in a read of the segment; null in lists)"
    )
    backfill: Backfill | None = Field(
        default=None, description="A dynamic segment's fill (in a read of the segment; null in lists)"
    )


SegmentPatch = merge_patch.model(SegmentCreate, Segment)

ContactIds = Annotated[list[RecordId], Field(max_length=MAX_MEMBER_CHANGES)]


class MembersChange(StrictModel):
    add: ContactIds = Field(default_factory=list, description="Contacts to add (live contacts of your tenant)")
    remove: ContactIds = Field(default_factory=list, description="Contacts to take out")

    @model_validator(mode="after")
    def _some_and_distinct(self) -> MembersChange:
        if not self.add and not self.remove:
            raise ValueError("add or remove at least one contact")
        if len(self.add) + len(self.remove) > MAX_MEMBER_CHANGES:
            raise ValueError(f"at most {MAX_MEMBER_CHANGES} contacts at a time")
        if len(set(self.add) | set(self.remove)) != len(self.add) + len(self.remove):
            raise ValueError("names a contact twice")
        return self


class MembersChanged(LazyModel):
    added: list[str] = Field(description="Contacts that joined (those already in it are left out)")
    removed: list[str] = Field(description="Contacts that left (those not in it are left out)")
    count: int


class Member(LazyModel):
    contact_id: str
    name: str | None = None
    email: str | None = None
    joined_at: Instant
