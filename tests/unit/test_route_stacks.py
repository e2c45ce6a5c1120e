"""How the API's routes are spread over nested stacks: whole top-level segments, each stack within its budget, and no
segment moved by routes added elsewhere or under it (a moved segment's resources are replaced)."""

from __future__ import annotations

from infra.openapi import Route, load_routes
from infra.route_stacks import (
    CLOUDFORMATION_RESOURCE_LIMIT,
    ROUTE_STACK_BUDGET,
    ROUTE_STACKS,
    STACK_OVERHEAD,
    route_stacks,
    segment_resources,
)


def _route(path: str, method: str = "GET") -> Route:
    return Route(path, method, f"{method} {path}", "contacts", {})


def _stack_by_segment(routes: list[Route], stacks: int = ROUTE_STACKS) -> dict[str, str]:
    return {name: stack.name for stack in route_stacks(routes, stacks) for name in stack.segments}


def test_a_segment_costs_a_resource_a_path_part_a_method_an_operation_and_one_mock_a_path() -> None:
    routes = [
        _route("/things"),
        _route("/things", "POST"),
        _route("/things/{record_id}"),
        _route("/other/deep/{record_id}"),
    ]
    # /things: 2 resources, 3 operations, 2 mocks; /other: 3 resources (other, deep, {record_id}), 1 operation, 1 mock
    assert segment_resources(routes) == {"other": 5, "things": 7}


def test_each_segment_is_in_one_stack_and_each_stack_is_its_segments_cost_and_within_its_budget() -> None:
    routes = load_routes()
    stacks = route_stacks(routes)
    costs = segment_resources(routes)
    held = [name for stack in stacks for name in stack.segments]
    assert sorted(held) == sorted(costs)
    assert len(stacks) <= ROUTE_STACKS
    for stack in stacks:
        assert stack.segments, "CloudFormation refuses an empty stack"
        assert stack.resources == STACK_OVERHEAD + sum(costs[name] for name in stack.segments)
        assert stack.resources <= ROUTE_STACK_BUDGET < CLOUDFORMATION_RESOURCE_LIMIT, stack
    assert route_stacks(list(reversed(routes))) == stacks, "the order of the routes does not matter"


def test_routes_added_under_a_segment_or_in_a_new_one_move_no_segment() -> None:
    routes = load_routes()
    before = _stack_by_segment(routes)
    grown = [*routes, _route("/contacts/{record_id}/novel"), _route("/contacts/{record_id}/novel", "POST")]
    assert _stack_by_segment(grown) == before
    with_new_segment = _stack_by_segment([*routes, _route("/novelties")])
    assert {name: stack for name, stack in with_new_segment.items() if name != "novelties"} == before
    fewer = [route for route in routes if not route.path.startswith("/accounts/")]
    assert _stack_by_segment(fewer) == before


def test_one_more_stack_moves_segments_only_into_it() -> None:
    routes = load_routes()
    before = _stack_by_segment(routes)
    after = _stack_by_segment(routes, ROUTE_STACKS + 1)
    moved = {name for name in before if after[name] != before[name]}
    assert {after[name] for name in moved} <= {f"Routes{ROUTE_STACKS}"}
    assert len(moved) < len(before) / 2
