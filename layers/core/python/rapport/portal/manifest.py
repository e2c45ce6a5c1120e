"""The customer portal: a signed-in customer's own profile, consent, cases, appointments and the public knowledge
base. It stores nothing of its own: it serves the contacts', consent's, cases', appointments' and knowledge base's
records, each only to the contact they are about."""

from __future__ import annotations

from rapport.contexts import Area, Context

CONTEXT = Context(
    name="portal",
    kinds=(),
    areas=(Area("portal", bench="getPortalCase"),),
)
