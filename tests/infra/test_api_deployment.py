"""The stage's deployment is made again whenever a route changes: its methods are in other stacks than it, where CDK
would not see them change, so what they are made from is in the deployment's logical id (infra.constructs.api)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

from infra.config import project_context, stage_config
from infra.constructs.api import Api
from infra.openapi import Route, functions_of, load_routes
from infra.route_stacks import ROUTE_STACK_BUDGET, route_stacks, segment

pytestmark = pytest.mark.slow

ORIGIN = "http://localhost:5173"
PORTAL = "portal"


def _routes() -> list[Route]:
    """The routes of two segments in two route stacks, the customer portal's and another, staff, one: enough to tell
    a change in either, and to use both authorizers."""
    routes = load_routes()
    [other] = [stack.segments[0] for stack in route_stacks(routes) if PORTAL not in stack.segments][:1]
    return [route for route in routes if segment(route.path) in {PORTAL, other}]


def _api(routes: list[Route], allowed_origin: str = ORIGIN) -> Stack:
    """A stack with only the API (and what it is given) in it."""
    app = App(context={**project_context(), "stage": "dev"})
    stack = Stack(app, "Test")
    functions = {
        area: lambda_.Function(
            stack,
            area,
            runtime=lambda_.Runtime.PYTHON_3_12,
            handler="index.handler",
            code=lambda_.Code.from_inline("def handler(event, context): ...\n"),
        )
        for area in functions_of(routes)
    }
    stage = dataclasses.replace(stage_config(app), allowed_origin=allowed_origin)
    Api(
        stack,
        "Api",
        routes=routes,
        functions=functions,
        user_pool=cognito.UserPool(stack, "StaffPool"),
        customer_pool=cognito.UserPool(stack, "CustomerPool"),
        stage=stage,
        name="Test",
    )
    return stack


def _deployment_id(routes: list[Route], allowed_origin: str = ORIGIN) -> str:
    [logical_id] = Template.from_stack(_api(routes, allowed_origin)).find_resources("AWS::ApiGateway::Deployment")
    return logical_id


@pytest.fixture(scope="module")
def unchanged() -> str:
    return _deployment_id(_routes())


def test_the_same_routes_make_the_same_deployment(unchanged: str) -> None:
    assert _deployment_id(_routes()) == unchanged


def _with_a_required_query_parameter(routes: list[Route]) -> list[Route]:
    [first, *rest] = routes
    return [dataclasses.replace(first, request_parameters={"method.request.querystring.q": True}), *rest]


def _in_other_segment(routes: list[Route]) -> list[Route]:
    """The last route (in the other route stack than the first) served by another function."""
    *rest, last = routes
    other = next(route.function for route in routes if route.function != last.function)
    return [*rest, dataclasses.replace(last, function=other)]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(_with_a_required_query_parameter, id="a route's parameters"),
        pytest.param(_in_other_segment, id="a route's function, in the other route stack"),
        pytest.param(lambda routes: routes[:-1], id="a route removed"),
        pytest.param(
            lambda routes: [*routes, dataclasses.replace(routes[0], path=routes[0].path + "/novel")], id="a route added"
        ),
        pytest.param(
            lambda routes: [dataclasses.replace(r, customer=not r.customer) if r is routes[0] else r for r in routes],
            id="a route's authorizer",
        ),
    ],
)
def test_a_changed_route_makes_a_new_deployment(change: Callable[[list[Route]], list[Route]], unchanged: str) -> None:
    routes = _routes()
    changed = change(routes)
    assert changed != routes
    assert _deployment_id(changed) != unchanged


def test_another_origin_makes_a_new_deployment_its_mocks_and_gateway_responses_answer_it(unchanged: str) -> None:
    assert _deployment_id(_routes(), allowed_origin="https://crm.example.org") != unchanged


def test_a_route_stack_over_its_budget_is_refused_before_cloudformation_would() -> None:
    """Three resources a path (its part, its method, its mock): one segment of enough paths fills its stack alone."""
    [portal, *_] = [route for route in _routes() if route.customer]
    paths = ROUTE_STACK_BUDGET // 3 + 1
    crowded = [dataclasses.replace(portal, path=f"/crowded/path{index}") for index in range(paths)]
    refusal = f"over its budget of {ROUTE_STACK_BUDGET}: raise infra.route_stacks.ROUTE_STACKS"
    with pytest.raises(ValueError, match=re.escape(refusal)):
        _api([*_routes(), *crowded])
