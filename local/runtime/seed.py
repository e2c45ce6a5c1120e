"""The demo tenant: a handful of realistic accounts and their contacts, created through the API like any client.

Each create carries an Idempotency-Key, so a seed that was interrupted and runs again creates nothing twice.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from typing import Any

from local.runtime.tokens import TokenIssuer

log = logging.getLogger("rapport.local")
TENANT = "demo"
SEED_USER = "demo-admin"

ACCOUNTS: list[dict[str, Any]] = [
    {
        "name": "Northwind Traders",
        "domain": "northwind.example",
        "industry": "Wholesale",
        "size": "51-200",
        "address": {"line1": "12 Fenchurch Street", "city": "London", "postal_code": "EC3M 3BY", "country": "GB"},
        "tags": ["key-account"],
    },
    {
        "name": "Globex Corporation",
        "domain": "globex.example",
        "industry": "Manufacturing",
        "size": "1001-5000",
        "address": {"line1": "1 Globex Way", "city": "Springfield", "region": "OR", "country": "US"},
        "tags": ["enterprise", "renewal-q3"],
    },
    {
        "name": "Initech",
        "domain": "initech.example",
        "industry": "Software",
        "size": "201-1000",
        "address": {"line1": "4120 Freidrich Lane", "city": "Austin", "region": "TX", "country": "US"},
    },
    {
        "name": "Umbrella Health",
        "domain": "umbrella-health.example",
        "industry": "Healthcare",
        "size": "5001+",
        "address": {"line1": "Friedrichstraße 80", "city": "Berlin", "postal_code": "10117", "country": "DE"},
        "tags": ["prospect"],
    },
    {
        "name": "Stark Logistics",
        "domain": "starklogistics.example",
        "industry": "Logistics",
        "size": "201-1000",
        "address": {"line1": "Wilhelminakade 91", "city": "Rotterdam", "country": "NL"},
    },
    {
        "name": "Wayne Hospitality",
        "domain": "waynehospitality.example",
        "industry": "Hospitality",
        "size": "51-200",
        "address": {"line1": "27 Merrion Square", "city": "Dublin", "country": "IE"},
        "tags": ["smb"],
    },
]

# (account index, first name, last name, job title, phone, tags)
CONTACTS: list[tuple[int, str, str, str, str, list[str]]] = [
    (0, "Margaret", "Peacock", "Head of Purchasing", "+44 20 7946 0101", ["decision-maker"]),
    (0, "Andrew", "Fuller", "VP Sales", "+44 20 7946 0102", []),
    (0, "Janet", "Leverling", "Sales Representative", "+44 20 7946 0103", []),
    (1, "Hank", "Scorpio", "Chief Executive Officer", "+1 415 555 0110", ["decision-maker", "vip"]),
    (1, "Frank", "Grimes", "Safety Inspector", "+1 415 555 0111", []),
    (2, "Bill", "Lumbergh", "Division Vice President", "+1 512 555 0120", ["decision-maker"]),
    (2, "Peter", "Gibbons", "Software Engineer", "+1 512 555 0121", ["champion"]),
    (2, "Joanna", "Kowalski", "Office Manager", "+1 512 555 0122", []),
    (3, "Alice", "Abernathy", "Chief Medical Officer", "+49 30 901820 11", ["decision-maker"]),
    (3, "Jörg", "Weiß", "IT Procurement Lead", "+49 30 901820 12", []),
    (4, "Pepper", "Potts", "Chief Operating Officer", "+31 10 555 0130", ["decision-maker", "vip"]),
    (4, "Happy", "Hogan", "Fleet Manager", "+31 10 555 0131", []),
    (5, "Lucius", "Fox", "Finance Director", "+353 1 555 0140", ["decision-maker"]),
    (5, "Alfred", "Pennyworth", "Guest Services Manager", "+353 1 555 0141", ["champion"]),
]
_ASCII = str.maketrans({"ö": "oe", "ß": "ss", "ä": "ae", "ü": "ue"})
CONSENT = {"email": {"status": "opted_in", "at": "2026-01-15T09:30:00Z", "source": "web_form"}}


def seed_demo(api_url: str, issuer: TokenIssuer) -> int:
    """Creates the demo tenant's records through the API at `api_url`; returns how many."""
    token = issuer.mint(tenant=TENANT, user=SEED_USER, groups=["admin"], email="admin@demo.example")
    account_ids = [
        _create(api_url, token, "accounts", f"seed-account-{index}", account)["id"]
        for index, account in enumerate(ACCOUNTS)
    ]
    for index, (account, first, last, title, phone, tags) in enumerate(CONTACTS):
        domain = ACCOUNTS[account]["domain"]
        contact = {
            "first_name": first,
            "last_name": last,
            "email": f"{_ascii(first)}.{_ascii(last)}@{domain}".lower(),
            "phone": phone,
            "job_title": title,
            "account_id": account_ids[account],
            "tags": tags,
            **({"consent": CONSENT} if "decision-maker" in tags else {}),
        }
        _create(api_url, token, "contacts", f"seed-contact-{index}", contact)
    log.info("seeded tenant %r: %d accounts, %d contacts", TENANT, len(ACCOUNTS), len(CONTACTS))
    return len(ACCOUNTS) + len(CONTACTS)


def _ascii(name: str) -> str:
    return name.translate(_ASCII)


def _create(api_url: str, token: str, collection: str, key: str, record: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310 - the local API's own URL
        f"{api_url}/{collection}",
        data=json.dumps(record).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Idempotency-Key": key},
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - the local API's own URL
        created: dict[str, Any] = json.loads(response.read())
    return created
