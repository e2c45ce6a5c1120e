"""Segment membership: contact, account, deal, activity and standing events in; each contact they concern
evaluated again against its tenant's dynamic segments, joining or leaving each."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from rapport.contacts import store as contact_store
from rapport.dal import repository, tenancy
from rapport.events.models import DomainEvent
from rapport.segments import placement
from rapport.segments.membership import account_of, contacts_of

logger = Logger()


@logger.inject_lambda_context
@tenancy.fenced()
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    detail = DomainEvent.model_validate(event["detail"])
    tenant = detail.tenant_id
    moved: dict[str, dict[str, list[str]]] = {}
    with tenancy.tenant_scope(tenant):
        concerned = contacts_of(detail)
        account_id = account_of(detail)
        if account_id is not None:
            concerned += [contact.id for contact in repository.records(contact_store.of_account(tenant, account_id))]
        for contact_id in concerned:
            moved[contact_id] = placement.refresh_contact(tenant, contact_id)
    logger.info("segment membership", extra={"event_id": detail.event_id, "moved": moved})
    return {"contacts": moved}
