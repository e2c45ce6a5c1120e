"""Property: whatever path wrote a record (create, patch of each searchable field, trash, restore, erase, a lead's
conversion), it is found by exactly the lookups that should find it, and by no other."""

import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tools.lambda_api import Staff, call, create

EMAILS = ["ada@x.example", "bob@x.example", "cy@x.example"]
PHONES = ["+14155550100", "+14155550101"]
TAGS = ["VIP", "renewal"]
OWNERS = ["ann", "bob"]
FIRST, LAST = ["Zoë", "Ann-Marie", "Al"], ["Rosen", "O'Neil", "Alder"]
PROBES = ["zoe", "ann", "marie", "annmarie", "al", "ros", "oneil", "neil", "alder"]
UNCONDITIONAL: dict[str, str | None] = {"If-Match": None}


@st.composite
def contact_fields(draw: Any) -> dict[str, Any]:
    emails = draw(st.lists(st.sampled_from(EMAILS), unique=True, max_size=3))
    phones = draw(st.lists(st.sampled_from(PHONES), unique=True, max_size=2))
    return {
        "first_name": draw(st.sampled_from(FIRST)),
        "last_name": draw(st.sampled_from(LAST)),
        "email": emails[0] if emails else None,
        "emails": emails[1:],
        "phone": phones[0] if phones else None,
        "phones": phones[1:],
        "tags": draw(st.lists(st.sampled_from(TAGS), unique=True)),
        "owner_id": draw(st.sampled_from([None, *OWNERS])),
    }


OPERATIONS = st.one_of(
    contact_fields().map(lambda fields: ("patch", fields)),
    st.sampled_from([("trash", None), ("restore", None), ("erase", None)]),
)


def expected_lookups(fields: dict[str, Any] | None) -> set[tuple[str, str]]:
    """Which lookups of the universe should find a contact in this state (None: trashed or erased)."""
    if fields is None:
        return set()
    found = {("email", email) for email in [fields["email"], *fields["emails"]] if email}
    found |= {("phone", phone) for phone in [fields["phone"], *fields["phones"]] if phone}
    found |= {("tag", tag.lower()) for tag in fields["tags"]}
    found |= {("owner_id", fields["owner_id"])} if fields["owner_id"] else set()
    name = f"{fields['first_name']} {fields['last_name']}".lower().replace("ë", "e")
    words = name.replace("-", " ").replace("'", " ").split() + [
        part.replace("-", "").replace("'", "") for part in name.split() if "-" in part or "'" in part
    ]
    found |= {("q", probe) for probe in PROBES if any(word.startswith(probe) for word in words)}
    return found


def lookups_finding(staff: Staff, operation: str, record_id: str, universe: list[tuple[str, str]]) -> set[Any]:
    return {
        (name, value)
        for name, value in universe
        if record_id in [item["id"] for item in call(operation, staff, query={name: value}).body["items"]]
    }


CONTACT_UNIVERSE = (
    [("email", email) for email in EMAILS]
    + [("phone", phone) for phone in PHONES]
    + [("tag", tag.lower()) for tag in TAGS]
    + [("owner_id", owner) for owner in OWNERS]
    + [("q", probe) for probe in PROBES]
)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(contact_fields(), st.lists(OPERATIONS, max_size=5))
def test_a_contact_is_found_by_exactly_the_lookups_its_state_calls_for(first, operations):
    staff = Staff(tenant=f"t-{uuid.uuid4().hex[:8]}", groups=("admin",))
    contact = create("createContact", staff, **{name: value for name, value in first.items() if value is not None})
    state: dict[str, Any] | None = first
    trashed, erased = False, False
    for operation, fields in operations:
        if erased:
            break
        if operation == "patch" and not trashed:
            reply = call("updateContact", staff, record_id=contact["id"], body=fields, headers=UNCONDITIONAL)
            assert reply.status == 428 or reply.status == 200, reply.body
            if reply.status == 428:
                version = call("getContact", staff, record_id=contact["id"]).etag
                reply = call(
                    "updateContact", staff, record_id=contact["id"], body=fields, headers={"If-Match": version}
                )
            assert reply.status == 200, reply.body
            state = fields
        elif operation == "trash":
            assert call("deleteContact", staff, record_id=contact["id"], headers=UNCONDITIONAL).status == 204
            trashed = True
        elif operation == "restore" and trashed:
            assert call("restoreContact", staff, record_id=contact["id"], headers=UNCONDITIONAL).status == 200
            trashed = False
        elif operation == "erase":
            erase = {"permanent": "true"}
            assert (
                call("deleteContact", staff, record_id=contact["id"], query=erase, headers=UNCONDITIONAL).status == 204
            )
            erased = True
        live = None if trashed or erased else state
        assert lookups_finding(staff, "listContacts", contact["id"], CONTACT_UNIVERSE) == expected_lookups(live)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.sampled_from(FIRST),
    st.sampled_from(LAST),
    st.sampled_from(["Rosen Labs", "Alder & Co"]),
    st.sampled_from(EMAILS),
    st.booleans(),
)
def test_a_converted_lead_and_its_contact_are_each_found_by_their_own_lookups(first, last, company, email, trash_first):
    staff = Staff(tenant=f"t-{uuid.uuid4().hex[:8]}", groups=("admin",))
    lead = create("createLead", staff, first_name=first, last_name=last, company=company, email=email)
    if trash_first:
        call("deleteLead", staff, record_id=lead["id"], headers=UNCONDITIONAL)
        call("restoreLead", staff, record_id=lead["id"], headers=UNCONDITIONAL)
    conversion = call("convertLead", staff, record_id=lead["id"], body={}, headers={"Idempotency-Key": None})
    assert conversion.status == 200, conversion.body
    contact_id = conversion.body["contact_id"]
    words = {word for word in PROBES if any(part.startswith(word) for part in _words(f"{first} {last} {company}"))}
    lead_universe = [("email", address) for address in EMAILS] + [("q", probe) for probe in PROBES]
    assert lookups_finding(staff, "listLeads", lead["id"], lead_universe) == {("email", email)} | {
        ("q", word) for word in words
    }
    contact_words = {word for word in PROBES if any(part.startswith(word) for part in _words(f"{first} {last}"))}
    contact_universe = [("email", address) for address in EMAILS] + [("q", probe) for probe in PROBES]
    assert lookups_finding(staff, "listContacts", contact_id, contact_universe) == {("email", email)} | {
        ("q", word) for word in contact_words
    }
    account_id = conversion.body["account_id"]
    account_words = {word for word in PROBES if any(part.startswith(word) for part in _words(company))}
    assert lookups_finding(staff, "listAccounts", account_id, [("q", probe) for probe in PROBES]) == {
        ("q", word) for word in account_words
    }


def _words(name: str) -> list[str]:
    lowered = name.lower().replace("ë", "e").replace("&", " ")
    parts = lowered.split()
    return [*lowered.replace("-", " ").replace("'", " ").split()] + [
        part.replace("-", "").replace("'", "") for part in parts if "-" in part or "'" in part
    ]
