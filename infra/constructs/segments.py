"""Segments: the membership worker and the fill worker on the bus.

Every committed write yields its domain event from the table stream. The membership rule routes the events that
can move a contact in or out of a dynamic segment (`rapport.segments.membership.MEMBERSHIP_EVENTS`: contact,
account, deal, activity and standing changes) to `segment_membership`, which evaluates each contact concerned
against its tenant's dynamic segments. The fill rule routes segment events (`BACKFILL_EVENTS`) and the fill's own
continuation (`CONTINUED`, from `FILL_SOURCE`) to `segment_backfill`, which fills a new or refiltered segment from
the tenant's contacts a page at a time and, when time runs short, puts its continuation on the bus. Both are event
workers (infra/constructs/workers.py: the rule's retries, a dead-letter queue each) fenced to the event's tenant.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.constructs.data import Data
from infra.constructs.events import SOURCE
from infra.constructs.functions import FunctionFactory
from infra.constructs.tenancy import TenantFenced
from infra.constructs.workers import EventWorker, OnEvents

_LIFECYCLE = ("created", "updated", "deleted", "restored", "erased")
# Equal to rapport.segments.membership's (tests/infra checks).
MEMBERSHIP_EVENTS = (
    *(f"contact.{verb}" for verb in _LIFECYCLE),
    "account.updated",
    "account.deleted",
    "account.restored",
    *(f"deal.{verb}" for verb in _LIFECYCLE),
    *(f"activity.{verb}" for verb in _LIFECYCLE),
    "customer.churn_changed",
    "customer.tier_changed",
)
BACKFILL_EVENTS = ("segment.created", "segment.updated", "segment.restored", "segment.erased")
FILL_SOURCE = "rapport.segments"
CONTINUED = "segment.fill_continued"
RETRY_ATTEMPTS = 4
MAX_EVENT_AGE = Duration.hours(2)
FILL_TIMEOUT = Duration.minutes(5)


class Segments(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, data: Data, factory: FunctionFactory, bus: events.IEventBus
    ) -> None:
        super().__init__(scope, construct_id)
        self.membership: lambda_.Function = factory.event_worker(
            self,
            EventWorker(
                area="segment_membership",
                description="Rapport segment membership: a changed contact joins or leaves dynamic segments",
                trigger=OnEvents(
                    rule="MembershipEvents",
                    description="Changes of contacts and of what segment filters read of them",
                    bus=bus,
                    pattern={"source": [SOURCE], "detail-type": list(MEMBERSHIP_EVENTS)},
                    retry_attempts=RETRY_ATTEMPTS,
                    max_event_age=MAX_EVENT_AGE,
                ),
                tenancy=TenantFenced(),  # one event, one tenant: its contacts and segments
                environment={"TABLE_NAME": data.table.table_name},
            ),
        )
        self.fill: lambda_.Function = factory.event_worker(
            self,
            EventWorker(
                area="segment_backfill",
                description="Rapport segment fill: a new or refiltered segment filled from the tenant's contacts",
                trigger=OnEvents(
                    rule="FillEvents",
                    description="Segments created, restored, refiltered or erased, and fills going on",
                    bus=bus,
                    pattern={"source": [SOURCE, FILL_SOURCE], "detail-type": [*BACKFILL_EVENTS, CONTINUED]},
                    retry_attempts=RETRY_ATTEMPTS,
                    max_event_age=MAX_EVENT_AGE,
                ),
                tenancy=TenantFenced(),
                environment={"TABLE_NAME": data.table.table_name, "EVENT_BUS_NAME": bus.event_bus_name},
                timeout=FILL_TIMEOUT,
            ),
        )
        bus.grant_put_events_to(self.fill)
