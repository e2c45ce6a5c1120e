"""Custom fields: the fields a tenant adds to its records (one settings document), their values kept under each
record's `custom`."""

from __future__ import annotations

from rapport.auth import EVERYONE, Action, Role
from rapport.contexts import Area, Context, Kind

CUSTOM_FIELDS = Kind("CUSTOM_FIELDS", "custom fields", document=True)

CONTEXT = Context(
    name="custom_fields",
    kinds=(CUSTOM_FIELDS,),
    permissions={
        # Everyone writes records, so everyone reads what their custom fields are; only an admin defines them.
        "custom_fields": {Action.READ: EVERYONE, Action.UPDATE: frozenset({Role.ADMIN})},
    },
    areas=(Area("custom_fields", bench="getCustomFields"),),
)
