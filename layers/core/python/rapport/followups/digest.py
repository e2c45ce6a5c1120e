"""The daily digest: one notification request per rep with their rotting deals and overdue tasks.

A daily schedule (07:00 UTC) runs `run(now)`: for each registered tenant, ONE Query for its open deals
(gsi4 `T#<t>#DEAL#STATUS#open`), kept when rotting (open, no activity for the pipeline's `rotting_days`,
`rapport.deals.rules.is_rotting`), and ONE Query for its open tasks due before `now` (gsi3 `T#<t>#TASK#DUE`).
Both are grouped by rep (deal owner, task assignee) into one `daily_digest` request per rep with the counts and
the top five of each (the longest-rotting deals: name, stage, amount, days idle; the most overdue tasks: title,
due time), each with the path of its page (the notifier writes links under the app's URL and times in the rep's
time zone). A rep with nothing to act on gets nothing.

Each digest is sent once per rep and UTC day: a marker `DIGEST#<user>#<date>` is claimed before the request is
put (and released if the bus refuses it), and the request's `dedupe_key` is the same name.

Limits: the digest goes out at 07:00 UTC for every rep; a per-rep local time (staff profiles' `time_zone`)
would need an hourly schedule that picks the reps whose local 07:00 it is — not built here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from rapport import normalize
from rapport.dal import repository
from rapport.dal.repository import Record
from rapport.deals import store as deal_store
from rapport.deals.rules import is_rotting
from rapport.events.bus import PutEvents
from rapport.followups import store
from rapport.notifications.catalog import DIGEST_TOP_ITEMS
from rapport.notifications.requests import (
    NotificationRequest,
    Recipient,
    RecipientType,
    request_notification,
)
from rapport.tasks import store as task_store

TEMPLATE = "daily_digest"


@dataclass
class Digest:
    """What one rep should look at today."""

    tenant_id: str
    user_id: str
    day: str
    rotting_deals: list[dict[str, Any]] = field(default_factory=list)
    overdue_tasks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"DIGEST#{self.user_id}#{self.day}"

    def request(self) -> NotificationRequest:
        deals = {f"deal{n}": _deal_line(deal) for n, deal in enumerate(self.rotting_deals[:DIGEST_TOP_ITEMS], 1)}
        tasks = {f"task{n}": _task_line(task) for n, task in enumerate(self.overdue_tasks[:DIGEST_TOP_ITEMS], 1)}
        counts = {"rotting_deals": len(self.rotting_deals), "overdue_tasks": len(self.overdue_tasks)}
        return NotificationRequest(
            tenant_id=self.tenant_id,
            recipient=Recipient(type=RecipientType.USER, id=self.user_id),
            template=TEMPLATE,
            context={
                "digest": {
                    "date": self.day,
                    "summary": _summary(counts["rotting_deals"], counts["overdue_tasks"]),
                    **{name: count for name, count in counts.items() if count},
                    **deals,
                    **tasks,
                },
                "link": "/",
            },
            dedupe_key=f"{self.tenant_id}#{self.name}",
        )


def _summary(rotting_deals: int, overdue_tasks: int) -> str:
    parts = [
        f"{count} {noun}{'' if count == 1 else 's'}"
        for count, noun in ((rotting_deals, "rotting deal"), (overdue_tasks, "overdue task"))
        if count
    ]
    return ", ".join(parts)


def _deal_line(deal: dict[str, Any]) -> dict[str, Any]:
    amount = " ".join(str(part) for part in (deal["amount"], deal.get("currency")) if part) if deal["amount"] else None
    return {
        "name": deal["name"],
        "stage": deal["stage"],
        "amount": amount,
        "days_idle": deal["days_idle"],
        "link": f"/deals/{deal['deal_id']}",
    }


def _task_line(task: dict[str, Any]) -> dict[str, Any]:
    return {"title": task["title"], "due_at": task["due_at"], "link": f"/tasks/{task['task_id']}"}


def compose(tenant_id: str, deals: Iterable[Record], tasks: Iterable[Record], now: datetime) -> list[Digest]:
    """The digests of one tenant's reps, by user id: rotting deals stalest first, overdue tasks oldest first."""
    day = now.date().isoformat()
    digests: dict[str, Digest] = {}

    def of(user_id: str) -> Digest:
        return digests.setdefault(user_id, Digest(tenant_id, user_id, day))

    rotting: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for deal in deals:
        data = deal.data
        if deal.deleted or not is_rotting(data, now):
            continue
        idle = now - datetime.fromisoformat(data["last_activity_at"])
        rotting[data["owner_id"]].append(
            {
                "deal_id": deal.id,
                "name": data["name"],
                "stage": data["stage"],
                "amount": data.get("amount"),
                "currency": data.get("currency"),
                "last_activity_at": data["last_activity_at"],
                "days_idle": idle.days,
            }
        )
    for owner, items in rotting.items():
        of(owner).rotting_deals = sorted(items, key=lambda item: (item["last_activity_at"], item["deal_id"]))
    overdue: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for task in tasks:
        data = task.data
        if task.deleted or not data.get("due_at") or datetime.fromisoformat(data["due_at"]) >= now:
            continue
        overdue[data["assignee_id"]].append(
            {
                "task_id": task.id,
                "title": data["title"],
                "due_at": data["due_at"],
                "priority": data.get("priority"),
                **{name: data[name] for name in ("contact_id", "deal_id") if name in data},
            }
        )
    for assignee, items in overdue.items():
        of(assignee).overdue_tasks = sorted(items, key=lambda item: (item["due_at"], item["task_id"]))
    return [digests[user] for user in sorted(digests)]


def tenant_digests(tenant_id: str, now: datetime) -> list[Digest]:
    """Two Queries: the tenant's open deals, and its open tasks due before `now`."""
    deals = repository.records(deal_store.open_deals(tenant_id))
    tasks = repository.records(task_store.due_before(tenant_id, normalize.instant(now - timedelta(seconds=1))))
    return compose(tenant_id, deals, tasks, now)


def send(digests: Iterable[Digest], now: datetime, put_events: PutEvents | None = None) -> int:
    sent = 0
    for digest in digests:
        if not store.mark_sent(digest.tenant_id, digest.name, now):
            continue
        try:
            if put_events is None:
                request_notification(digest.request())
            else:
                request_notification(digest.request(), put_events)
        except Exception:
            store.unmark_sent(digest.tenant_id, digest.name)
            raise
        sent += 1
    return sent


def run(now: datetime, put_events: PutEvents | None = None) -> int:
    """Every registered tenant's digests, each sent once a day; returns how many were put."""
    return sum(send(tenant_digests(tenant_id, now), now, put_events) for tenant_id in store.tenants())
