"""The contract between the workflows that ask for notifications and the notifier's templates: the context a
workflow sends (the notifier adds `recipient`) holds every value the template requires, and every default
template renders from it without the marks of a missing value (an empty `()`, a label with nothing after it,
a dangling separator)."""

from __future__ import annotations

import re
from typing import Any

from rapport.notifications.catalog import templates
from rapport.notifications.rendering import Audience, value_of
from rapport.notifications.templates import render_content

APP_URL = "https://crm.test/app"
_STRAY = {
    "an empty ()": re.compile(r"\(\s*\)"),
    "a label with nothing after it": re.compile(r"\w:[ \t]*(?:<|$)", re.MULTILINE),
    "a doubled space": re.compile(r"\S  +\S"),
    "a separator with nothing before it": re.compile(r"[ (]\s*[,.;]"),
    "a relative link": re.compile(r'href="/|^/', re.MULTILINE),
}


def stray_marks(text: str) -> list[str]:
    """What in `text` shows that a value was missing."""
    return [f"{what}: {match.group()!r}" for what, pattern in _STRAY.items() if (match := pattern.search(text))]


def assert_default_templates_fill(template: str, context: dict[str, Any]) -> None:
    spec = templates()[template]
    full = {"recipient": spec.sample["recipient"], **context}
    lacking = sorted(path for path in spec.required if value_of(full, path) is None)
    assert lacking == [], f"{template} requires {lacking}"
    for channel, content in spec.defaults.items():
        message = render_content(content, full, Audience(app_url=APP_URL))
        for part in (message.subject, message.text, message.html):
            if part:
                assert stray_marks(part) == [], f"{template} ({channel}): {stray_marks(part)} in\n{part}"
