"""SMS STOP: a person who replies STOP to a text is opted out by SNS (the account's opted-out list); a sweep marks
the SMS consent of the contacts with those numbers `opted_out` (source `sms_stop`) in every tenant, so the ledger
says so and nothing else tries to text them.

A sweep, not an event: SNS tells nobody when a number opts out. Without an origination number (a toll-free number
or 10DLC registration, with two-way SMS to a topic), a reply reaches no one but SNS's own opt-out list, which only
`ListPhoneNumbersOptedOut` reads. A process above contacts (the phones' guards) and the tenants' registry.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from rapport.contacts.consent import stop_sms
from rapport.dal.tenancy import tenant_scope


def opted_out(sns: Any) -> Iterator[str]:
    """Every number of the account's SNS opted-out list, page after page (`nextToken`)."""
    page: dict[str, Any] = sns.list_phone_numbers_opted_out()
    yield from page.get("phoneNumbers", [])
    while page.get("nextToken"):
        page = sns.list_phone_numbers_opted_out(nextToken=page["nextToken"])
        yield from page.get("phoneNumbers", [])


def sweep(numbers: Iterable[str], tenants: Iterable[str]) -> int:
    """Opt the contacts of `tenants` with one of `numbers` out of SMS; returns how many changed (a contact opted
    out already is left as it is, so a sweep that finds nothing new writes nothing)."""
    stopped = list(numbers)
    changed = 0
    for tenant_id in tenants:
        with tenant_scope(tenant_id):
            changed += sum(stop_sms(tenant_id, number) for number in stopped)
    return changed
