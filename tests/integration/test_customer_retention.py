"""The retention workflow's steps under moto, the clock passed in: one run per customer and episode, the owner's task
citing the churn reasons, the offer only to a contact who opted in to offers by email, then recovered (an order since
the episode began) or escalated to the owner's manager; and the episode read back on the value and 360 reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from retention.handler import lambda_handler as retention_step

from rapport import normalize
from rapport.contexts import Kind
from rapport.dal import repository
from rapport.errors import NotFound
from rapport.notifications.requests import NotificationRequest
from rapport.orders import retention, store
from rapport.orders.churn import AnalyticsSettings
from rapport.tasks.manifest import TASK
from tests.integration.followups import CONTEXT, Bus
from tests.integration.sales import set_rates
from tools.lambda_api import Staff, call, create
from tools.metering import dynamodb_requests

ADMIN = Staff(user="boss", groups=("admin",))
MANAGER = Staff().as_("manager")
TENANT = Staff().tenant
SINCE = datetime(2026, 11, 2, 3, tzinfo=UTC)
STARTED = SINCE + timedelta(minutes=5)
AT = "2026-01-05T10:00:00Z"
REASON = {
    "code": "revenue_drop",
    "detail": "Bought 500.00 a month over the last 3 months, down 50.0 % from 1000.00 a month",
    "figures": {"baseline": "1000.00", "recent": "500.00", "drop_percent": "50.0"},
}
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:CustomerRetention:first"


class Requests:
    def __init__(self) -> None:
        self.sent: list[NotificationRequest] = []

    def __call__(self, request: NotificationRequest) -> None:
        self.sent.append(request)


@pytest.fixture(autouse=True)
def _settings() -> None:
    assert set_rates("USD", {}).status == 200
    marketing = {"topics": ["offers"], "postal_address": "1 Main St, Springfield"}
    assert call("putMarketingSettings", MANAGER, body=marketing, headers={"If-Match": '"0"'}).status == 200
    create("createProduct", MANAGER, sku="KIT", name="Kit", unit_price="100.00")
    for user, manager in (("rep-1", "mia"), ("rep-2", None), ("mia", None)):
        profile = {"name": user.title(), "email": f"{user}@example.com", "manager_id": manager}
        reply = call("putUser", ADMIN, record_id=user, body=profile, headers={"If-Match": None})
        assert reply.status == 201, reply.body


def settings(wait_days: int = 30) -> Any:
    return lambda _tenant: AnalyticsSettings(retention_wait_days=wait_days)


def deserting(level: str, *, owner: str | None = "rep-1", offers: bool = True, since: datetime = SINCE) -> str:
    """A contact (with an email, opted in to offers by email or not) or an account, found deserting at `since`."""
    owned: dict[str, Any] = {"owner_id": owner} if owner else {}
    if level == "account":
        customer = str(create("createAccount", MANAGER, name="Deserting Ltd", **owned)["id"])
    else:
        consent: dict[str, Any] = {"email": {"status": "opted_in", "at": AT, "source": "web_form"}}
        if offers:
            consent["topics"] = {"email": {"offers": {"status": "opted_in", "at": AT, "source": "web_form"}}}
        person = {"first_name": "Rachael", "last_name": "Tyrell", "email": "rachael@example.com", "consent": consent}
        customer = str(create("createContact", MANAGER, **person, **owned)["id"])
    mark_deserting(level, customer, since)
    return customer


def mark_deserting(level: str, customer: str, since: datetime, status: str = "deserting") -> None:
    """The standing the daily ranking writes (rapport.orders.reports)."""
    churn = {"status": status, "since": normalize.instant(since), "reasons": [REASON], "baseline": "1000.00"}
    standing = {
        "rank": 1,
        "tier": "A",
        "ranked_among": 1,
        "churn": {**churn, "recent": "500.00"},
        "ranked_revenue": "8000.00",
        "revenue_lifetime": "14000.00",
        "updated_at": normalize.instant(since),
        "updated_by": "rapport:ranking",
    }
    store.put_standing(TENANT, _kind(level), customer, standing, rank=1, tier="A", risk=0, gap=None)


def _kind(level: str) -> Kind:
    from rapport.accounts.manifest import ACCOUNT
    from rapport.contacts.manifest import CONTACT

    return ACCOUNT if level == "account" else CONTACT


def start(customer: str, execution: str = EXECUTION, since: datetime = SINCE, wait_days: int = 30) -> dict[str, Any]:
    return retention.start(
        TENANT, customer, normalize.instant(since), execution, STARTED, read_settings=settings(wait_days)
    )


def episode(customer: str) -> dict[str, Any]:
    found = retention.read_customer(TENANT, customer).episode
    assert found is not None
    return found.model_dump(mode="json")


def task_of(customer: str) -> dict[str, Any]:
    task = repository.get(TENANT, TASK, episode(customer)["task_id"])
    assert task is not None
    return task.data


def order(level: str, customer: str, at: datetime, status: str = "paid") -> str:
    body = {
        "number": f"{customer}-{at.timestamp()}-{status}",
        f"{level}_id": customer,
        "status": status,
        "ordered_at": normalize.instant(at),
        "lines": [{"sku": "KIT", "quantity": 5}],
    }
    reply = call("createOrder", body=body, headers={"Idempotency-Key": None})
    assert reply.status == 201, reply.body
    return str(reply.body["id"])


@pytest.mark.parametrize("level", ["contact", "account"])
def test_the_owner_gets_a_task_citing_the_reasons_and_the_customer_its_coupon(level: str) -> None:
    customer = deserting(level)
    started = start(customer)
    assert started == {"started": True, "wait_until": normalize.instant(STARTED + timedelta(days=30))}
    kept = episode(customer)
    assert kept["status"] == "open" and kept["since"] == normalize.instant(SINCE) and kept["owner_id"] == "rep-1"
    assert kept["coupon_code"].startswith("BACK-") and len(kept["coupon_code"]) == 15
    task = task_of(customer)
    assert task["assignee_id"] == "rep-1" and task["status"] == "open" and task["priority"] == "high"
    assert task[f"{level}_id"] == customer and task["due_at"] == started["wait_until"]
    assert "500.00" in task["description"] and "1000.00" in task["description"]
    assert kept["coupon_code"] in task["description"]
    requests = Requests()
    offered = retention.offer(TENANT, customer, normalize.instant(SINCE), requests)
    if level == "contact":
        assert kept["offer_contact_id"] == customer and kept["offer_skipped"] is None
        assert offered == {"requested": True, "contact_id": customer}
        [request] = requests.sent
        assert (request.template, request.topic, request.channel) == ("retention_offer", "offers", "email")
        assert request.context["coupon"]["code"] == kept["coupon_code"]
    else:
        assert kept["offer_contact_id"] is None and "primary contact" in kept["offer_skipped"]
        assert "No offer email: an account has no primary contact" in task["description"]
        assert offered["requested"] is False and requests.sent == []


def test_without_consent_to_offers_no_email_and_the_task_says_why() -> None:
    customer = deserting("contact", offers=False)
    start(customer)
    kept = episode(customer)
    assert kept["offer_contact_id"] is None and "offers by email" in kept["offer_skipped"]
    assert "No offer email: the contact has not opted in to offers by email" in task_of(customer)["description"]
    requests = Requests()
    assert retention.offer(TENANT, customer, normalize.instant(SINCE), requests)["requested"] is False
    assert requests.sent == []


def test_a_customer_nobody_owns_gets_no_task_and_its_escalation_says_so() -> None:
    customer = deserting("contact", owner=None)
    start(customer)
    assert episode(customer)["task_id"] is None and episode(customer)["owner_id"] is None
    requests = Requests()
    outcome = retention.conclude(TENANT, customer, normalize.instant(SINCE), STARTED + timedelta(days=30), requests)
    assert outcome == {"status": "escalated", "escalated_to": None}
    assert "nobody owns the customer" in episode(customer)["escalation_note"] and requests.sent == []


def test_one_run_per_episode_however_often_detection_fires_and_a_retried_step_carries_on() -> None:
    customer = deserting("contact")
    first = start(customer)
    coupon = episode(customer)["coupon_code"]
    assert start(customer) == first  # the same execution's step, retried
    assert start(customer, execution="another") == {
        "started": False,
        "reason": "the episode's retention already started",
    }
    assert episode(customer)["coupon_code"] == coupon and episode(customer)["execution"] == EXECUTION
    tasks = call("listTasks", query={"assignee_id": "rep-1"}).body["items"]
    assert [task["contact_id"] for task in tasks] == [customer]


def test_a_customer_no_longer_deserting_since_then_starts_nothing() -> None:
    customer = deserting("contact")
    mark_deserting("contact", customer, SINCE, status="lost")
    assert start(customer) == {"started": False, "reason": "the customer is no longer deserting since then"}
    assert retention.read_customer(TENANT, customer).episode is None


@pytest.mark.parametrize("level", ["contact", "account"])
def test_bought_again_since_the_episode_began_recovers_it_and_completes_the_task(level: str) -> None:
    customer = deserting(level)
    start(customer)
    order(level, customer, SINCE - timedelta(days=3))  # before the episode: does not count
    order(level, customer, SINCE + timedelta(days=2), status="cancelled")  # no revenue: does not count
    bought = order(level, customer, SINCE + timedelta(days=4))
    requests = Requests()
    outcome = retention.conclude(TENANT, customer, normalize.instant(SINCE), STARTED + timedelta(days=30), requests)
    assert outcome == {"status": "recovered", "escalated_to": None}
    kept = episode(customer)
    assert kept["status"] == "recovered" and kept["recovered_by_order"] == bought
    assert task_of(customer)["status"] == "done" and requests.sent == []


@pytest.mark.parametrize(
    ("owner", "assignee", "notified"), [("rep-1", "mia", ["mia"]), ("rep-2", "rep-2", [])], ids=["manager", "none"]
)
def test_not_bought_again_escalates_to_the_owners_manager(owner: str, assignee: str, notified: list[str]) -> None:
    customer = deserting("contact", owner=owner)
    start(customer)
    order("contact", customer, SINCE - timedelta(days=3))
    requests = Requests()
    since = normalize.instant(SINCE)
    outcome = retention.conclude(TENANT, customer, since, STARTED + timedelta(days=30), requests)
    assert outcome == {"status": "escalated", "escalated_to": notified[0] if notified else None}
    task = task_of(customer)
    assert task["assignee_id"] == assignee and task["status"] == "open"
    assert [request.recipient.id for request in requests.sent] == notified
    if notified:
        assert requests.sent[0].template == "retention_escalated" and task["priority"] == "urgent"
        assert "escalated from the owner rep-1 to their manager mia" in task["description"]
        # a retried step asks again under the same dedupe key: the notifier sends it once
        again = Requests()
        retention.conclude(TENANT, customer, since, STARTED + timedelta(days=31), again)
        assert [request.dedupe_key for request in again.sent] == [requests.sent[0].dedupe_key]
    else:
        assert "has no manager" in episode(customer)["escalation_note"]


def test_a_new_episode_after_recovery_runs_again_with_a_new_coupon() -> None:
    customer = deserting("contact")
    start(customer)
    order("contact", customer, SINCE + timedelta(days=1))
    retention.conclude(TENANT, customer, normalize.instant(SINCE), STARTED + timedelta(days=30), Requests())
    first = episode(customer)
    later = SINCE + timedelta(days=120)
    mark_deserting("contact", customer, later)
    assert start(customer, execution="second", since=later)["started"] is True
    second = episode(customer)
    assert second["status"] == "open" and second["since"] == normalize.instant(later)
    assert second["coupon_code"] != first["coupon_code"] and second["task_id"] != first["task_id"]
    # the old run, had it still been waiting, finds its episode superseded
    old = retention.conclude(TENANT, customer, normalize.instant(SINCE), later, Requests())
    assert old == {"status": None, "reason": "the episode was superseded"}


def test_the_episode_shows_on_the_value_and_the_360_and_the_stream_tells_what_happened() -> None:
    bus = Bus()
    customer = deserting("contact")
    bus.publish_new()
    start(customer)
    retention.conclude(TENANT, customer, normalize.instant(SINCE), STARTED + timedelta(days=30), Requests())
    value = call("getContactValue", record_id=customer).body
    assert value["retention"]["status"] == "escalated" and value["retention"]["escalated_to"] == "mia"
    view = call("getContact360", record_id=customer).body
    assert view["retention"] == value["retention"]
    kinds = [(event["detail-type"], event["detail"]["entity_id"]) for event in bus.publish_new()]
    assert ("retention.started", customer) in kinds and ("retention.escalated", customer) in kinds


def test_the_worker_runs_each_step_and_a_gone_customer_is_not_found() -> None:
    customer = deserting("contact", owner="rep-2", offers=False)
    step = {"tenant_id": TENANT, "customer_id": customer, "since": normalize.instant(SINCE)}
    started = retention_step({**step, "action": "start", "execution": EXECUTION}, CONTEXT)
    assert started["started"] is True
    assert retention_step({**step, "action": "offer"}, CONTEXT)["requested"] is False
    assert retention_step({**step, "action": "conclude"}, CONTEXT) == {"status": "escalated", "escalated_to": None}
    with pytest.raises(NotFound):
        retention_step({**step, "customer_id": "01JNOSUCHCUSTOMER000000000", "action": "conclude"}, CONTEXT)


def test_each_step_s_requests() -> None:
    """Start: the customer with its standing and episode (one BatchGetItem), the marketing settings (the offer's
    postal address), the tasks' custom fields, one transaction. Offer: the customer, the analytics settings. Conclude:
    the customer, its orders since the episode began (one Query), the task, the owner's profile, one transaction."""
    customer = deserting("contact")
    since = normalize.instant(SINCE)
    with dynamodb_requests() as started:
        start(customer)
    with dynamodb_requests() as offered:
        retention.offer(TENANT, customer, since, Requests())
    with dynamodb_requests() as concluded:
        retention.conclude(TENANT, customer, since, STARTED + timedelta(days=30), Requests())
    assert started == ["BatchGetItem", "GetItem", "GetItem", "TransactWriteItems"]
    assert offered == ["BatchGetItem", "GetItem"]
    assert concluded == ["BatchGetItem", "Query", "GetItem", "GetItem", "TransactWriteItems"]
