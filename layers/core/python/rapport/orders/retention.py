"""The retention workflow: what the retention state machine (infra/workflows/customer_retention.asl.json) does when
the daily ranking finds a customer `deserting` (`customer.churn_changed` to deserting), step by step, each step its
own task so that a failing one is retried alone:

1. `start`: one run per customer and episode (an episode is a spell of `deserting`, named by its churn `since`).
   ONE transaction takes the episode's guard (customer and `since`) and a coupon code's guard (a new code, unique
   in the tenant and unguessable: CODE_LENGTH characters drawn by `secrets` from CODE_ALPHABET, about 2^50 codes),
   creates the retention task for the customer's owner (a contact's or an account's `owner_id`: none when nobody
   owns it), linked to the customer, its description citing the churn reasons with their figures and what became
   of the offer, due when the wait ends, and puts the episode (rapport.orders.episode) in the customer's partition
   (`B#RETENTION`, the latest episode, over the one before; rapport.orders.store). A redelivered event or a
   detection firing again finds the guard taken and starts nothing; a step retried by its own execution (the
   execution is kept on the episode) carries on. A customer no longer deserting since `since` starts nothing.
2. `offer`: the `retention_offer` email with the coupon code, through the notifier (a `notification.requested`
   event, dedupe key of the customer and episode), only to a contact with email consent for the tenant's offers
   topic (`retention_offer_topic` of the analytics settings), checked when the episode starts (the task says why an
   offer was not sent) and again by the notifier when it sends. An account has no primary contact in Rapport's
   model: an account-level customer gets no email, and its task says so (its owner reaches out).
3. The machine waits until `wait_until`, `retention_wait_days` (analytics settings, 30 by default) after the start.
4. `conclude`: a paid or fulfilled order of the customer ordered at or after `since` (one Query of its orders from
   then) recovers it: the episode is `recovered` (with the order) and the task done, in one transaction. Otherwise
   the episode is `escalated`: the task goes to the owner's manager (the `manager_id` of the owner's user profile,
   as the lead SLA does), high priority, and the manager is sent the `retention_escalated` notice; with no owner or
   no manager the task stays where it is and the episode says why (`escalation_note`).

The episode's changes are the events `retention.started`, `retention.recovered` and `retention.escalated` (its
entity id the customer's), derived from the stream (rapport.orders.manifest). Recovery is kept on the episode, not on
the churn: the churn is the daily ranking's measure of the buying months, which a single order does not move at
once; a new episode starts when the customer becomes deserting again after it has left that status.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from rapport import normalize
from rapport.accounts.manifest import ACCOUNT
from rapport.auth import Caller
from rapport.contacts.manifest import CONTACT
from rapport.contacts.service import display_name
from rapport.dal import repository
from rapport.dal.repository import Parent, Record, StaleVersion, UnitOfWork
from rapport.errors import NotFound
from rapport.notifications.catalog import Channel
from rapport.notifications.notifier import contact_refusal
from rapport.notifications.requests import NotificationRequest, Recipient, RecipientType
from rapport.orders import store
from rapport.orders.churn import AnalyticsSettings, ChurnReason, ChurnStatus
from rapport.orders.episode import RetentionEpisode, RetentionStatus
from rapport.orders.models import REVENUE_STATUSES
from rapport.orders.notices import RETENTION_ESCALATED, RETENTION_OFFER
from rapport.orders.settings import ANALYTICS_SETTINGS
from rapport.tasks.manifest import TASK
from rapport.tasks.models import OPEN_STATUSES, Priority, TaskCreate, TaskStatus
from rapport.tasks.service import tasks
from rapport.users.manifest import USER

ACTOR = "retention"  # who the workflow's writes are by
CODE_PREFIX = "BACK-"
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I to misread
CODE_LENGTH = 10
CODE_ATTEMPTS = 3  # a new code each time the transaction fails on a code another customer holds
NO_PRIMARY_CONTACT = "an account has no primary contact to email: reach out to its people yourself"

RequestNotification = Callable[[NotificationRequest], None]
ReadSettings = Callable[[str], AnalyticsSettings]


def new_coupon_code() -> str:
    return CODE_PREFIX + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def saved_settings(tenant_id: str) -> AnalyticsSettings:
    return ANALYTICS_SETTINGS.read(tenant_id).content


class Customer(NamedTuple):
    """A contact or an account, with its standing and latest retention episode as stored."""

    record: Record
    standing: dict[str, Any] | None
    episode: RetentionEpisode | None

    @property
    def name(self) -> str:
        data = self.record.data
        return str(data.get("name") or display_name(data) or data.get("email") or self.record.id)


def read_customer(tenant_id: str, customer_id: str) -> Customer:
    """The live contact or account `customer_id`, its standing and episode: one BatchGetItem."""
    wanted = [Parent(CONTACT, customer_id), Parent(ACCOUNT, customer_id)]
    records, summaries = repository.get_records_and_summaries(
        tenant_id, wanted, store.churn_and_retention(tenant_id, customer_id)
    )
    record = next(iter(records.values()), None)
    if record is None or record.deleted:
        raise NotFound(f"no live contact or account has the id {customer_id}")
    found = {summary.kind: summary.data for summary in summaries}
    episode = found.get(store.RETENTION_KIND)
    return Customer(
        record, found.get(store.STANDING_KIND), RetentionEpisode.model_validate(episode) if episode else None
    )


# --- decisions -----------------------------------------------------------------------------------------------


def why_not_start(customer: Customer, since: str, execution: str) -> str | None:
    """Why the run `execution` for the episode `since` starts nothing (None: start it, or carry on with it)."""
    episode = customer.episode
    if episode is not None and normalize.instant(episode.since) == since:
        return None if episode.execution == execution else "the episode's retention already started"
    churn = (customer.standing or {}).get("churn") or {}
    if churn.get("status") != ChurnStatus.DESERTING or normalize.instant(str(churn.get("since"))) != since:
        return "the customer is no longer deserting since then"
    return None


def offer_request(
    tenant_id: str, contact_id: str, name: str, episode: RetentionEpisode, topic: str
) -> NotificationRequest:
    return NotificationRequest(
        tenant_id=tenant_id,
        recipient=Recipient(type=RecipientType.CONTACT, id=contact_id),
        template=RETENTION_OFFER.name,
        channel=Channel.EMAIL.value,
        topic=topic,
        context={"coupon": {"code": episode.coupon_code}, "customer": {"name": name}},
        dedupe_key=f"retention-offer:{contact_id}:{normalize.instant(episode.since)}",
    )


def task_description(name: str, episode: RetentionEpisode) -> str:
    """What the owner reads on the retention task: why the customer is deserting, with the figures, and the
    offer."""
    reasons = "\n".join(f"- {reason.detail}" for reason in episode.reasons)
    if episode.offer_contact_id:
        offer = f"An offer with the coupon code {episode.coupon_code} is emailed to the contact."
    else:
        offer = f"No offer email: {episode.offer_skipped}. The coupon code {episode.coupon_code} is kept for them."
    return (
        f"{name} is deserting since {normalize.instant(episode.since)}:\n{reasons}\n\n{offer}\n\n"
        f"On {normalize.instant(episode.wait_until)} Rapport checks whether they bought again: if they did, this "
        "task is done; if not, it goes to your manager."
    )


def recovering_order(orders: list[Record]) -> Record | None:
    """The first order that counts as revenue (paid or fulfilled) among `orders`."""
    return next((order for order in orders if order.data.get("status") in REVENUE_STATUSES), None)


# --- steps ---------------------------------------------------------------------------------------------------


def start(
    tenant_id: str,
    customer_id: str,
    since: str,
    execution: str,
    now: datetime,
    *,
    read_settings: ReadSettings = saved_settings,
    new_code: Callable[[], str] = new_coupon_code,
) -> dict[str, Any]:
    """Start the episode `since` of the customer (step 1): `started` and `wait_until`, or not and why."""
    since = normalize.instant(since)
    settings = read_settings(tenant_id)
    for _ in range(CODE_ATTEMPTS):
        customer = read_customer(tenant_id, customer_id)
        refused = why_not_start(customer, since, execution)
        if refused is not None:
            return {"started": False, "reason": refused}
        if customer.episode is not None and normalize.instant(customer.episode.since) == since:
            return {"started": True, "wait_until": normalize.instant(customer.episode.wait_until)}
        episode = _new_episode(tenant_id, customer, since, execution, now, settings, new_code())
        try:
            _commit_start(tenant_id, customer, episode)
        except StaleVersion:
            continue  # another run took the episode (read again), or another customer holds the code
        return {"started": True, "wait_until": normalize.instant(episode.wait_until)}
    raise RuntimeError(f"could not start the retention of {customer_id} in {CODE_ATTEMPTS} attempts")


def _new_episode(
    tenant_id: str,
    customer: Customer,
    since: str,
    execution: str,
    now: datetime,
    settings: AnalyticsSettings,
    code: str,
) -> RetentionEpisode:
    churn = (customer.standing or {}).get("churn") or {}
    owner = customer.record.data.get("owner_id")
    episode = RetentionEpisode(
        status=RetentionStatus.OPEN,
        since=since,
        started_at=now,
        wait_until=now + timedelta(days=settings.retention_wait_days),
        reasons=[ChurnReason.model_validate(reason) for reason in churn.get("reasons") or []],
        coupon_code=code,
        owner_id=str(owner) if owner else None,
        execution=execution,
        updated_at=now,
        updated_by=ACTOR,
    )
    if customer.record.kind != CONTACT:
        return episode.model_copy(update={"offer_skipped": NO_PRIMARY_CONTACT})
    request = offer_request(tenant_id, customer.record.id, customer.name, episode, settings.retention_offer_topic)
    refused = contact_refusal(request, customer.record, Channel.EMAIL)
    if refused is not None:
        return episode.model_copy(update={"offer_skipped": refused})
    return episode.model_copy(update={"offer_contact_id": customer.record.id})


def _commit_start(tenant_id: str, customer: Customer, episode: RetentionEpisode) -> None:
    work = UnitOfWork()
    record = customer.record
    if episode.owner_id:
        task = TaskCreate(
            title=f"Win back {customer.name}: deserting",
            description=task_description(customer.name, episode),
            assignee_id=episode.owner_id,
            due_at=episode.wait_until,
            priority=Priority.HIGH,
            **{"contact_id" if record.kind == CONTACT else "account_id": record.id},
        )
        episode = episode.model_copy(update={"task_id": tasks.stage_create(work, tenant_id, ACTOR, task).id})
    store.stage_episode(work, tenant_id, record.kind, record.id, episode.model_dump(mode="json"), new=True)
    work.commit()


def offer(tenant_id: str, customer_id: str, since: str, request: RequestNotification) -> dict[str, Any]:
    """Ask the notifier to email the offer, when the episode has a contact to send it to (step 2)."""
    customer = read_customer(tenant_id, customer_id)
    episode = _episode(customer, since)
    if episode is None or not episode.offer_contact_id:
        return {"requested": False, "reason": episode.offer_skipped if episode else "the episode was superseded"}
    topic = saved_settings(tenant_id).retention_offer_topic
    request(offer_request(tenant_id, episode.offer_contact_id, customer.name, episode, topic))
    return {"requested": True, "contact_id": episode.offer_contact_id}


def conclude(
    tenant_id: str, customer_id: str, since: str, now: datetime, request: RequestNotification
) -> dict[str, Any]:
    """After the wait (step 4): recovered when the customer bought again since the episode began, else escalated."""
    customer = read_customer(tenant_id, customer_id)
    episode = _episode(customer, since)
    if episode is None:
        return {"status": None, "reason": "the episode was superseded"}
    if episode.status is RetentionStatus.OPEN:
        episode = _close(tenant_id, customer, episode, now)
    if episode.status is RetentionStatus.ESCALATED and episode.escalated_to:
        request(_escalation_notice(tenant_id, customer, episode))  # again on a retry: its dedupe key sends it once
    return {"status": episode.status.value, "escalated_to": episode.escalated_to}


def _episode(customer: Customer, since: str) -> RetentionEpisode | None:
    episode = customer.episode
    return episode if episode is not None and normalize.instant(episode.since) == normalize.instant(since) else None


def _close(tenant_id: str, customer: Customer, episode: RetentionEpisode, now: datetime) -> RetentionEpisode:
    record = customer.record
    orders = store.of_customer(tenant_id, record.kind, record.id).between(normalize.instant(episode.since), None)
    order = recovering_order(list(repository.records(orders)))
    task = repository.get(tenant_id, TASK, episode.task_id) if episode.task_id else None
    live_task = task if task is not None and not task.deleted and task.data.get("status") in OPEN_STATUSES else None
    work = UnitOfWork()
    system = Caller(tenant_id=tenant_id, user_id=ACTOR, roles=frozenset())
    if order is not None:
        closed = episode.model_copy(
            update={"status": RetentionStatus.RECOVERED, "recovered_at": now, "recovered_by_order": order.id}
        )
        if live_task is not None:
            tasks.stage_update(work, system, live_task, {"status": TaskStatus.DONE.value})
    else:
        manager = _manager_of(tenant_id, episode.owner_id) if episode.owner_id else None
        closed = episode.model_copy(
            update={
                "status": RetentionStatus.ESCALATED,
                "escalated_at": now,
                "escalated_to": manager if live_task is not None else None,
                "escalation_note": _escalation_note(episode, manager, live_task),
            }
        )
        if manager is not None and live_task is not None:
            description = f"{live_task.data.get('description') or ''}\n\n{closed.escalation_note}".strip()
            changes = {"assignee_id": manager, "priority": Priority.URGENT.value, "description": description}
            tasks.stage_update(work, system, live_task, changes)
    closed = closed.model_copy(update={"updated_at": now, "updated_by": ACTOR})
    store.stage_episode(work, tenant_id, record.kind, record.id, closed.model_dump(mode="json"), new=False)
    work.commit()
    return closed


def _manager_of(tenant_id: str, user_id: str) -> str | None:
    profile = repository.get(tenant_id, USER, user_id)
    manager = profile.data.get("manager_id") if profile is not None else None
    return str(manager) if manager else None


def _escalation_note(episode: RetentionEpisode, manager: str | None, task: Record | None) -> str:
    if not episode.owner_id:
        return "Not bought again; nobody owns the customer, so there is no manager to escalate to."
    if task is None:
        return "Not bought again; the retention task is no longer open, so nothing was handed over."
    if manager is None:
        return f"Not bought again; the owner {episode.owner_id} has no manager: the task stays with them."
    return f"Not bought again: escalated from the owner {episode.owner_id} to their manager {manager}."


def _escalation_notice(tenant_id: str, customer: Customer, episode: RetentionEpisode) -> NotificationRequest:
    assert episode.escalated_to is not None
    since = normalize.instant(episode.since)
    return NotificationRequest(
        tenant_id=tenant_id,
        recipient=Recipient(type=RecipientType.USER, id=episode.escalated_to),
        template=RETENTION_ESCALATED.name,
        context={
            "customer": {"name": customer.name, "id": customer.record.id},
            "owner": {"id": episode.owner_id},
            "retention": {"since": since, "reasons": " ".join(reason.detail for reason in episode.reasons)},
            "task": {"id": episode.task_id},
        },
        dedupe_key=f"retention-escalated:{customer.record.id}:{since}:{episode.escalated_to}",
    )
