"""Markdown to HTML that is safe to put in a page: mistune renders with raw HTML escaped, then justhtml sanitizes
what came out (an allowlist of tags and attributes; scripts, event handlers and `javascript:` URLs never survive).

Both load with the first article rendered, not when a handler starts.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, cast

PLUGINS = ["strikethrough", "table", "url"]


@cache
def _markdown() -> Callable[[str], Any]:
    import mistune

    return cast(Callable[[str], Any], mistune.create_markdown(escape=True, plugins=PLUGINS))


def to_html(markdown: str) -> str:
    from justhtml import JustHTML

    return str(JustHTML(str(_markdown()(markdown)), fragment=True).to_html(pretty=False)).strip()
