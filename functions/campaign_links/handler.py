"""A campaign email's tracked links and open pixel: what a recipient's mail client reaches, without signing in.

The token in the path is the only authority (rapport.consent.links): it names the tenant, the contact, the
campaign and, for a link, where it leads; a token not signed by the stack's secret, or changed, is a 400 naming
`token`. Each request is recorded on the contact's send (rapport.campaigns.tracking says what counts, and what is
a machine's) and answers what the message asked for: a link redirects to where it leads, the pixel is a 1x1
transparent GIF. Neither is cached, so each open and click reaches Rapport.
"""

from datetime import UTC, datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import CORSConfig, Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from rapport.api.http import PUBLIC_EXTENSION, create_app, entrypoint, request_proof
from rapport.api.records import problems
from rapport.campaigns import tracking
from rapport.consent import links
from rapport.consent.links import Purpose
from rapport.dal.tenancy import tenant_scope
from rapport.errors import BadRequest

TAGS = ["campaign_links"]
OPEN = {PUBLIC_EXTENSION: True}  # no token, no API key: the link's own token authorizes
PIXEL = "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"  # a 1x1 transparent GIF, in base64
GIF = "image/gif"
NOT_CACHED = {"Cache-Control": "no-store, max-age=0"}
app = create_app(CORSConfig(allow_origin="*", max_age=600), staff=False)
Token = Annotated[str, Path(pattern=links.LINK_PATTERN, description="The token of the email's link")]
REDIRECT: dict[int, Any] = {302: {"description": "On to where the link leads (`Location`)"}, **problems()}
IMAGE: dict[int, Any] = {
    200: {"description": "A 1x1 transparent GIF", "content": {GIF: {"schema": {"type": "string", "format": "binary"}}}},
    **problems(),
}


@app.get(
    "/public/clicks/<token>",
    tags=TAGS,
    operation_id="followCampaignLink",
    summary="A campaign email's link: counts the click, then redirects to where the link leads",
    openapi_extensions=OPEN,
    responses=REDIRECT,
)
def follow_link(token: Token) -> Response[str]:
    link = links.read(token, Purpose.CLICK)
    if not link.target:
        raise BadRequest.of("token", "This link leads nowhere.", location="path")
    with tenant_scope(link.tenant_id):
        tracking.clicked(link, request_proof(app).user_agent, datetime.now(UTC))
    return Response(status_code=302, headers={"Location": link.target, **NOT_CACHED}, body="")


@app.get(
    "/public/opens/<token>",
    tags=TAGS,
    operation_id="loadCampaignPixel",
    summary="A campaign email's open pixel: counts the open",
    openapi_extensions=OPEN,
    responses=IMAGE,
)
def load_pixel(token: Token) -> Response[str]:
    link = links.read(token, Purpose.OPEN)
    with tenant_scope(link.tenant_id):
        tracking.opened(link, request_proof(app).user_agent, datetime.now(UTC))
    image = Response(status_code=200, content_type=GIF, headers=NOT_CACHED, body=PIXEL)
    image.base64_encoded = True  # as API Gateway takes bytes from a function (its text would fail response validation)
    return image


lambda_handler = entrypoint(app)
