"""Lists answer from one index Query, so each offers a fixed set of filters; anything else is refused by name
(a 400 that says what is offered) instead of being ignored, which would answer a different question.
"""

from __future__ import annotations

from collections.abc import Collection

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from rapport.errors import BadRequest, FieldError

PAGING = ("limit", "cursor")


def only_offered_filters(app: APIGatewayRestResolver, offered: Collection[str], how: str) -> None:
    """400 naming every query parameter of the request that is not in `offered` (or paging); `how` says what
    the list answers, e.g. "Tasks are listed per assignee and status, by due time"."""
    asked = app.current_event.query_string_parameters or {}
    unsupported = sorted(name for name in asked if name not in offered and name not in PAGING)
    if unsupported:
        filters = ", ".join(offered)
        raise BadRequest(
            f"{how}: filter with {filters}. Not offered: {', '.join(unsupported)}.",
            [
                FieldError(name, f"is not offered; filter with {filters}", "unsupported_filter", "query")
                for name in unsupported
            ],
        )
