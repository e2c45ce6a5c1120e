"""Sales settings: /currency-rates."""

from typing import Any

from aws_lambda_powertools.event_handler import Response

from rapport.api.http import JSON, caller, create_app, entrypoint, etag, expected_version
from rapport.api.records import IfMatch, problems, responses
from rapport.deals import rates
from rapport.deals.models import CurrencyRates, CurrencyRatesPut

app = create_app()


def _json(body: Any, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(status_code=200, content_type=JSON, body=body.model_dump(mode="json"), headers=headers)


@app.get(
    "/currency-rates",
    tags=["sales"],
    operation_id="getCurrencyRates",
    summary="The tenant currency and the rates deals in other currencies convert at",
    responses=responses(200, CurrencyRates),
)
def get_currency_rates() -> Response[CurrencyRates]:
    table = rates.get_rates(caller(app))
    return _json(table, {"ETag": etag(table.version)})


@app.put(
    "/currency-rates",
    tags=["sales"],
    operation_id="putCurrencyRates",
    summary="Replace the tenant currency and its rates (admin)",
    responses={**responses(200, CurrencyRates), **problems(409, 412)},
)
def put_currency_rates(body: CurrencyRatesPut, if_match: IfMatch = None) -> Response[CurrencyRates]:
    table = rates.put_rates(caller(app), body, expected_version(if_match, required=False))
    return _json(table, {"ETag": etag(table.version)})


lambda_handler = entrypoint(app)
