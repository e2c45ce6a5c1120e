"""Which nested stack holds which routes: the API's resources and methods are spread over `ROUTE_STACKS` nested stacks
of the API's stack, so that none nears CloudFormation's 500 resources as the API grows (infra.constructs.api).

A resource path can be created in one stack only, so a stack holds whole top-level path segments (`/contacts` and
everything under it). A segment's stack is chosen by rendezvous hashing of the segment's name alone: of the
`ROUTE_STACKS` stacks, the one whose hash with the segment is highest. Hence what the grouping guarantees:
- it is deterministic, and needs no list kept by hand;
- adding or removing routes, under an existing segment or a new one, moves no other segment between stacks (a
  segment's stack depends on its name only): only the stack that holds the changed segment changes;
- raising `ROUTE_STACKS` by one moves only the segments the new stack wins (about one in `ROUTE_STACKS + 1`), and
  nothing else.
Moving a segment replaces its resources and methods, which API Gateway refuses while the old ones exist (a path is
created in the new stack before it is deleted from the old one): a deployed stage must be migrated (README,
"Deploying"). So the count is a constant, raised on purpose, not computed from the routes' number: the API refuses
to synthesize a route stack over `ROUTE_STACK_BUDGET` (a fifth of the limit left for the routes still to come), and
that is when to raise it.

Plain definitions, no CDK (tests and tools read them without a Node.js process).
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

from infra.openapi import Route, allowed_methods

CLOUDFORMATION_RESOURCE_LIMIT = 500
ROUTE_STACKS = 4
ROUTE_STACK_BUDGET = 400
STACK_OVERHEAD = 1  # the AWS::CDK::Metadata the CDK CLI adds to each stack


class RouteStack(NamedTuple):
    name: str  # its construct id, stable: a stack's name is its index
    segments: tuple[str, ...]  # the top-level path segments it holds, sorted
    resources: int  # the CloudFormation resources it holds: its paths' resources, methods, and its overhead


def segment(path: str) -> str:
    """A path's top-level segment: `contacts` for `/contacts/{record_id}`."""
    return path.strip("/").split("/", 1)[0]


def segment_resources(routes: list[Route]) -> dict[str, int]:
    """What each top-level segment costs in resources: one per path part (`AWS::ApiGateway::Resource`), one method per
    operation, and each path's ANY method (its CORS preflight and refusals)."""
    paths = allowed_methods(routes)
    parts = {tuple(path.strip("/").split("/")[: depth + 1]) for path in paths for depth in range(path.count("/"))}
    costs: dict[str, int] = {}
    for counted in (
        [part[0] for part in parts],
        [segment(path) for path in paths],
        [segment(route.path) for route in routes],
    ):
        for name in counted:
            costs[name] = costs.get(name, 0) + 1
    return dict(sorted(costs.items()))


def stack_of(name: str, stacks: int = ROUTE_STACKS) -> int:
    """The stack a top-level segment goes to: the highest of its hashes with each stack's index (rendezvous)."""
    return max(range(stacks), key=lambda index: hashlib.sha256(f"{index}/{name}".encode()).digest())


def route_stacks(routes: list[Route], stacks: int = ROUTE_STACKS) -> list[RouteStack]:
    """The route stacks, each with its segments and size; a stack no segment goes to is left out (CloudFormation
    refuses an empty stack), and made when one does."""
    held: dict[int, list[str]] = {}
    for name in segment_resources(routes):
        held.setdefault(stack_of(name, stacks), []).append(name)
    costs = segment_resources(routes)
    return [
        RouteStack(f"Routes{index}", tuple(names), STACK_OVERHEAD + sum(costs[name] for name in names))
        for index, names in sorted(held.items())
    ]
