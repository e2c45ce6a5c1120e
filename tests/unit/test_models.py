import pytest
from pydantic import ValidationError

from rapport.accounts.models import AccountCreate
from rapport.contacts.models import ContactCreate
from rapport.errors import dotted_path
from rapport.records import field_errors


def test_contact_fields_are_normalized():
    contact = ContactCreate(first_name=" Ada ", email="ADA@Example.com", phone="+44 20 7946 0958")
    assert (contact.first_name, contact.email, contact.phone) == ("Ada", "ada@example.com", "+442079460958")


def test_a_contact_needs_a_name():
    with pytest.raises(ValidationError, match="first_name or a last_name") as error:
        ContactCreate(email="ada@example.com")
    assert [entry.field for entry in field_errors(error.value)] == ["last_name"]


@pytest.mark.parametrize(
    ("fields", "at_fault"),
    [
        ({"email": "a@example.com", "emails": ["A@example.com"]}, "emails"),
        ({"emails": ["b@example.com", "b@example.com"]}, "emails"),
        ({"phone": "+14155550100", "phones": ["+1 415 555 0100"]}, "phones"),
    ],
)
def test_additional_emails_and_phones_may_not_repeat(fields, at_fault):
    with pytest.raises(ValidationError, match="repeats") as error:
        ContactCreate(last_name="L", **fields)
    assert [entry.field for entry in field_errors(error.value)] == [at_fault]


def test_field_errors_name_each_field_at_fault():
    with pytest.raises(ValidationError) as error:
        AccountCreate.model_validate({"name": "", "domain": "nope", "tags": ["x", "x"], "address": {"country": "gb"}})
    fields = {entry.field for entry in field_errors(error.value)}
    assert fields == {"name", "domain", "tags", "address.country"}


def test_dotted_paths():
    assert dotted_path(("emails", 1)) == "emails[1]"
    assert dotted_path(("address", "country")) == "address.country"
    assert dotted_path(()) == ""
