"""Query parameters a route does not serve are refused by name (a 400 that lists those it does) instead of being
ignored, which would answer a different question: `GET /deals?account_id=x` must not list every deal.

What a route serves is what its function declares (Powertools reads the signature for validation and the OpenAPI
document), so `refuse_unknown_query_parameters`, installed on every resolver by `rapport.api.http.create_app`,
checks every route of every handler without any route calling it. A list's allowed combinations of filters are
a `Combinations` that its service checks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from rapport.errors import BadRequest, FieldError

if TYPE_CHECKING:  # services import `Combinations`; workers that use them need not load the web framework
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
    from aws_lambda_powertools.event_handler.middlewares import NextMiddleware


def offered_query_parameters(app: APIGatewayRestResolver) -> list[str] | None:
    """The query parameters the matched route declares; None when no route of the app matched (the route is then
    Powertools' own stand-in, which answers an unknown path with a 404 and a CORS preflight with a 204)."""
    route = app.context.get("_route")
    if route is None or route.func.__module__.startswith("aws_lambda_powertools"):
        return None
    return [field.alias for field in route.dependant.query_params]


def unsupported_query_parameters(app: APIGatewayRestResolver) -> list[FieldError]:
    """One error per query parameter of the request that the matched route does not declare."""
    offered = offered_query_parameters(app)
    if offered is None:
        return []
    event = app.current_event
    asked = {*(event.query_string_parameters or {}), *(event.multi_value_query_string_parameters or {})}
    takes = f"it takes {', '.join(offered)}" if offered else "it takes none"
    return [
        FieldError(name, f"is not a query parameter of this route; {takes}", "unsupported_parameter", "query")
        for name in sorted(asked - set(offered))
    ]


def refuse_unknown_query_parameters(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """Middleware: a 400 naming each query parameter the route does not declare, and listing those it does."""
    unsupported = unsupported_query_parameters(app)
    if unsupported:
        offered = offered_query_parameters(app) or []
        names = ", ".join(error.field for error in unsupported)
        takes = f"takes only {', '.join(offered)}" if offered else "takes no query parameters"
        route = f"{app.current_event.http_method} {app.context['_route'].openapi_path}"
        raise BadRequest(f"{route} {takes}; not {names}.", unsupported)
    return next_middleware(app)


class Combinations(NamedTuple):
    """The filter combinations a list serves, each with one Query; any other is a 400 that lists them.

    `what` names the records (`Deals`); `combinations` are tuples of filter names (the empty one: no filter).
    """

    what: str
    combinations: Sequence[tuple[str, ...]]

    def described(self) -> str:
        return "; ".join(" + ".join(combination) or "none" for combination in self.combinations)

    def check(self, filters: Mapping[str, object]) -> tuple[str, ...]:
        """The combination of `filters` given (not None, not False), which must be one of `combinations`."""
        given = {name for name, value in filters.items() if value is not None and value is not False}
        for combination in self.combinations:
            if set(combination) == given:
                return combination
        together = " + ".join(sorted(given))
        raise BadRequest(
            f"{self.what} cannot be filtered by {together} together. The filter combinations are: {self.described()}.",
            [
                FieldError(name, "is not supported in this combination", "unsupported_combination", "query")
                for name in sorted(given)
            ],
        )
