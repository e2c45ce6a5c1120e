"""Customer value: order events in; the value of each customer the order is (or was) of computed again from its
orders, against the time the event is handled, and what each contact of them bought (its recommendations' basis).
A contact's or an account's erase deletes its value and standing, and a contact's takes what it bought out of
everyone's recommendations."""

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from rapport.contacts.manifest import CONTACT
from rapport.dal import tenancy
from rapport.dal.repository import Parent
from rapport.events.models import DomainEvent
from rapport.orders.recommendations.service import recommendations
from rapport.orders.service import orders
from rapport.orders.value import ERASED, customers_of

logger = Logger()


@logger.inject_lambda_context
@tenancy.fenced()
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    detail = DomainEvent.model_validate(event["detail"])
    if (erased := ERASED.get(detail.detail_type)) is not None:
        with tenancy.tenant_scope(detail.tenant_id):
            orders.forget_customer(detail.tenant_id, Parent(erased, detail.entity_id))
            forgotten = erased == CONTACT and recommendations.forget(detail.tenant_id, detail.entity_id)
        logger.info("customer erased", extra={"event_id": detail.event_id, "forgotten": forgotten})
        return {"forgotten": forgotten}
    customers = customers_of(detail)
    with tenancy.tenant_scope(detail.tenant_id):
        refreshed = orders.refresh_value(detail.tenant_id, customers, now=datetime.now(UTC), as_of=detail.occurred_at)
        contacts = [customer.id for customer in customers if customer.kind == CONTACT]
        rebought = recommendations.refresh(detail.tenant_id, contacts)
    logger.info("customer value", extra={"event_id": detail.event_id, "customers": refreshed, "rebought": rebought})
    return {"refreshed": refreshed, "rebought": rebought}
