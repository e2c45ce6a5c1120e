"""What a privacy export holds (POST /contacts/{id}/privacy-export): everything Rapport keeps about one person, as
sections of one JSON document, each read a page at a time as the asker.

- `contact`: the contact, as `GET /contacts/{id}` answers it;
- `kept_with_the_contact`: every other item of the contact's partition as it is stored (its keys left out): the
  summaries of its account, open deals, cases and tasks, its timeline (interactions, the messages sent to it:
  campaigns', sequences' and notifications'), its consent ledger, its segment memberships and sequence
  enrollments, its field history;
- `cases`: the cases opened for it (open or closed), as `GET /cases?contact_id=` lists them, each with its
  conversation as it is kept (`messages`: the emails, portal messages and replies, internal notes included);
- `orders`: its orders, as `GET /contacts/{id}/orders` lists them;
- `leads`: the leads with any of its emails, as `GET /leads?email=` finds them (the leads it came from, and any
  later ones).
"""

from __future__ import annotations

import json
from typing import Any

from rapport.auth import Caller
from rapport.cases import store as case_store
from rapport.cases.service import cases
from rapport.contacts.manifest import CONTACT
from rapport.contacts.service import contacts
from rapport.dal import repository
from rapport.exports.models import Section
from rapport.leads.service import leads
from rapport.orders.service import orders
from rapport.types import LazyModel

PAGE = 100


class _EmailsAt(LazyModel):
    email: int = 0  # which of the contact's emails
    cursor: str | None = None  # where in its leads


def _messages(caller: Caller, case_id: str) -> list[dict[str, Any]]:
    """A case's conversation as it is kept (its attachments by their keys: a link would outlive its 15 minutes)."""
    return [message.data for message in repository.partition_summaries(case_store.messages(caller.tenant_id, case_id))]


def sections(caller: Caller, contact_id: str) -> list[Section]:
    def contact(cursor: str | None) -> tuple[list[Any], str | None]:
        return [contacts.get(caller, contact_id).model_dump(mode="json")], None

    def kept(cursor: str | None) -> tuple[list[Any], str | None]:
        position = json.loads(cursor) if cursor else None
        page = repository.held_in(caller.tenant_id, CONTACT, contact_id, limit=PAGE, position=position)
        items = [item for item in page.items if item.get("type") != "record"]
        return items, json.dumps(page.next_position) if page.next_position else None

    def opened_cases(cursor: str | None) -> tuple[list[Any], str | None]:
        page = cases.search(
            caller, number=None, queue=None, owner_id=None, status=None, contact_id=contact_id, account_id=None,
            limit=PAGE, cursor=cursor,
        )  # fmt: skip
        found = [{**case.model_dump(mode="json"), "messages": _messages(caller, case.id)} for case in page.items]
        return found, page.next_cursor

    def placed_orders(cursor: str | None) -> tuple[list[Any], str | None]:
        page = orders.of_customer(caller, CONTACT, contact_id, limit=PAGE, cursor=cursor)
        return [order.model_dump(mode="json") for order in page.items], page.next_cursor

    def with_its_emails(cursor: str | None) -> tuple[list[Any], str | None]:
        """The leads of each of its emails in turn: the cursor holds which email, and where in its leads."""
        person = contacts.get(caller, contact_id)
        emails = [email for email in (person.email, *person.emails) if email]
        at = _EmailsAt.model_validate_json(cursor) if cursor else _EmailsAt()
        if at.email >= len(emails):
            return [], None
        page = leads.search(
            caller, status=None, owner_id=None, min_score=None, email=emails[at.email], q=None, deleted=False,
            limit=PAGE, cursor=at.cursor,
        )  # fmt: skip
        following = None
        if page.next_cursor is not None:
            following = _EmailsAt(email=at.email, cursor=page.next_cursor)
        elif at.email + 1 < len(emails):
            following = _EmailsAt(email=at.email + 1)
        found = [lead.model_dump(mode="json") for lead in page.items]
        return found, following.model_dump_json() if following else None

    return [
        Section("contact", contact),
        Section("kept_with_the_contact", kept),
        Section("cases", opened_cases),
        Section("orders", placed_orders),
        Section("leads", with_its_emails),
    ]
