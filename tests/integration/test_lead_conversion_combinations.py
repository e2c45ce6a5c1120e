"""POST /leads/{id}/convert in every combination a user makes, and every read agreeing afterwards.

The product of: where the account comes from (none, `account_id`, the email's domain, the existing contact's,
made from `company`, or `create_account: false`), where the contact comes from (new, the one holding the lead's
email, `contact_id`), a deal or none, interactions to carry or none, and existing records with their fields
empty or filled. Each conversion answers 200, and then the lead, the contact, its 360 view and timeline, the
account's contacts and the deal all say the same thing.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pytest

from tools.lambda_api import Staff, call, create

REP = Staff(user="rep-1")
MANAGER = REP.as_("manager")
NO_KEY: dict[str, str | None] = {"Idempotency-Key": None}
LEAD = {
    "first_name": "Ada", "last_name": "Lovelace", "email": "ada@acme.example", "title": "CTO",
    "phone": "+44 20 7946 0958", "country": "GB", "industry": "Engineering", "company_size": "51-200",
    "owner_id": REP.user,
}  # fmt: skip
FILLED_ACCOUNT = {"industry": "Chemicals", "size": "201-1000"}
FILLED_CONTACT = {"first_name": "Augusta", "job_title": "Countess", "phone": "+44 20 7946 0001"}
SUBJECTS = ["Webinar", "Pricing page"]

ACCOUNTS = ("none", "account_id", "domain", "contact's", "company", "no create_account")
CONTACTS = ("new", "by email", "contact_id")


@dataclass(frozen=True)
class Case:
    account: str
    contact: str
    deal: bool
    interactions: bool
    filled: bool

    @property
    def id(self) -> str:
        parts = [f"account:{self.account}", f"contact:{self.contact}", "deal" if self.deal else "no deal"]
        parts += ["interactions" if self.interactions else "no interactions", "filled" if self.filled else "empty"]
        return "|".join(parts)


CASES = [
    Case(*combination)
    for combination in itertools.product(ACCOUNTS, CONTACTS, (False, True), (False, True), (False, True))
    if not (combination[0] == "contact's" and combination[1] == "new")  # a new contact has no account yet
]


@dataclass
class Scenario:
    lead_id: str
    body: dict[str, Any]
    account: dict[str, Any] | None = None  # the existing account the conversion should link
    contact: dict[str, Any] | None = None  # the existing contact the conversion should link


def arrange(case: Case, pipeline_id: str) -> Scenario:
    makes_account = case.account in ("company", "no create_account")
    lead = create("createLead", REP, **LEAD, **({"company": "Acme Ltd"} if makes_account else {}))
    scenario = Scenario(lead["id"], {})
    if case.account in ("account_id", "domain", "contact's"):
        # Found by the domain only when that is the case under test: the others are at another domain.
        domain = "acme.example" if case.account == "domain" else "acme-group.example"
        fields = FILLED_ACCOUNT if case.filled else {}
        scenario.account = create("createAccount", REP, name="Acme Group", domain=domain, owner_id=REP.user, **fields)
    if case.contact != "new":
        # A contact holding the lead's email is made after the lead, which it would otherwise refuse as a duplicate.
        email = LEAD["email"] if case.contact == "by email" else "augusta@elsewhere.example"
        fields = FILLED_CONTACT if case.filled else {}
        linked = case.account == "contact's" or (case.account == "account_id" and case.filled)
        account_id = scenario.account["id"] if linked and scenario.account else None
        scenario.contact = create(
            "createContact", REP, last_name="King", email=email, account_id=account_id, owner_id=REP.user, **fields
        )
    for subject in SUBJECTS if case.interactions else []:
        create("createActivity", REP, type="call", subject=subject, lead_id=lead["id"])
    if case.account == "account_id":
        scenario.body["account_id"] = scenario.account and scenario.account["id"]
    if case.contact == "contact_id":
        scenario.body["contact_id"] = scenario.contact and scenario.contact["id"]
    if case.account == "no create_account":
        scenario.body["create_account"] = False
    if case.deal:
        scenario.body["deal"] = {
            "name": "First order", "amount": "12000.00", "pipeline_id": pipeline_id, "close_date": "2026-12-20",
        }  # fmt: skip
    return scenario


@pytest.fixture
def pipeline_id() -> str:
    stages = [{"name": "Qualified", "probability": 20}, {"name": "Won", "probability": 100, "status": "won"}]
    return str(create("createPipeline", MANAGER, name="New business", stages=stages)["id"])


def read(operation: str, record_id: str) -> Any:
    reply = call(operation, REP, record_id=record_id)
    assert reply.status == 200, (operation, reply.body)
    return reply.body


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_every_combination_converts_and_every_read_agrees(case: Case, pipeline_id: str) -> None:
    scenario = arrange(case, pipeline_id)
    reply = call("convertLead", REP, record_id=scenario.lead_id, body=scenario.body, headers=NO_KEY)
    assert reply.status == 200, reply.body
    result = reply.body

    expected_created = {"contact"} if case.contact == "new" else set()
    expected_created |= {"account"} if case.account == "company" else set()
    expected_created |= {"deal"} if case.deal else set()
    assert set(result["created"]) == expected_created
    assert result["interactions_carried"] == (len(SUBJECTS) if case.interactions else 0)
    if scenario.contact is not None:
        assert result["contact_id"] == scenario.contact["id"]
    account_id = result["account_id"]
    if case.account in ("none", "no create_account"):
        assert account_id is None
    elif scenario.account is not None:
        assert account_id == scenario.account["id"]

    lead = read("getLead", scenario.lead_id)
    assert lead["status"] == "converted"
    links = {name: lead["converted"][name] for name in ("contact_id", "account_id", "deal_id")}
    assert links == {name: result[name] for name in ("contact_id", "account_id", "deal_id")}

    contact = read("getContact", result["contact_id"])
    assert contact["account_id"] == account_id
    assert_contact_fields(case, contact)
    view = read("getContact360", result["contact_id"])
    assert (view["account"] or {}).get("id") == account_id
    assert [deal["id"] for deal in view["open_deals"]] == ([result["deal_id"]] if case.deal else [])
    timeline = read("listContactTimeline", result["contact_id"])["items"]
    assert sorted(item["subject"] for item in timeline) == (sorted(SUBJECTS) if case.interactions else [])

    if account_id is not None:
        account = read("getAccount", account_id)
        assert_account_fields(case, account)
        assert result["contact_id"] in [item["id"] for item in read("listAccountContacts", account_id)["items"]]
    if case.deal:
        deal = read("getDeal", result["deal_id"])
        assert (deal["account_id"], deal["contact_ids"]) == (account_id, [result["contact_id"]])
        assert deal["owner_id"] == REP.user

    again = call("convertLead", REP, record_id=scenario.lead_id, body=scenario.body, headers=NO_KEY)
    assert again.status == 409
    assert again.body["existing"] == {"type": "contact", "id": result["contact_id"]}


def assert_contact_fields(case: Case, contact: dict[str, Any]) -> None:
    """A new contact is the lead's; an existing one keeps what it had and only gains what it lacked."""
    if case.contact == "new":
        expected = {"first_name": "Ada", "last_name": "Lovelace", "job_title": "CTO", "phone": "+442079460958"}
    elif case.filled:
        expected = {"first_name": "Augusta", "last_name": "King", "job_title": "Countess", "phone": "+442079460001"}
    else:
        expected = {"first_name": "Ada", "last_name": "King", "job_title": "CTO", "phone": "+442079460958"}
    assert {name: contact.get(name) for name in expected} == expected


def assert_account_fields(case: Case, account: dict[str, Any]) -> None:
    if case.account == "company":
        expected = {"name": "Acme Ltd", "domain": "acme.example", "industry": "Engineering", "size": "51-200"}
    elif case.filled:
        expected = {"name": "Acme Group", **FILLED_ACCOUNT}
    else:
        expected = {"name": "Acme Group", "industry": "Engineering", "size": "51-200"}
    assert {name: account.get(name) for name in expected} == expected
