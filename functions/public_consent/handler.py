"""Public consent pages: what a person reaches through the links of Rapport's messages, without signing in.

The token in the path is the only authority (rapport.consent.links): it names the tenant, the contact, the
channel and the topic, signed by the stack's secret; a token not signed by it, changed or expired is a 400 naming
`token`. A GET shows a page and changes nothing (link scanners fetch links); a POST changes consent at once: the
one-click unsubscribe of RFC 8058 (`List-Unsubscribe=One-Click`, as mail clients send it; a campaign's link also
counts it on the campaign's report), the page's forms, and
through a confirmation link, the confirmation of the pending subscriptions (double opt-in).
"""

from datetime import UTC, datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import CORSConfig, Response
from aws_lambda_powertools.event_handler.openapi.params import Form, Path

from rapport.api.http import PUBLIC_EXTENSION, create_app, entrypoint, request_proof
from rapport.api.records import responses
from rapport.campaigns import tracking
from rapport.consent import links, pages
from rapport.consent.links import Purpose
from rapport.contacts import consent
from rapport.dal.tenancy import tenant_scope

TAGS = ["public_consent"]
# The preference page's links: the unsubscribe link's, and a confirmation's (double opt-in), which leads to the
# subscriptions waiting for it; both are pages about what the person receives (and one path of the API's stack).
PREFERENCE_LINKS = frozenset({Purpose.UNSUBSCRIBE, Purpose.CONFIRM})
OPEN = {PUBLIC_EXTENSION: True}  # no token, no API key: the link's own token authorizes
app = create_app(CORSConfig(allow_origin="*", allow_headers=["Content-Type"], max_age=600), staff=False)
Token = Annotated[str, Path(pattern=links.LINK_PATTERN, description="The token of the message's link")]
PAGE: dict[int, Any] = {200: {"description": "The page", "content": {pages.HTML: {"schema": {"type": "string"}}}}}

PAGES = {**responses(200, None), **PAGE}


def _page(html: str) -> Response[str]:
    return Response(status_code=200, content_type=pages.HTML, body=html)


@app.get(
    "/public/unsubscribe/<token>",
    tags=TAGS,
    operation_id="getUnsubscribePage",
    summary="The unsubscribe link's page: asks, changes nothing",
    openapi_extensions=OPEN,
    responses=PAGES,
)
def get_unsubscribe_page(token: Token) -> Response[str]:
    link = links.read(token, Purpose.UNSUBSCRIBE)
    with tenant_scope(link.tenant_id):
        shown = consent.preferences(link)
    return _page(pages.unsubscribe_form(shown.address, link.channel, link.topic))


@app.post(
    "/public/unsubscribe/<token>",
    tags=TAGS,
    operation_id="unsubscribe",
    summary="Unsubscribe at once: the page's button, or a mail client's RFC 8058 one-click",
    description="A one-click client posts `List-Unsubscribe=One-Click` (application/x-www-form-urlencoded or "
    "multipart/form-data); the POST itself is the request, whatever its body.",
    openapi_extensions=OPEN,
    responses=PAGES,
)
def unsubscribe(token: Token) -> Response[str]:
    link = links.read(token, Purpose.UNSUBSCRIBE)
    with tenant_scope(link.tenant_id):
        address = consent.unsubscribe(link, request_proof(app))
        tracking.unsubscribed(link, datetime.now(UTC))
    return _page(pages.unsubscribed(address, link.channel, link.topic))


@app.get(
    "/public/preferences/<token>",
    tags=TAGS,
    operation_id="getPreferencesPage",
    summary="The preference page: the tenant's topics, and which the person is subscribed to; through a "
    "confirmation link (double opt-in), the subscriptions that wait for confirmation",
    description="Changes nothing: link scanners fetch links.",
    openapi_extensions=OPEN,
    responses=PAGES,
)
def get_preferences_page(token: Token) -> Response[str]:
    link = links.read(token, PREFERENCE_LINKS)
    with tenant_scope(link.tenant_id):
        if link.purpose is Purpose.CONFIRM:
            waiting = consent.awaiting(link)
            return _page(pages.confirm_form(waiting.address, waiting.topics))
        shown = consent.preferences(link)
    return _page(pages.preferences_form(shown.address, shown.channel, shown.topics))


@app.post(
    "/public/preferences/<token>",
    tags=TAGS,
    operation_id="savePreferences",
    summary="Subscribe to the topics sent (`topic`, repeated) and unsubscribe from the others; through a "
    "confirmation link, confirm the pending subscriptions",
    description="A confirmation link's POST makes each email subscription still pending `opted_in` (source "
    "`double_opt_in`, with the request's IP and user agent); its `topic` fields are ignored.",
    openapi_extensions=OPEN,
    responses=PAGES,
)
def save_preferences(
    token: Token,
    topic: Annotated[list[str] | None, Form(description="A topic to stay or become subscribed to")] = None,
) -> Response[str]:
    link = links.read(token, PREFERENCE_LINKS)
    with tenant_scope(link.tenant_id):
        if link.purpose is Purpose.CONFIRM:
            confirmed = consent.confirm(link, request_proof(app))
            return _page(pages.confirmed(confirmed.address, confirmed.topics))
        shown = consent.choose_topics(link, set(topic or []), request_proof(app))
    return _page(pages.preferences_form(shown.address, shown.channel, shown.topics, saved=True))


lambda_handler = entrypoint(app, forms=True)
