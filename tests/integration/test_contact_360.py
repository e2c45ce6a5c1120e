from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from rapport.contacts.manifest import CONTACT
from rapport.dal.repository import UnitOfWork
from rapport.deals import store as deal_store
from rapport.deals.manifest import DEAL
from rapport.tasks import store as task_store
from rapport.tasks.manifest import TASK
from rapport.views.customer360 import LATEST, SUMMARY_BUDGET
from tests.integration.stored import stored_record, stored_summary
from tools.lambda_api import Staff, call, create
from tools.metering import dynamodb_requests

SALES = Staff()
OTHER_TENANT = Staff(tenant="tenant-b", user="user-9", groups=("admin",))
UNKNOWN = "01JD5Y7M7ZV1W4T5C9H2K3N4P5"
NO_KEY: dict[str, str | None] = {"Idempotency-Key": None}


def soon(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(microsecond=0).isoformat()


def post(operation: str, **body: Any) -> dict[str, Any]:
    reply = call(operation, body=body, headers=NO_KEY)
    assert reply.status == 201, reply.body
    return dict(reply.body)


def picture(contact_id: str, staff: Staff = SALES) -> Any:
    with dynamodb_requests() as requests:
        reply = call("getContact360", staff, record_id=contact_id)
    assert requests == ["Query"]
    return reply


def deal(contact_id: str, name: str, status: str, amount: float) -> str:
    """A deal the contact is on, with its summary in the contact's partition as the deals area keeps it."""
    deal_id = stored_record(DEAL, name=name)
    summary = {
        "name": name,
        "amount": amount,
        "currency": "EUR",
        "stage": "proposal",
        "status": status,
        "close_date": "2026-12-15",
        "owner_id": SALES.user,
    }
    work = UnitOfWork()
    work.put_item(deal_store.deal_summary(SALES.tenant, contact_id, deal_id, summary))
    work.commit()
    return deal_id


def lifetime_value(contact_id: str, amount: Decimal) -> None:
    """What the deals area adds to the contact's lifetime value when a deal of theirs is won."""
    work = UnitOfWork()
    work.update_item(*deal_store.lifetime_value_update(SALES.tenant, contact_id, amount, "EUR"))
    work.commit()


@pytest.fixture
def account() -> dict[str, Any]:
    return create("createAccount", name="Acme", domain="acme.example")


def test_the_whole_picture_is_one_query(account):
    contact = create("createContact", first_name="Ada", last_name="Lovelace", account_id=account["id"])["id"]
    other = create("createContact", last_name="Other")["id"]
    open_deal = deal(contact, "40 seats", "open", 48_000.5)
    deal(contact, "Pilot", "won", 5_000)
    deal(contact, "Old", "lost", 1_000)
    lifetime_value(contact, Decimal(5_000))
    post("createTask", title="Undated", contact_id=contact)
    post("createTask", title="Soon", due_at=soon(24), contact_id=contact)
    done = post("createTask", title="Done", contact_id=contact)
    call("updateTask", record_id=done["id"], body={"status": "done"})
    post("createTask", title="Someone else's", contact_id=other)
    post("createAppointment", title="Missed", starts_at=soon(-3), ends_at=soon(-2), contact_id=contact)
    later = post("createAppointment", title="Later", starts_at=soon(50), ends_at=soon(51), contact_id=contact)
    nearest = post("createAppointment", title="Next", starts_at=soon(26), ends_at=soon(27), contact_id=contact)
    cancelled = post("createAppointment", title="Off", starts_at=soon(20), ends_at=soon(21), contact_id=contact)
    call("updateAppointment", record_id=cancelled["id"], body={"status": "cancelled"})
    for number in range(LATEST + 2):
        post(
            "createActivity", type="call", subject=f"call {number}", occurred_at=soon(-100 + number), contact_id=contact
        )

    reply = picture(contact)
    assert reply.status == 200, reply.body
    assert reply.etag == '"1"'
    view = reply.body
    assert (view["contact"]["id"], view["contact"]["first_name"]) == (contact, "Ada")
    assert view["account"] == {"id": account["id"], "name": "Acme", "domain": "acme.example"}
    assert [d["id"] for d in view["open_deals"]] == [open_deal]
    assert (view["open_deals"][0]["amount"], view["open_deals"][0]["currency"]) == ("48000.5", "EUR")
    assert view["lifetime_value"] == {"amount": "5000", "currency": "EUR"}
    assert [t["title"] for t in view["open_tasks"]] == ["Soon", "Undated"]
    assert view["next_appointment"]["id"] == nearest["id"] and view["next_appointment"]["title"] == "Next"
    assert later["id"] != nearest["id"]
    subjects = [entry["subject"] for entry in view["latest_interactions"]]
    assert subjects == [f"call {number}" for number in range(LATEST + 1, 1, -1)]
    assert view["truncated"] is False


def test_a_new_contact_has_an_empty_picture():
    contact = create("createContact", last_name="New")["id"]
    view = picture(contact).body
    assert view["account"] is None and view["lifetime_value"] is None and view["next_appointment"] is None
    assert view["open_deals"] == view["open_tasks"] == view["latest_interactions"] == []
    assert view["truncated"] is False


def test_the_account_follows_links_renames_and_unlinks(account):
    with dynamodb_requests() as requests:
        contact = create("createContact", last_name="Lovelace", account_id=account["id"])["id"]
    assert requests == ["GetItem", "GetItem", "TransactWriteItems"], "custom fields; the account, to copy its name"
    assert call("updateAccount", record_id=account["id"], body={"name": "Acme Group", "domain": None}).status == 200
    assert picture(contact).body["account"] == {"id": account["id"], "name": "Acme Group", "domain": None}
    globex = create("createAccount", name="Globex")
    call("updateContact", record_id=contact, body={"account_id": globex["id"]}, headers={"If-Match": '"1"'})
    assert picture(contact).body["account"]["name"] == "Globex"
    call("updateAccount", record_id=account["id"], body={"name": "Acme Again"}, headers={"If-Match": '"2"'})
    assert picture(contact).body["account"]["name"] == "Globex", "a rename of the old account leaves it alone"
    with dynamodb_requests() as requests:
        call("updateContact", record_id=contact, body={"job_title": "CTO"}, headers={"If-Match": '"2"'})
    assert requests == ["GetItem", "TransactWriteItems"], "no account read when the link stays (its search entries)"
    call("updateContact", record_id=contact, body={"account_id": None}, headers={"If-Match": '"3"'})
    assert picture(contact).body["account"] is None


def test_a_rename_reaches_every_contact_of_the_account(account):
    people = [create("createContact", last_name=f"P{n}", account_id=account["id"])["id"] for n in range(3)]
    call("updateAccount", record_id=account["id"], body={"name": "Renamed"})
    assert {picture(person).body["account"]["name"] for person in people} == {"Renamed"}


def test_a_contact_with_more_open_work_than_one_read_says_so():
    contact = create("createContact", last_name="Busy")["id"]
    post("createActivity", type="note", subject="hello", contact_id=contact)
    for number in range(SUMMARY_BUDGET + LATEST + 2):
        task_id = f"T{number:04}"
        stored_summary(
            CONTACT, contact, task_store.summary_sk(None, task_id), TASK, task_id,
            title="open", status="open", priority="normal",
        )  # fmt: skip
    view = picture(contact).body
    assert view["truncated"] is True
    assert view["latest_interactions"] == []
    assert len(view["open_tasks"]) == SUMMARY_BUDGET + LATEST + 1


def test_a_trashed_contact_still_has_its_picture():
    contact = create("createContact", last_name="Gone")["id"]
    call("deleteContact", record_id=contact, headers={"If-Match": None})
    view = picture(contact).body
    assert view["contact"]["deleted_at"] is not None


def test_unknown_and_other_tenants_contacts_are_404_and_identity_is_needed():
    contact = create("createContact", last_name="Mine")["id"]
    assert picture(contact, OTHER_TENANT).status == 404
    assert picture(UNKNOWN).status == 404
    assert call("getContact360", None, record_id=contact).status == 401
    assert picture(contact, SALES.as_("marketing")).status == 200


def test_the_360_shows_the_deals_area_s_real_summaries_and_lifetime_value():
    manager = Staff().as_("manager")
    stages = [
        {"name": "Qualified", "probability": 10},
        {"name": "Won", "probability": 100, "status": "won"},
    ]
    pipeline = create("createPipeline", manager, name="Sales", stages=stages)
    contact = create("createContact", last_name="Buyer")
    deal = create(
        "createDeal",
        name="Big one",
        amount="1200.50",
        close_date="2026-12-15",
        pipeline_id=pipeline["id"],
        contact_ids=[contact["id"]],
    )
    view = call("getContact360", record_id=contact["id"]).body
    assert [brief["id"] for brief in view["open_deals"]] == [deal["id"]]
    assert view["lifetime_value"] is None

    won = call("updateDeal", record_id=deal["id"], body={"stage": "Won"}, headers={"If-Match": '"1"'})
    assert won.status == 200, won.body
    view = call("getContact360", record_id=contact["id"]).body
    assert view["open_deals"] == []
    assert view["lifetime_value"] == {"amount": "1200.50", "currency": "USD"}
