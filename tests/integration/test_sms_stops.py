"""SMS STOP under moto: the numbers of SNS's opted-out list opt their contacts out of SMS (source `sms_stop`) in each
tenant that has them, once; other contacts, other channels and numbers nobody has are left alone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends
from sms_stops.handler import lambda_handler as sms_stop_sweep

from rapport import aws, sms_stops
from rapport.followups import store
from tests.integration.followups import CONTEXT
from tools.lambda_api import Staff, call, create

REGION = "eu-west-1"
AT = "2026-01-05T10:00:00Z"
IN = {"status": "opted_in", "at": AT, "source": "web_form"}
OTHER = Staff(tenant="tenant-b", user="user-9", groups=("admin",))


@pytest.fixture(autouse=True)
def _sns() -> Iterator[None]:
    aws.reset()
    yield
    aws.reset()


def stop(*numbers: str) -> None:
    """What a STOP reply does: SNS puts the number on the account's opted-out list."""
    sns_backends[DEFAULT_ACCOUNT_ID][REGION].opt_out_numbers.extend(numbers)


STAFF = Staff()


def contact(phone: str, staff: Staff = STAFF, **consent: Any) -> str:
    return str(create("createContact", staff, last_name="Rosen", phone=phone, consent=consent)["id"])


def consent_of(contact_id: str, staff: Staff = STAFF) -> dict[str, Any]:
    return dict(call("getContact", staff, record_id=contact_id).body.get("consent") or {})


def sweep() -> int:
    for tenant_id in ("tenant-a", "tenant-b"):
        store.register_tenant(tenant_id, AT)
    return int(sms_stop_sweep({"time": AT}, CONTEXT)["opted_out"])


def test_a_stop_reply_opts_the_contacts_with_that_number_out_of_sms_in_every_tenant_once():
    texted = contact("+14155550101", sms=IN, email=IN)
    elsewhere = contact("+14155550101", OTHER)
    untouched = contact("+14155550102", sms=IN)
    stop("+14155550101", "+14155550199")
    assert sweep() == 2
    assert consent_of(texted)["sms"]["status"] == "opted_out"
    assert consent_of(texted)["sms"]["source"] == "sms_stop"
    assert consent_of(texted)["email"]["status"] == "opted_in"  # only SMS
    assert consent_of(elsewhere, OTHER)["sms"]["status"] == "opted_out"
    assert consent_of(untouched)["sms"]["status"] == "opted_in"
    [latest, *_] = call("listConsentHistory", record_id=texted).body["items"]
    assert (latest["channel"], latest["status"], latest["source"], latest["recorded_by"]) == (
        "sms",
        "opted_out",
        "sms_stop",
        "sms_stop",
    )
    version = call("getContact", record_id=texted).body["version"]
    assert sweep() == 0  # nothing new: nothing written
    assert call("getContact", record_id=texted).body["version"] == version


def test_the_opted_out_list_is_read_page_after_page():
    pages: Iterator[dict[str, Any]] = iter(
        [
            {"phoneNumbers": ["+1"], "nextToken": "n1"},
            {"phoneNumbers": ["+2", "+3"], "nextToken": "n2"},
            {"phoneNumbers": []},
        ]
    )
    asked: list[dict[str, Any]] = []

    class Sns:
        def list_phone_numbers_opted_out(self, **given: Any) -> dict[str, Any]:
            asked.append(given)
            return next(pages)

    assert list(sms_stops.opted_out(Sns())) == ["+1", "+2", "+3"]
    assert asked == [{}, {"nextToken": "n1"}, {"nextToken": "n2"}]
    assert boto3.client("sns", region_name=REGION).list_phone_numbers_opted_out()["phoneNumbers"]
