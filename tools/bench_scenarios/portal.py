"""The customer portal's scenario for `make bench` (tools.bench_scenarios): a customer's profile, consent, cases,
conversation, appointments and articles: each read one request, each list two (the customer's contact first); the
knowledge base's first page, with an article linked to their case, four (the linked articles and their state, then
the search and what of it is linked)."""

from __future__ import annotations

from tools.bench_scenarios import Operation
from tools.lambda_api import Customer, Staff, call, create

NO_KEY: dict[str, str | None] = {"Idempotency-Key": None}


def operations(account_id: str) -> list[Operation]:
    admin = Staff(groups=("admin",))
    contact = create("createContact", admin, last_name="Portal", email="portal@bench.example", account_id=account_id)
    customer = Customer(tenant=admin.tenant, contact=contact["id"])
    case = create("createCase", admin, subject="Where is my parcel?", contact_id=contact["id"])
    call("addCaseMessage", admin, record_id=case["id"], body={"body": "On its way.", "visibility": "public"})
    article = create(
        "createArticle",
        admin,
        title="Tracking a parcel",
        body="Follow the link.",
        visibility="public",
        status="published",
    )
    call("linkCaseArticle", admin, record_id=case["id"], body={"article_id": article["id"]})
    create("createArticle", admin, title="Parcel sizes", body="Up to 30 kg.", visibility="public", status="published")
    case_path = {"record_id": case["id"]}
    return [
        ("GET /portal/me", lambda: call("getPortalProfile", customer)),
        ("GET /portal/me/consent", lambda: call("getPortalConsent", customer)),
        ("GET /portal/cases", lambda: call("listPortalCases", customer)),
        ("GET /portal/cases/{id}", lambda: call("getPortalCase", customer, path=case_path)),
        ("GET /portal/cases/{id}/messages", lambda: call("listPortalCaseMessages", customer, path=case_path)),
        (
            "POST /portal/cases/{id}/messages",
            lambda: call("addPortalCaseMessage", customer, path=case_path, body={"body": "Thanks"}, headers=NO_KEY),
        ),
        ("POST /portal/cases", lambda: call("createPortalCase", customer, body={"subject": "Help"}, headers=NO_KEY)),
        ("GET /portal/appointments", lambda: call("listPortalAppointments", customer)),
        ("GET /portal/kb/articles?q=", lambda: call("listPortalArticles", customer, query={"q": "parcel"})),
    ]
