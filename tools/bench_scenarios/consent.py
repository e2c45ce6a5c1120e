"""The consent scenario for `make bench` (tools.bench_scenarios): the marketing settings, a contact's consent
changes and its history."""

from __future__ import annotations

from rapport.consent import links
from tools.bench_scenarios import Operation, save_marketing_settings
from tools.lambda_api import Staff, call, create

AT = "2026-01-05T10:00:00Z"


def operations(account_id: str) -> list[Operation]:
    save_marketing_settings()
    consent = {"email": {"status": "opted_in", "at": AT, "source": "web_form"}}
    contact = create("createContact", last_name="Consent", account_id=account_id, consent=consent)["id"]
    subscribe = {"channel": "email", "topic": "newsletter", "status": "opted_in", "source": "web_form"}
    opt_out = {"channel": "sms", "status": "opted_out", "source": "sms_stop"}
    link = {"token": links.token(links.Link(links.Purpose.UNSUBSCRIBE, Staff().tenant, contact, "email", "offers"))}
    form: dict[str, str | None] = {"Content-Type": "application/x-www-form-urlencoded"}
    return [
        ("GET /marketing-settings", lambda: call("getMarketingSettings")),
        ("PUT /contacts/{id}/consent (a topic)", lambda: call("putContactConsent", record_id=contact, body=subscribe)),
        ("PUT /contacts/{id}/consent (a channel)", lambda: call("putContactConsent", record_id=contact, body=opt_out)),
        ("GET /contacts/{id}/consent-history", lambda: call("listConsentHistory", record_id=contact)),
        ("GET /public/preferences/{token}", lambda: call("getPreferencesPage", None, path=link)),
        (
            "POST /public/unsubscribe/{token} (one-click)",
            lambda: call("unsubscribe", None, path=link, body="List-Unsubscribe=One-Click", headers=form),
        ),
    ]
