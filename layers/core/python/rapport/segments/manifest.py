"""Segments: who a marketer means, by a filter over contacts and their account (dynamic) or by hand (static)."""

from __future__ import annotations

from rapport.auth import EVERYONE, Action, Role
from rapport.contexts import Area, Context, Derivation, Image, Kind

SEGMENT = Kind("SEG", "segment")
# A contact's membership of a segment, kept in the contact's partition (rapport.segments.store): its joining and
# leaving are the events `segment_membership.joined` and `.left`, the segment's id their entity id.
SEGMENT_MEMBERSHIP = Kind("SEG_MEMBERSHIP", "segment membership", summary=True)

MARKETERS = frozenset({Role.ADMIN, Role.MANAGER, Role.MARKETING})


def _membership_moved(before: Image, after: Image) -> list[str]:
    """`joined` when the membership appears, `left` when it is removed (after is empty). A membership put before
    memberships named their contact (no `contact_id`) never joined on the bus, so it leaves silently."""
    if after and not before:
        return ["joined"]
    if before.get("contact_id") and not after:
        return ["left"]
    return []


CONTEXT = Context(
    name="segments",
    kinds=(SEGMENT, SEGMENT_MEMBERSHIP),
    permissions={
        "segments": {
            Action.READ: EVERYONE,
            Action.CREATE: MARKETERS,
            Action.UPDATE: MARKETERS,
            Action.DELETE: MARKETERS,
            Action.RESTORE: MARKETERS,
            Action.ERASE: frozenset({Role.ADMIN}),
        },
    },
    # A contact joined or left a segment (by hand, or placed by the workers): what marketing sequences enroll on.
    derivations={SEGMENT_MEMBERSHIP.entity: Derivation(("joined", "left"), _membership_moved)},
    areas=(Area("segments", bench="getSegment"),),
)
