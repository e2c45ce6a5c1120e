"""Accounts API: /accounts and an account's contacts."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from rapport.accounts.models import Account, AccountCreate, AccountPatch
from rapport.accounts.service import FILTERS, accounts
from rapport.api.http import PageOf, caller, create_app, entrypoint, page_response
from rapport.api.records import Cursor, Limit, RecordIdParam, Trash, register_record_routes, responses
from rapport.contacts.models import Contact
from rapport.contacts.service import contacts
from rapport.pagination import DEFAULT_LIMIT

app = create_app()
register_record_routes(app, accounts, AccountCreate, AccountPatch, Account)


@app.get(
    "/accounts",
    tags=["accounts"],
    operation_id="listAccounts",
    summary="List or find accounts",
    description=f"One filter at a time (more is a 400): {FILTERS.described()}. A page may hold fewer than `limit` "
    "accounts and still have a next_cursor.",
    responses=responses(200, PageOf[Account]),
)
def list_accounts(
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            description="Words starting words of the name, in any order, case and accents aside",
        ),
    ] = None,
    domain: Annotated[str | None, Query(min_length=1, max_length=253, description="Exact domain")] = None,
    deleted: Trash = False,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response[PageOf[Account]]:
    page = accounts.search(caller(app), q=q, domain=domain, deleted=deleted, limit=limit, cursor=cursor)
    return page_response(page)


@app.get(
    "/accounts/<record_id>/contacts",
    tags=["accounts"],
    operation_id="listAccountContacts",
    summary="An account's contacts, by name",
    responses=responses(200, PageOf[Contact]),
)
def list_account_contacts(
    record_id: RecordIdParam, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Response[PageOf[Contact]]:
    return page_response(contacts.of_account(caller(app), record_id, limit=limit, cursor=cursor))


lambda_handler = entrypoint(app)
