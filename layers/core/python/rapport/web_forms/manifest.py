"""Web forms: the API keys of a tenant's website forms, and the public web-to-lead intake they authorize."""

from __future__ import annotations

from rapport.auth import Action, Role
from rapport.contexts import Area, Context, Kind

WEB_FORM = Kind("WEBFORM", "web form")

CONTEXT = Context(
    name="web_forms",
    kinds=(WEB_FORM,),
    permissions={
        # A web form's API key lets the public create leads: only an admin issues or revokes one.
        "web_forms": {
            Action.READ: frozenset({Role.ADMIN, Role.MANAGER, Role.MARKETING}),
            Action.CREATE: frozenset({Role.ADMIN}),
            Action.DELETE: frozenset({Role.ADMIN}),
        },
    },
    areas=(Area("web_forms", bench="getWebForm"), Area("public_leads", bench="createPublicLead")),
)
