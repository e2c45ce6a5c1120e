"""The segment workers in the template: the membership and fill rules, their retries and dead-letter queues."""

from __future__ import annotations

import pytest

from infra.constructs import segments as construct
from rapport.segments import membership
from tests.infra.conftest import Synthesis

pytestmark = pytest.mark.slow


def test_the_infra_constants_equal_the_domain_s() -> None:
    assert construct.MEMBERSHIP_EVENTS == membership.MEMBERSHIP_EVENTS
    assert construct.BACKFILL_EVENTS == membership.BACKFILL_EVENTS
    assert (construct.FILL_SOURCE, construct.CONTINUED) == (membership.FILL_SOURCE, membership.CONTINUED)


@pytest.mark.parametrize(
    ("rule", "area", "pattern"),
    [
        (
            "MembershipEvents",
            "segment_membership",
            {"source": ["rapport"], "detail-type": list(membership.MEMBERSHIP_EVENTS)},
        ),
        (
            "FillEvents",
            "segment_backfill",
            {
                "source": ["rapport", membership.FILL_SOURCE],
                "detail-type": [*membership.BACKFILL_EVENTS, membership.CONTINUED],
            },
        ),
    ],
)
def test_the_events_reach_each_worker_with_retries_and_its_own_dead_letter_queue(
    dev: Synthesis, rule: str, area: str, pattern: dict[str, list[str]]
) -> None:
    properties = dev.one("AWS::Events::Rule", f"/Segments/{rule}/Resource")["Properties"]
    assert properties["EventPattern"] == pattern
    [target] = properties["Targets"]
    function = dev.id_of("AWS::Lambda::Function", f"/Functions/{area}/Function/Resource")
    queue_id = "".join(part.capitalize() for part in area.split("_")) + "DeadLetters"
    queue = dev.id_of("AWS::SQS::Queue", f"/Segments/{queue_id}/Resource")
    assert target["Arn"] == {"Fn::GetAtt": [function, "Arn"]}
    assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": [queue, "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == construct.RETRY_ATTEMPTS


def test_the_fill_puts_its_continuation_on_the_bus_before_its_timeout_can_cut_a_page(dev: Synthesis) -> None:
    from segment_backfill.handler import PAGE_TIME_MS

    fill = dev.functions()["segment_backfill"]
    assert fill["Timeout"] * 1000 >= 2 * PAGE_TIME_MS
    variables = fill["Environment"]["Variables"]
    [bus_id] = dev.of_type("AWS::Events::EventBus")
    assert variables["EVENT_BUS_NAME"] == {"Ref": bus_id}
