"""Campaigns: one message, by email or SMS, to the contacts of segments (less those of exclusion segments), each
sent once, when its consent allows it at the moment it is sent. Sequences (drips): steps that send, wait and branch
on what each enrolled contact did, from its enrollment (by hand, or on entering a segment) to its exit."""

from __future__ import annotations

from rapport.auth import EVERYONE, Action, Role
from rapport.contexts import Area, Context, Kind

CAMPAIGN = Kind("CMP", "campaign")
SEQUENCE = Kind("SEQ", "sequence")

MARKETERS = frozenset({Role.ADMIN, Role.MANAGER, Role.MARKETING})

CONTEXT = Context(
    name="campaigns",
    kinds=(CAMPAIGN, SEQUENCE),
    permissions={
        "campaigns": {
            Action.READ: EVERYONE,
            Action.CREATE: MARKETERS,
            Action.UPDATE: MARKETERS,  # editing, test sends, scheduling, pausing, resuming, cancelling
            Action.DELETE: MARKETERS,
            Action.RESTORE: MARKETERS,
            Action.ERASE: frozenset({Role.ADMIN}),
        },
        "sequences": {
            Action.READ: EVERYONE,
            Action.CREATE: MARKETERS,
            Action.UPDATE: MARKETERS,  # editing, activating, pausing, enrolling and ending enrollments
            Action.DELETE: MARKETERS,
            Action.RESTORE: MARKETERS,
            Action.ERASE: frozenset({Role.ADMIN}),
        },
    },
    areas=(
        Area("campaigns", bench="getCampaign"),
        Area("campaign_links", bench="followCampaignLink"),
        Area("sequences", bench="getSequence"),
    ),
)
