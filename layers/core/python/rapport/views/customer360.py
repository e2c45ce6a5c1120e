"""The customer's whole picture (`GET /contacts/{id}/360`): ONE Query on the contact's partition, read by kind.

Every context that keeps something of a contact in the contact's partition (its account, open deals and
lifetime value, scheduled appointments, open tasks) contributes a part to this view through its manifest
(`rapport.contexts.SummaryPart`: the answer's field, the kinds of summary it is made of, their sort key prefix, how
they read). The partition holds, in key order, the parts' summaries (each under its prefix, between `A#` and
`E#`), the contact (`A#META`), then its timeline's entries, newest first (rapport.timeline). The Query reads
them from the start with a Limit of the record, `SUMMARY_BUDGET` summaries and `LATEST` entries; each summary goes
to the part that reads its kind. A new context adds its part without touching this module or the contacts.

The summaries are bounded by open work: deals (open ones; the deals area keeps closed ones out or folds them
into the lifetime value), scheduled appointments and open tasks — a handful per contact. A contact with more
than `SUMMARY_BUDGET` of them is read as far as the Limit goes, and the answer says `truncated`: the lists
and entries read so far are exact but may be short (GET /tasks, the timeline and the deal list are then the
complete lists).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from itertools import islice
from typing import Any

from pydantic import Field, create_model

from rapport import normalize, timeline
from rapport.auth import Action, Caller
from rapport.contacts.manifest import CONTACT
from rapport.contacts.models import Contact
from rapport.contacts.service import contacts
from rapport.contexts import Seen, SummaryPart, contexts, load
from rapport.dal import access, repository
from rapport.errors import NotFound
from rapport.timeline import TimelineEntry
from rapport.types import LazyModel

SUMMARY_BUDGET = 200
LATEST = 10
READ_LIMIT = 2 + SUMMARY_BUDGET + LATEST


@cache
def parts() -> tuple[SummaryPart, ...]:
    """Every context's parts, in the order their summaries sort in the partition."""
    found = [load(reference) for context in contexts() for reference in context.summaries]
    return tuple(sorted(found, key=lambda part: part.prefix))


class Overview(LazyModel):
    """The view's first field, the contact; the parts (and the timeline's latest entries) follow it."""

    contact: Contact

    @property
    def version(self) -> int | None:
        """The contact's: the view's ETag is its contact's."""
        return self.contact.version


def _model() -> type[Overview]:
    fields: dict[str, Any] = {part.field: (part.annotation, part.info) for part in parts()}
    return create_model(
        "ContactOverview",
        __base__=Overview,
        **fields,
        latest_interactions=(
            list[TimelineEntry],
            Field(description=f"The {LATEST} latest entries of the contact's timeline, newest first"),
        ),
        truncated=(
            bool,
            Field(
                description="The contact has more open deals, tasks and appointments than one read covers: the "
                "lists above are cut short (GET /tasks, the timeline and the deals list have them all)"
            ),
        ),
    )


ContactOverview = _model()


def contact_overview(caller: Caller, contact_id: str) -> Overview:
    caller.require(contacts.resource, Action.READ)
    page = repository.read_partition(access.summaries(caller.tenant_id, CONTACT, contact_id), limit=READ_LIMIT)
    if page.record is None:
        raise NotFound(f"No contact has the id {contact_id}.")
    entries = list(islice((timeline.read_entry(s) for s in page.summaries if timeline.is_entry(s)), LATEST))
    summaries = [summary for summary in page.summaries if not timeline.is_entry(summary)]
    now = normalize.instant(datetime.now(UTC))
    read = {
        part.field: part.read(Seen([s for s in summaries if s.kind in part.kinds], page.record.data, now))
        for part in parts()
    }
    return ContactOverview(
        contact=contacts.out(page.record),
        **read,
        latest_interactions=entries,
        truncated=page.next_position is not None and len(entries) < LATEST,
    )
