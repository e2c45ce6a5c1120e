"""The tenant's lead assignment rules (`GET/PUT /assignment-rules`, a settings document, rapport.settings): its
teams and their reps in turn order, territories, the response SLA and the reassignment cap
(rapport.assignment.service applies them)."""

from __future__ import annotations

from rapport.assignment import manifest
from rapport.assignment.models import AssignmentRules
from rapport.settings import SettingsDocument

RESOURCE = "assignment_rules"

ASSIGNMENT_RULES = SettingsDocument(
    manifest.ASSIGNMENT_RULES, AssignmentRules, resource=RESOURCE, default=lambda _: AssignmentRules()
)
