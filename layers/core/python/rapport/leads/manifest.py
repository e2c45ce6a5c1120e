"""Leads: people who may become customers, scored by the tenant's rules."""

from __future__ import annotations

from rapport.auth import EVERYONE, Action, Role
from rapport.contexts import Area, Context, Derivation, Importing, Kind, became

LEAD = Kind("LEAD", "lead")
SCORING_RULES = Kind("SCORING", "scoring rules", document=True)


CONTEXT = Context(
    name="leads",
    kinds=(LEAD, SCORING_RULES),
    permissions={
        # Support reads leads but does not work them.
        "leads": {
            Action.READ: EVERYONE,
            Action.CREATE: frozenset({Role.ADMIN, Role.MANAGER, Role.SALES, Role.MARKETING}),
            Action.UPDATE: frozenset({Role.ADMIN, Role.MANAGER, Role.SALES, Role.MARKETING}),
            Action.DELETE: frozenset({Role.ADMIN, Role.MANAGER, Role.SALES}),
            Action.RESTORE: frozenset({Role.ADMIN, Role.MANAGER}),
            Action.ERASE: frozenset({Role.ADMIN}),
        },
        # How leads are scored is marketing's and management's call.
        "scoring_rules": {
            Action.READ: frozenset({Role.ADMIN, Role.MANAGER, Role.MARKETING}),
            Action.UPDATE: frozenset({Role.ADMIN, Role.MANAGER, Role.MARKETING}),
        },
    },
    derivations={LEAD.entity: Derivation(("converted",), became("status", "converted", "converted"))},
    exports={"leads": "rapport.leads.service:leads"},
    imports={"leads": Importing("rapport.leads.service:leads", ("email",))},
    areas=(Area("leads", bench="getLead"),),
)
