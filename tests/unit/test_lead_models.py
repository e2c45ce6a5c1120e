from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from rapport.leads.models import LeadCreate, LeadPatch, LeadStatus, LeadStored, PublicLeadCreate


def _errors(model: type[BaseModel], data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationError) as error:
        model.model_validate(data)
    return {".".join(str(part) for part in entry["loc"]): entry["msg"] for entry in error.value.errors()}


def test_a_new_lead_is_new_with_a_normalized_email():
    lead = LeadCreate.model_validate({"email": " Ada@Example.COM "})
    assert (lead.status, lead.email) == (LeadStatus.NEW, "ada@example.com")


def test_a_lead_needs_an_email_or_a_name():
    assert "email" in _errors(LeadCreate, {"company": "Acme"})
    assert LeadCreate.model_validate({"last_name": "Lovelace"})


@pytest.mark.parametrize("field", ["score", "score_reasons", "engagement", "converted"])
@pytest.mark.parametrize("model", [LeadCreate, LeadPatch])
def test_computed_fields_are_refused_by_name(model, field):
    errors = _errors(model, {"last_name": "x", field: 50})
    assert list(errors) == [field]
    assert "cannot be set" in errors[field] or "converting" in errors[field]


@pytest.mark.parametrize("model", [LeadCreate, LeadPatch])
def test_converted_is_reached_only_by_converting(model):
    assert "converting" in _errors(model, {"last_name": "x", "status": "converted"})["status"]


def test_a_disqualified_lead_needs_its_reason_and_only_it_has_one():
    assert "required" in _errors(LeadCreate, {"last_name": "x", "status": "disqualified"})["disqualified_reason"]
    assert "only" in _errors(LeadCreate, {"last_name": "x", "disqualified_reason": "no budget"})["disqualified_reason"]
    lead = LeadCreate.model_validate({"last_name": "x", "status": "disqualified", "disqualified_reason": "no budget"})
    assert lead.disqualified_reason == "no budget"


def test_the_stored_lead_keeps_what_the_service_computed():
    stored = LeadStored.model_validate({"email": "a@b.co", "status": "converted", "score": 70})
    assert (stored.status, stored.score) == (LeadStatus.CONVERTED, 70)


def test_a_public_submission_needs_an_email_and_its_consent_and_takes_the_forms_defaults():
    errors = _errors(PublicLeadCreate, {"first_name": "Ada"})
    assert {"email", "consent"} <= set(errors)
    assert "owner_id" in _errors(
        PublicLeadCreate,
        {
            "email": "a@b.co",
            "owner_id": "x",
            "consent": {"email": {"status": "opted_in", "at": "2026-11-01T09:00:00Z"}},
        },
    )
    submission = PublicLeadCreate.model_validate(
        {"email": "a@b.co", "consent": {"email": {"status": "opted_in", "at": "2026-11-01T09:00:00Z"}}}
    )
    fields = submission.lead_fields("form-1", {"source": "web_form", "owner_id": "ann", "campaign_id": None})
    assert fields == {
        "source": "web_form",
        "owner_id": "ann",
        "email": "a@b.co",
        "consent": {"email": {"status": "opted_in", "at": "2026-11-01T09:00:00Z", "source": "web_form:form-1"}},
    }


def test_public_consent_needs_a_time_zone():
    errors = _errors(
        PublicLeadCreate, {"email": "a@b.co", "consent": {"email": {"status": "opted_in", "at": "2026-11-01T09:00:00"}}}
    )
    assert "consent.email.at" in errors
