"""Imports: a CSV file's rows made records (created, or matched to records they update) in the background."""

from __future__ import annotations

from rapport.auth import Action, Role
from rapport.contexts import Area, Context, Derivation, Image, Kind

IMPORT = Kind("IMP", "import")
ENDINGS = ("completed", "validated", "failed", "reverted")
STARTS = ("validating", "queued", "reverting")  # each begins a run (rapport.imports.runner)

# Many records written at once, in any owner's name: the people who answer for the data do it. Each row is still
# written with the importer's rights on its entity (rapport.imports.service checks create and update).
_IMPORTERS = frozenset({Role.ADMIN, Role.MANAGER})


def _moved(before: Image, after: Image) -> list[str]:
    """`import.validating`, `.queued` and `.reverting`, which start its runner; `import.completed`, `.validated` (a
    dry run's report is ready), `.failed` and `.reverted`."""
    status = after.get("status")
    if status == before.get("status") or status not in (*STARTS, *ENDINGS):
        return []
    return [str(status)]


CONTEXT = Context(
    name="imports",
    kinds=(IMPORT,),
    permissions={
        "imports": {
            Action.READ: _IMPORTERS,
            Action.CREATE: _IMPORTERS,
            Action.UPDATE: _IMPORTERS,  # validating, starting, cancelling, reverting
        },
    },
    derivations={IMPORT.entity: Derivation((*STARTS, *ENDINGS), _moved)},
    areas=(Area("imports", bench="getImport"),),
)
