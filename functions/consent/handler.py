"""Consent API: a contact's consent per channel and topic (`PUT /contacts/{id}/consent`), its ledger
(`GET /contacts/{id}/consent-history`), and the tenant's marketing settings (`/marketing-settings`)."""

from aws_lambda_powertools.event_handler import Response

from rapport.api.http import PageOf, caller, create_app, entrypoint, page_response, record_response
from rapport.api.records import Cursor, Limit, RecordIdParam, responses
from rapport.api.settings import register_settings_routes
from rapport.consent.models import ConsentChange, ConsentEntry
from rapport.consent.settings import MARKETING_SETTINGS
from rapport.contacts import consent
from rapport.contacts.models import Contact
from rapport.pagination import DEFAULT_LIMIT

TAGS = ["consent"]
app = create_app()


@app.put(
    "/contacts/<record_id>/consent",
    tags=TAGS,
    operation_id="putContactConsent",
    summary="Record a change of the contact's consent on a channel, or to one of the tenant's topics on it",
    description="The contact's `consent` then holds it as the channel's (or topic's) current state, and its "
    "consent history the change, written together. Without `topic` it is the channel's consent (which "
    "transactional messages need); a topic must be one of the marketing settings' `topics`. No If-Match: what "
    "a person said applies to the contact as it is now.",
    responses=responses(200, Contact, 409),
)
def put_contact_consent(record_id: RecordIdParam, body: ConsentChange) -> Response[Contact]:
    return record_response(consent.record_change(caller(app), record_id, body))


@app.get(
    "/contacts/<record_id>/consent-history",
    tags=TAGS,
    operation_id="listConsentHistory",
    summary="Every change of the contact's consent, newest first",
    responses=responses(200, PageOf[ConsentEntry]),
)
def list_consent_history(
    record_id: RecordIdParam, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Response[PageOf[ConsentEntry]]:
    return page_response(consent.history(caller(app), record_id, limit=limit, cursor=cursor))


register_settings_routes(
    app,
    MARKETING_SETTINGS,
    "/marketing-settings",
    tag="consent",
    name="MarketingSettings",
    reads="The tenant's marketing topics, postal address and double opt-in default",
    replaces="Replace the marketing settings (admin, manager, marketing)",
)


lambda_handler = entrypoint(app)
