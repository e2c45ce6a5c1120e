"""Contacts API: /contacts."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from rapport.api.http import JSON, PageOf, caller, create_app, entrypoint, etag, page_response
from rapport.api.records import Cursor, Limit, RecordIdParam, Trash, register_record_routes, responses
from rapport.contacts.models import Contact, ContactCreate, ContactPatch
from rapport.contacts.service import FILTERS, contacts
from rapport.pagination import DEFAULT_LIMIT
from rapport.types import RECORD_ID_PATTERN
from rapport.views.customer360 import ContactOverview, contact_overview

app = create_app()
register_record_routes(app, contacts, ContactCreate, ContactPatch, Contact)


@app.get(
    "/contacts",
    tags=["contacts"],
    operation_id="listContacts",
    summary="List or find contacts",
    description=f"One filter at a time, or account_id with q (any other combination is a 400): {FILTERS.described()}. "
    "A page may hold fewer than `limit` contacts and still have a next_cursor.",
    responses=responses(200, PageOf[Contact]),
)
def list_contacts(
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            description="Words starting words of the first or last name, in any order, case and accents aside",
        ),
    ] = None,
    email: Annotated[str | None, Query(min_length=3, max_length=254, description="Any of its emails")] = None,
    phone: Annotated[str | None, Query(min_length=3, max_length=32, description="Any of its phones")] = None,
    account_id: Annotated[str | None, Query(min_length=1, max_length=64, pattern=RECORD_ID_PATTERN)] = None,
    owner_id: Annotated[str | None, Query(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9@._:+-]+$")] = None,
    tag: Annotated[str | None, Query(min_length=1, max_length=50, description="One of its tags, case aside")] = None,
    deleted: Trash = False,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response[PageOf[Contact]]:
    page = contacts.search(
        caller(app),
        q=q,
        email=email,
        phone=phone,
        account_id=account_id,
        owner_id=owner_id,
        tag=tag,
        deleted=deleted,
        limit=limit,
        cursor=cursor,
    )
    return page_response(page)


@app.get(
    "/contacts/<record_id>/360",
    tags=["contacts"],
    operation_id="getContact360",
    summary="The customer's whole picture: profile, account, open deals, open tasks, next appointment, "
    "latest interactions, lifetime value (one read)",
    responses=responses(200, ContactOverview),
)
def get_contact_360(record_id: RecordIdParam) -> Response[ContactOverview]:  # type: ignore[valid-type]
    overview = contact_overview(caller(app), record_id)
    response: Response[Any] = Response(
        status_code=200,
        content_type=JSON,
        body=overview.model_dump(mode="json"),
        headers={"ETag": etag(overview.contact.version)},
    )
    return response


lambda_handler = entrypoint(app)
