"""The contract between the workflows that ask for notifications and the notifier's templates: every variable a
default template uses has a value in the context the workflow sends (the notifier adds `recipient`)."""

from __future__ import annotations

from typing import Any

from rapport.notifications.catalog import TEMPLATES
from rapport.notifications.rendering import parse, render


def assert_default_templates_fill(template: str, context: dict[str, Any]) -> None:
    spec = TEMPLATES[template]
    full = {"recipient": spec.sample["recipient"], **context}
    for channel, content in spec.defaults.items():
        for part in (content.subject, content.text, content.html):
            if part:
                missing = render(parse(part), full).missing
                assert missing == [], f"{template} ({channel}) has no value for {missing}"
