"""Sales figures and settings: /forecast, /reports/sales-performance, /currency-rates."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from rapport.api.http import caller, create_app, entrypoint, model_response
from rapport.api.records import responses
from rapport.api.settings import register_settings_routes
from rapport.deals import forecast, rates
from rapport.deals.models import Forecast, SalesPerformance

Period = Annotated[str, Query(min_length=7, max_length=7, description="A quarter like 2026-Q4 or a month like 2026-11")]
OwnerId = Annotated[
    str | None,
    Query(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9@._:+-]+$", description="Sales see only their own"),
]

app = create_app()


@app.get(
    "/forecast",
    tags=["sales"],
    operation_id="getForecast",
    summary="Weighted pipeline, commit, best case and closed won for a period, per owner, in the tenant currency",
    description=forecast.FORECAST,
    responses=responses(200, Forecast),
)
def get_forecast(
    period: Period,
    owner_id: OwnerId = None,
    pipeline_id: Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")] = None,
) -> Response[Forecast]:
    return model_response(forecast.forecast(caller(app), period, owner_id=owner_id, pipeline_id=pipeline_id))


@app.get(
    "/reports/sales-performance",
    tags=["sales"],
    operation_id="getSalesPerformance",
    summary="Per owner: deals won and lost, revenue won, win rate, average days to close, activities",
    description=forecast.PERFORMANCE,
    responses=responses(200, SalesPerformance),
)
def get_sales_performance(period: Period, owner_id: OwnerId = None) -> Response[SalesPerformance]:
    return model_response(forecast.sales_performance(caller(app), period, owner_id=owner_id))


register_settings_routes(
    app,
    rates.CURRENCY_RATES,
    "/currency-rates",
    tag="sales",
    name="CurrencyRates",
    reads="The tenant currency and the rates deals in other currencies convert at",
    replaces="Replace the tenant currency and its rates (admin)",
    description="The tenant currency cannot change once a deal was won in it (409).",
    conflicts=True,
)


lambda_handler = entrypoint(app)
