"""Contacts API: /contacts (their 360 view is functions/customer360's)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from rapport.api.http import PageOf, caller, create_app, entrypoint, page_response
from rapport.api.records import Cursor, Limit, Trash, register_record_routes, responses
from rapport.contacts.models import Contact, ContactCreate, ContactPatch
from rapport.contacts.service import FILTERS, contacts
from rapport.pagination import DEFAULT_LIMIT
from rapport.types import RECORD_ID_PATTERN

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


lambda_handler = entrypoint(app)
