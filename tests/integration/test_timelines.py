"""Every kind of timeline entry that any write path stores is readable by every read path: the 360 view, the
timelines of the records it concerns (an account's rolling up its contacts' and deals'), and a lead's conversion.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import count
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.contacts.manifest import CONTACT
from rapport.dal import keys, repository
from rapport.dal.repository import Parent, UnitOfWork
from rapport.leads.manifest import LEAD
from rapport.leads.models import PublicLeadCreate
from rapport.leads.service import leads
from rapport.notifications.notifier import notify
from rapport.notifications.requests import NotificationRequest
from rapport.timeline.models import ActivityType
from rapport.web_forms.store import WebFormKey
from tests.integration.sales import move as move_deal
from tests.integration.sales import pipeline
from tools.lambda_api import Staff, call, create

SALES = Staff()
CONSENT = {"status": "opted_in", "at": "2026-01-05T10:00:00Z", "source": "web_form"}
NUMBERS = count()
LINKS = ("contact_id", "account_id", "lead_id", "deal_id")
NO_KEY: dict[str, str | None] = {"Idempotency-Key": None}


class Outbox:
    """The notifier's transport: accepts every message."""

    def send_email(self, to: str, subject: str, text: str, html: str | None, tags: Any, headers: Any) -> str:
        return f"email-{next(NUMBERS)}"

    def send_sms(self, to: str, text: str) -> str:
        return f"sms-{next(NUMBERS)}"


def entries(kind: str, record_id: str) -> list[dict[str, Any]]:
    """A record's whole timeline, every page, newest first."""
    seen, cursor = [], None
    while True:
        query = {"limit": "7", **({"cursor": cursor} if cursor else {})}
        reply = call(f"list{kind}Timeline", record_id=record_id, query=query)
        assert reply.status == 200, reply.body
        seen += reply.body["items"]
        cursor = reply.body["next_cursor"]
        if cursor is None:
            return seen


def ids(kind: str, record_id: str) -> list[str]:
    return [entry["id"] for entry in entries(kind, record_id)]


class World:
    """An account with a contact and a deal, and an open lead: what the write paths write about."""

    def __init__(self, pipeline_id: str) -> None:
        n = next(NUMBERS)
        self.account = create("createAccount", name=f"Acme {n}")["id"]
        self.contact_email, self.lead_email = f"c{n}@acme.example", f"l{n}@lead.example"
        self.contact = create(
            "createContact",
            last_name="Lovelace",
            email=self.contact_email,
            phone=f"+1415555{n:04d}",
            account_id=self.account,
            consent={"email": CONSENT, "sms": CONSENT},
        )["id"]
        self.lead = create("createLead", last_name="Babbage", email=self.lead_email)["id"]
        deal = create(
            "createDeal",
            name=f"Deal {n}",
            amount="100.00",
            pipeline_id=pipeline_id,
            close_date="2026-12-20",
            account_id=self.account,
            contact_ids=[self.contact],
        )
        self.deal = deal
        self.expected: dict[tuple[str, str], set[str]] = defaultdict(set)
        for timeline in self.timelines_of(deal_id=deal["id"]):
            self.expected[timeline] |= set(ids(*timeline))  # the deal's first stage

    def record(self, field: str) -> str:
        records = {"contact_id": self.contact, "account_id": self.account, "lead_id": self.lead}
        return records.get(field) or str(self.deal["id"])

    def timelines_of(self, **linked: str) -> set[tuple[str, str]]:
        owners = {(field.removesuffix("_id").capitalize(), record_id) for field, record_id in linked.items()}
        if "contact_id" in linked or "deal_id" in linked:
            owners.add(("Account", self.account))
        return owners

    def new_entry(self, timeline: tuple[str, str]) -> str:
        [new] = set(ids(*timeline)) - self.expected[timeline]
        return new

    def wrote(self, entry_id: str, timelines: set[tuple[str, str]]) -> None:
        for timeline in timelines:
            self.expected[timeline].add(entry_id)

    def log(self, type_: ActivityType, fields: frozenset[str]) -> None:
        linked = {field: self.record(field) for field in fields}
        activity = create("createActivity", SALES, type=type_, **linked)
        self.wrote(activity["id"], self.timelines_of(**linked))

    def attach(self, channel: str, target: str) -> None:
        email = self.contact_email if target == "contact_id" else self.lead_email
        linked = {target: self.record(target)}
        if channel == "api":
            reply = call("createLead", body={"email": email}, query={"on_duplicate": "attach"}, headers=NO_KEY)
            assert reply.status == 200, reply.body
            entry_id = reply.body["interaction_id"]
        else:
            form = WebFormKey("key", SALES.tenant, "form-1", {})
            consent = {"email": {"status": "opted_in", "at": "2026-01-05T10:00:00Z"}}
            leads.submit(form, PublicLeadCreate.model_validate({"email": email, "consent": consent}))
            entry_id = self.new_entry(next(iter(self.timelines_of(**linked) - {("Account", self.account)})))
        self.wrote(entry_id, self.timelines_of(**linked))

    def notify(self, channel: str) -> None:
        request = NotificationRequest.model_validate(
            {
                "tenant_id": SALES.tenant,
                "recipient": {"type": "contact", "id": self.contact},
                "template": "appointment_reminder",
                "context": {"appointment": {"title": "Demo", "starts_at": "2026-11-23T14:00:00Z"}},
                "channel": channel,
                "dedupe_key": f"dedupe-{next(NUMBERS)}",
            }
        )
        [outcome] = notify(request, Outbox(), app_url="http://localhost:3000/app")
        assert outcome.status == "sent", outcome
        self.wrote(self.new_entry(("Contact", self.contact)), self.timelines_of(contact_id=self.contact))

    def move(self, stage: str) -> None:
        current = call("getDeal", record_id=self.deal["id"])  # activities on it touch it
        if stage == current.body["stage"]:
            return
        self.deal = move_deal(current.body, stage)
        self.wrote(self.new_entry(("Deal", self.deal["id"])), self.timelines_of(deal_id=self.deal["id"]))

    def check(self) -> None:
        """Each timeline holds exactly what was written to it; the 360 view shows the contact's latest."""
        for timeline, expected in self.expected.items():
            assert set(ids(*timeline)) == expected, timeline
        view = call("getContact360", record_id=self.contact)
        assert view.status == 200, view.body
        latest = [entry["id"] for entry in view.body["latest_interactions"]]
        assert latest == ids("Contact", self.contact)[:10]


WRITES = st.one_of(
    st.tuples(st.just("log"), st.sampled_from(list(ActivityType)), st.frozensets(st.sampled_from(LINKS), min_size=1)),
    st.tuples(st.just("attach"), st.sampled_from(["api", "web_form"]), st.sampled_from(["contact_id", "lead_id"])),
    st.tuples(st.just("notify"), st.sampled_from(["email", "sms"])),
    st.tuples(st.just("move"), st.sampled_from(["Qualified", "Demo", "Proposal"])),
)


@pytest.fixture
def pipeline_id() -> str:
    return str(pipeline()["id"])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(WRITES, min_size=1, max_size=6), st.sampled_from([None, "new contact", "existing contact"]))
def test_every_entry_any_write_path_stores_is_readable_wherever_it_belongs(pipeline_id, writes, conversion):
    world = World(pipeline_id)
    for operation, *arguments in writes:
        getattr(world, operation)(*arguments)
    world.check()
    if conversion is None:
        return
    lead_entries = ids("Lead", world.lead)
    body = {"contact_id": world.contact} if conversion == "existing contact" else {}
    reply = call("convertLead", record_id=world.lead, body=body, headers=NO_KEY)
    assert reply.status == 200, reply.body
    assert reply.body["interactions_carried"] == len(lead_entries)
    contact = reply.body["contact_id"]
    shown = ids("Contact", contact)
    if conversion == "new contact":
        assert shown == lead_entries, "what conversion says it carried is what the contact's timeline shows"
    else:
        assert set(shown) == world.expected[("Contact", contact)] | set(lead_entries)
        assert set(ids("Account", world.account)) >= set(lead_entries), "and its account's"
    assert call("getContact360", record_id=contact).status == 200


def _stored_before_entries_had_kinds(contact_id: str, lead_id: str) -> None:
    """What the writers stored before timeline entries had one model: a lead submission (kind `interaction`, on
    the contact and on the lead), a message sent (kind ACT, with its template) and an activity (kind ACT)."""
    submission = {
        "type": "lead_submission",
        "at": "2026-11-20T14:30:00.123Z",
        "by": "web-form:form-1",
        "channel": "web_form",
        "submitted": {"email": "ada@acme.example", "notes": "again"},
    }
    message = {
        "type": "email",
        "direction": "outbound",
        "occurred_at": "2026-11-21T09:00:00.456Z",
        "subject": "Reminder",
        "excerpt": "See you",
        "created_by": "notifier",
        "contact_id": contact_id,
        "template": "appointment_reminder",
    }
    work = UnitOfWork()
    for owner, kind, entry_id, data in (
        (Parent(CONTACT, contact_id), "interaction", "01JD5Y7M7ZV1W4T5C9H2K3N4P1", submission),
        (Parent(LEAD, lead_id), "interaction", "01JD5Y7M7ZV1W4T5C9H2K3N4P2", submission),
        (Parent(CONTACT, contact_id), "ACT", "01JDAXQYW0Q1W4T5C9H2K3N4P3", message),
    ):
        partition = keys.record_pk(SALES.tenant, owner.kind, owner.id)
        sort_key = f"{keys.INTERACTION_PREFIX}{entry_id}"  # any key in the range: they sort by it
        work.put_item(repository.summary_item(SALES.tenant, partition, sort_key, kind, entry_id, data))
    work.commit()


def test_entries_stored_before_they_had_kinds_read_everywhere():
    contact = create("createContact", last_name="Lovelace")["id"]
    lead = create("createLead", last_name="Babbage", email="ada@old.example")["id"]
    _stored_before_entries_had_kinds(contact, lead)
    view = call("getContact360", record_id=contact)
    assert view.status == 200, view.body
    kinds = sorted(entry["kind"] for entry in view.body["latest_interactions"])
    assert kinds == ["lead_submission", "notification"]
    [submission] = entries("Lead", lead)
    assert (submission["kind"], submission["channel"], submission["created_by"]) == (
        "lead_submission",
        "web_form",
        "web-form:form-1",
    )
    assert submission["occurred_at"] == "2026-11-20T14:30:00Z"
    converted = call("convertLead", record_id=lead, body={}, headers=NO_KEY)
    assert converted.body["interactions_carried"] == 1
    assert ids("Contact", converted.body["contact_id"]) == [submission["id"]]


def test_an_attached_submission_is_in_the_360_view_and_in_both_timelines():
    """POST /leads?on_duplicate=attach and a web form's submission of a known email: the 360 view was a 500."""
    account = create("createAccount", name="Acme")["id"]
    contact = create("createContact", last_name="Lovelace", email="ada@acme.example", account_id=account)["id"]
    lead = create("createLead", last_name="Babbage", email="charles@acme.example")["id"]
    for email in ("ada@acme.example", "charles@acme.example"):
        assert call("createLead", body={"email": email}, query={"on_duplicate": "attach"}, headers=NO_KEY).status == 200
    consent = {"email": {"status": "opted_in", "at": "2026-01-05T10:00:00Z"}}
    leads.submit(
        WebFormKey("key", SALES.tenant, "form-1", {}),
        PublicLeadCreate.model_validate({"email": "ada@acme.example", "consent": consent}),
    )
    view = call("getContact360", record_id=contact)
    assert view.status == 200, view.body
    assert sorted(entry["channel"] for entry in view.body["latest_interactions"]) == ["api", "web_form"]
    assert [entry["kind"] for entry in entries("Contact", contact)] == ["lead_submission"] * 2
    assert [entry["kind"] for entry in entries("Account", account)] == ["lead_submission"] * 2
    [on_lead] = entries("Lead", lead)
    assert (on_lead["kind"], on_lead["lead_id"]) == ("lead_submission", lead)
    create("createActivity", type="call", lead_id=lead)
    converted = call("convertLead", record_id=lead, body={}, headers=NO_KEY)
    assert converted.body["interactions_carried"] == 2
    assert len(entries("Contact", converted.body["contact_id"])) == 2
