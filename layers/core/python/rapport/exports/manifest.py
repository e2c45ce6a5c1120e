"""Exports: a list's records, as its route filters them, written to a CSV file in S3 in the background."""

from __future__ import annotations

from rapport.auth import Action, Role
from rapport.contexts import Area, Context, Derivation, Image, Kind

EXPORT = Kind("EXP", "export")
COMPLETED = "completed"
FAILED = "failed"

# A file of every record of a kind leaves the CRM: the people who answer for the data ask for it. What it holds
# is still what the asker may read (rapport.exports.service checks the entity's read right too).
_EXPORTERS = frozenset({Role.ADMIN, Role.MANAGER})


def _ended(before: Image, after: Image) -> list[str]:
    """`export.completed` when its file is ready, `export.failed` when it cannot be made."""
    status = after.get("status")
    if status == before.get("status") or status not in (COMPLETED, FAILED):
        return []
    return [str(status)]


CONTEXT = Context(
    name="exports",
    kinds=(EXPORT,),
    permissions={
        "exports": {
            Action.READ: _EXPORTERS,
            Action.CREATE: _EXPORTERS,
            Action.UPDATE: _EXPORTERS,  # cancelling
        },
    },
    derivations={EXPORT.entity: Derivation((COMPLETED, FAILED), _ended)},
    areas=(Area("exports", bench="getExport"),),
)
