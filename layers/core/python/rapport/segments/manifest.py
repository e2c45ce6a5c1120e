"""Segments: who a marketer means, by a filter over contacts and their account (dynamic) or by hand (static)."""

from __future__ import annotations

from rapport.auth import EVERYONE, Action, Role
from rapport.contexts import Area, Context, Kind

SEGMENT = Kind("SEG", "segment")

MARKETERS = frozenset({Role.ADMIN, Role.MANAGER, Role.MARKETING})

CONTEXT = Context(
    name="segments",
    kinds=(SEGMENT,),
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
    areas=(Area("segments", bench="getSegment"),),
)
