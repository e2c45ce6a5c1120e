"""Campaigns under moto: the records and their life cycle through the API, and runs' batches driven by hand with a
transport that records (and throttles) what goes out: each consenting member once, whatever the overlap of
segments, the exclusions, the retries, the pauses and the throttling."""

from __future__ import annotations

import email
import email.policy
import itertools
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rapport import aws, config
from rapport.campaigns.runs import CampaignRun
from rapport.campaigns.sending import Batch, Pacer, Position, Sender, send_batch
from rapport.notifications.notifier import Rejected, Throttled, mime_message
from tools.lambda_api import LambdaContext, Staff, call, create

CONTEXT: Any = LambdaContext()
MARKETER = Staff().as_("marketing")
SALES = Staff()
AT = "2026-01-05T10:00:00Z"
POSTAL = "Tyrell Corp, 1 Pyramid Way, Los Angeles"
PUBLIC_URL = "https://api.rapport.example"
CONTENT = {"subject": "Spring offers, {{ recipient.first_name }}", "text": "Hello {{ recipient.first_name }}!"}


@dataclass
class Clock:
    now: float = 0.0

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)


@dataclass
class FakeSes:
    """Records what it sends; refuses more than `quota` sends in a second of `clock` (Throttled), and any address in
    `rejects` (Rejected)."""

    clock: Clock = field(default_factory=Clock)
    quota: int | None = None
    rejects: frozenset[str] = frozenset()
    sent: list[dict[str, Any]] = field(default_factory=list)
    throttled: int = 0
    _ids: Iterator[int] = field(default_factory=itertools.count)

    def _admit(self, to: str) -> str:
        if self.quota is not None:
            second = int(self.clock.now)
            if sum(1 for message in self.sent if int(message["at"]) == second) >= self.quota:
                self.throttled += 1
                raise Throttled("Maximum sending rate exceeded.")
        if to in self.rejects:
            raise Rejected("Address blacklisted.")
        return f"message-{next(self._ids)}"

    def send_email(
        self, to: str, subject: str, text: str, html: str | None, tags: Mapping[str, str], headers: Mapping[str, str]
    ) -> str:
        message_id = self._admit(to)
        record = {"to": to, "subject": subject, "text": text, "html": html, "tags": dict(tags)}
        record["headers"] = dict(headers)
        self.sent.append({**record, "at": self.clock.now})
        return message_id

    def send_sms(self, to: str, text: str) -> str:
        message_id = self._admit(to)
        self.sent.append({"to": to, "text": text, "at": self.clock.now})
        return message_id

    def recipients(self) -> list[str]:
        return sorted(message["to"] for message in self.sent)


@pytest.fixture(autouse=True)
def _marketing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PUBLIC_URL", PUBLIC_URL)
    config.reload()
    aws.reset()
    settings = {"topics": ["newsletter", "offers"], "postal_address": POSTAL}
    assert call("putMarketingSettings", MARKETER, body=settings, headers={"If-Match": '"0"'}).status == 200
    yield
    config.reload()
    aws.reset()


def person(name: str, *, email_status: str | None = "opted_in", offers: str | None = "opted_in", **more: Any) -> str:
    consent: dict[str, Any] = {}
    if email_status:
        consent["email"] = {"status": email_status, "at": AT, "source": "web_form"}
    if offers:
        consent["topics"] = {"email": {"offers": {"status": offers, "at": AT, "source": "web_form"}}}
    fields = {"first_name": name, "last_name": "Tyrell", "email": f"{name.lower()}@tyrell.example", **more}
    return str(create("createContact", consent=consent, **fields)["id"])


def static_list(name: str, contact_ids: list[str]) -> str:
    segment_id = str(create("createSegment", MARKETER, name=name, kind="static")["id"])
    for start in range(0, len(contact_ids), 25):
        body = {"add": contact_ids[start : start + 25]}
        assert call("changeSegmentMembers", MARKETER, record_id=segment_id, body=body).status == 200
    return segment_id


def new_campaign(segments: list[str], exclude: list[str] | None = None, **fields: Any) -> dict[str, Any]:
    body = {
        "name": "Spring offers",
        "channel": "email",
        "topic": "offers",
        "content": CONTENT,
        "audience": {"segments": segments, "exclude": exclude or []},
        **fields,
    }
    return create("createCampaign", MARKETER, **body)


class Runs:
    """The runs the API started (what Step Functions would execute)."""

    def __init__(self) -> None:
        self.started: list[CampaignRun] = []

    def __call__(self, run: CampaignRun) -> None:
        self.started.append(run)


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> Runs:
    from campaigns import handler

    started = Runs()
    monkeypatch.setattr(handler, "start_execution", started)
    return started


def post(operation: str, campaign_id: str, staff: Staff = MARKETER) -> Any:
    return call(operation, staff, record_id=campaign_id, body=None, headers={"If-Match": None})


def _budget(clock: Clock, seconds: float) -> Callable[[], float]:
    """What is left of `seconds` from now on `clock`."""
    ends = clock.now + seconds
    return lambda: ends - clock.now


def run_batches(
    ses: FakeSes, run: CampaignRun, *, rate: float = 1000.0, budget: float = 600.0, limit: int = 50
) -> list[Batch]:
    """The run's batches until it is done, each with `budget` seconds (of ses.clock) to spend."""
    batches: list[Batch] = []
    position = Position()
    for _ in range(limit):
        sender = Sender(
            transport=ses,
            pace=lambda channel: Pacer(rate, ses.clock.time, ses.clock.sleep, lambda low, high: high),
            time_left=_budget(ses.clock, budget),
            app_url="https://app.rapport.example",
        )
        batch = send_batch(run.tenant_id, run.campaign_id, run.run, position, sender)
        batches.append(batch)
        if batch.done:
            return batches
        assert batch.position is not None
        position = batch.position
    raise AssertionError("the run did not end")


def report(campaign_id: str) -> dict[str, Any]:
    reply = call("getCampaignReport", MARKETER, record_id=campaign_id)
    assert reply.status == 200, reply.body
    return dict(reply.body)


def test_each_consenting_member_gets_it_once_whatever_the_overlap_the_exclusions_and_the_refusals(runs: Runs):
    ada, bea, cal, dan, eve, fay, gus = (
        person("Ada"),
        person("Bea", offers=None),  # never subscribed to offers
        person("Cal"),  # subscribed, but excluded
        person("Dan"),  # in both segments
        person("Eve", email_status="opted_out"),  # opted out of email as a whole
        person("Fay", offers="pending"),  # subscription not confirmed
        person("Gus"),  # SES refuses the address
    )
    first = static_list("Spring fair", [ada, bea, cal, dan, eve])
    second = static_list("Web shop", [dan, fay, gus])
    excluded = static_list("Do not disturb", [cal])
    campaign = new_campaign([first, second], [excluded], cost={"amount": "120.00", "currency": "EUR"})
    assert post("scheduleCampaign", campaign["id"]).body["status"] == "scheduled"
    [run] = runs.started
    assert (run.campaign_id, run.run) == (campaign["id"], 1)

    ses = FakeSes(rejects=frozenset({"gus@tyrell.example"}))
    run_batches(ses, run)

    assert ses.recipients() == ["ada@tyrell.example", "dan@tyrell.example"]
    assert report(campaign["id"]) | {"started_at": None, "finished_at": None} == {
        "campaign_id": campaign["id"],
        "status": "sent",
        "channel": "email",
        "recipients": 6,
        "sent": 2,
        "skipped": 3,
        "failed": 1,
        "delivered": 0,  # until SES says so (see the feedback test)
        "bounced": 0,
        "complained": 0,
        "unsubscribed": 0,
        "opened": 0,
        "machine_opened": 0,
        "clicked": 0,
        "machine_clicked": 0,
        "replied": 0,
        "leads_created": 0,
        "opened_rate": 0.0,
        "clicked_rate": 0.0,
        "cost": {"amount": "120.00", "currency": "EUR"},
        "attribution": "last_touch",
        "deals_won": 0.0,
        "orders": 0.0,
        "revenue": [],
        "roi": -1.0,  # nothing credited yet
        "started_at": None,
        "finished_at": None,
    }
    sends = {
        send["contact_id"]: send for send in call("listCampaignSends", MARKETER, record_id=campaign["id"]).body["items"]
    }
    assert {contact: send["status"] for contact, send in sends.items()} == {
        ada: "sent",
        dan: "sent",
        bea: "skipped",
        eve: "skipped",
        fay: "skipped",
        gus: "failed",
    }  # cal: excluded, so neither sent nor counted
    assert (
        "offers" in sends[bea]["reason"] and "opted out" in sends[eve]["reason"] and "pending" in sends[fay]["reason"]
    )
    assert sends[ada]["message_id"] and "blacklisted" in sends[gus]["reason"]


def test_the_email_carries_the_recipient_s_name_the_postal_address_and_a_one_click_unsubscribe(runs: Runs):
    ada = person("Ada")
    campaign = new_campaign([static_list("Fair", [ada])])
    post("scheduleCampaign", campaign["id"])
    ses = FakeSes()
    run_batches(ses, runs.started[0])
    [message] = ses.sent
    assert message["subject"] == "Spring offers, Ada" and message["text"].startswith("Hello Ada!")
    assert POSTAL in message["text"]
    assert message["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = message["headers"]["List-Unsubscribe"].strip("<>")
    assert url.startswith(f"{PUBLIC_URL}/public/unsubscribe/") and url in message["text"]
    assert message["tags"] == {"rapport_tenant": "tenant-a", "rapport_contact": ada, "rapport_campaign": campaign["id"]}
    raw = mime_message(
        "crm@rapport.example", message["to"], message["subject"], message["text"], None, message["headers"]
    )
    assert email.message_from_bytes(raw, policy=email.policy.default)["List-Unsubscribe"] == f"<{url}>"

    # One POST on the link (a mail client's one-click) unsubscribes: the next campaign skips her.
    token = url.rpartition("/")[2]
    form: dict[str, str | None] = {"Content-Type": "application/x-www-form-urlencoded"}
    reply = call("unsubscribe", None, path={"token": token}, body="List-Unsubscribe=One-Click", headers=form)
    assert reply.status == 200, reply.body
    again = new_campaign([static_list("Fair again", [ada])], name="Second wave")
    post("scheduleCampaign", again["id"])
    later = FakeSes()
    run_batches(later, runs.started[1])
    assert later.sent == [] and report(again["id"])["skipped"] == 1


def test_the_message_lands_in_the_contact_s_timeline_with_its_campaign(runs: Runs):
    ada = person("Ada")
    campaign = new_campaign([static_list("Fair", [ada])])
    post("scheduleCampaign", campaign["id"])
    run_batches(FakeSes(), runs.started[0])
    items = call("listContactTimeline", MARKETER, record_id=ada).body["items"]
    [entry] = [item for item in items if item.get("campaign_id") == campaign["id"]]
    assert entry["template"] == "campaign" and entry["subject"] == "Spring offers, Ada"


def test_consent_is_read_when_the_message_goes_not_when_the_campaign_was_scheduled(runs: Runs):
    ada, bea = person("Ada"), person("Bea")
    campaign = new_campaign([static_list("Fair", [ada, bea])])
    post("scheduleCampaign", campaign["id"])
    change = {"channel": "email", "topic": "offers", "status": "opted_out", "source": "unsubscribe_link"}
    assert call("putContactConsent", record_id=bea, body=change).status == 200
    ses = FakeSes()
    run_batches(ses, runs.started[0])
    assert ses.recipients() == ["ada@tyrell.example"]


def test_a_batch_run_again_sends_nobody_a_second_copy(runs: Runs):
    people = [person(f"P{index}") for index in range(5)]
    campaign = new_campaign([static_list("Fair", people)])
    post("scheduleCampaign", campaign["id"])
    run = runs.started[0]
    ses = FakeSes()
    sender = Sender(ses, lambda channel: Pacer(1000, ses.clock.time, ses.clock.sleep), lambda: 600.0, "https://a")
    # The first attempt sends, then its answer is lost (the task state retries the same position), twice.
    for _ in range(3):
        send_batch(run.tenant_id, run.campaign_id, run.run, Position(), sender)
    assert len(ses.sent) == 5 and report(campaign["id"])["sent"] == 5


def test_at_twice_the_quota_ses_throttles_and_nothing_is_dropped_or_doubled(runs: Runs):
    people = [person(f"P{index:02}") for index in range(40)]
    campaign = new_campaign([static_list("Fair", people)])
    post("scheduleCampaign", campaign["id"])
    ses = FakeSes(quota=5)
    batches = run_batches(ses, runs.started[0], rate=10.0, budget=32.0)  # twice the quota, 2 s a batch
    assert ses.throttled > 0 and len(batches) > 1  # a batch's time ran out while throttled: the next went on
    assert ses.recipients() == sorted(f"p{index:02}@tyrell.example" for index in range(40))
    per_second: dict[int, int] = {}
    for message in ses.sent:
        per_second[int(message["at"])] = per_second.get(int(message["at"]), 0) + 1
    assert max(per_second.values()) <= 5
    assert report(campaign["id"])["sent"] == 40 and report(campaign["id"])["status"] == "sent"


def test_a_paused_campaign_stops_before_its_next_batch_and_resumes_without_doubles(runs: Runs):
    people = [person(f"P{index:03}") for index in range(120)]  # two pages of members
    campaign = new_campaign([static_list("Fair", people)])
    post("scheduleCampaign", campaign["id"])
    ses = FakeSes()
    first = runs.started[0]
    # The batch's time runs out once 100 went (the state machine's next batch would go on from its position).
    hurried = Sender(
        ses,
        lambda channel: Pacer(1000, ses.clock.time, ses.clock.sleep),
        lambda: 600.0 if len(ses.sent) < 100 else 0.0,
        "x",
    )
    partial = send_batch(first.tenant_id, first.campaign_id, first.run, Position(), hurried)
    assert not partial.done and len(ses.sent) == 100
    paused = post("pauseCampaign", campaign["id"])
    assert paused.status == 200 and paused.body["status"] == "paused"
    assert partial.position is not None
    sender = Sender(ses, lambda channel: Pacer(1000, ses.clock.time, ses.clock.sleep), lambda: 600.0, "https://a")
    stopped = send_batch(first.tenant_id, first.campaign_id, first.run, partial.position, sender)
    assert stopped.done and stopped.stopped == "the campaign is paused" and len(ses.sent) == 100

    # Edited while paused, then resumed: run 2 walks the audience from the start and sends only the other 20.
    edit = call(
        "updateCampaign",
        MARKETER,
        record_id=campaign["id"],
        body={"name": "Spring offers (b)"},
        headers={"If-Match": paused.etag},
    )
    assert edit.status == 200, edit.body
    assert post("resumeCampaign", campaign["id"]).body["status"] == "scheduled"
    second = runs.started[1]
    assert second.run == 2
    assert send_batch(first.tenant_id, first.campaign_id, first.run, Position(), sender).stopped == (
        "run 1 was followed by run 2"
    )
    run_batches(ses, second)
    assert ses.recipients() == sorted(f"p{index:03}@tyrell.example" for index in range(120))
    assert report(campaign["id"])["sent"] == 120


def test_a_cancelled_campaign_sends_nothing_more(runs: Runs):
    campaign = new_campaign([static_list("Fair", [person("Ada")])])
    post("scheduleCampaign", campaign["id"])
    assert post("cancelCampaign", campaign["id"]).body["status"] == "cancelled"
    ses = FakeSes()
    [batch] = run_batches(ses, runs.started[0])
    assert batch.stopped == "the campaign is cancelled" and ses.sent == []
    assert post("resumeCampaign", campaign["id"]).status == 409
    assert post("scheduleCampaign", campaign["id"]).status == 409


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"topic": "gossip"}, "topic"),
        ({"audience": {"segments": ["01JD5Y7M7ZV1W4T5C9H2K3N4ZZ"]}}, "audience.segments[0]"),
        ({"audience": {"segments": [], "exclude": []}}, "audience.segments"),
        ({"content": {"subject": "Hi", "text": "{{ recipient.salary }}"}}, "content.text"),
        ({"content": {"text": "no subject"}}, "content.subject"),
        ({"channel": "sms"}, "content.subject"),  # an SMS has only text
        ({"send_at": "tomorrow"}, "send_at"),
    ],
)
def test_a_bad_campaign_is_a_422_naming_the_field(change: dict[str, Any], field: str):
    segment = static_list("Fair", [person("Ada")])
    body = {
        "name": "Spring offers",
        "channel": "email",
        "topic": "offers",
        "content": CONTENT,
        "audience": {"segments": [segment]},
        **change,
    }
    reply = call("createCampaign", MARKETER, body=body, headers={"Idempotency-Key": None})
    assert reply.status == 422, reply.body
    assert field in [error["field"] for error in reply.body["errors"]], reply.body


def test_a_campaign_wrong_in_its_content_topic_and_audience_at_once_hears_of_each_in_one_422():
    body = {
        "name": "Spring offers",
        "channel": "email",
        "topic": "gossip",
        "content": {"subject": "Hi", "text": "{{ recipient.salary }}"},
        "audience": {"segments": ["01JD5Y7M7ZV1W4T5C9H2K3N4ZZ"], "exclude": ["01JD5Y7M7ZV1W4T5C9H2K3N4ZY"]},
    }
    reply = call("createCampaign", MARKETER, body=body, headers={"Idempotency-Key": None})
    assert reply.status == 422, reply.body
    fields = [error["field"] for error in reply.body["errors"]]
    assert fields == ["content.text", "topic", "audience.segments[0]", "audience.exclude[0]"], reply.body


def test_an_email_campaign_needs_the_postal_address_to_be_scheduled(runs: Runs):
    campaign = new_campaign([static_list("Fair", [person("Ada")])])
    settings = call("getMarketingSettings", MARKETER)
    body = {"topics": ["offers"]}
    assert call("putMarketingSettings", MARKETER, body=body, headers={"If-Match": settings.etag}).status == 200
    reply = post("scheduleCampaign", campaign["id"])
    assert reply.status == 409 and "postal_address" in reply.body["detail"] and runs.started == []


def test_a_scheduled_campaign_is_edited_only_once_paused_and_moves_only_as_its_status_allows(runs: Runs):
    campaign = new_campaign([static_list("Fair", [person("Ada")])])
    assert post("pauseCampaign", campaign["id"]).status == 409  # a draft has no run to pause
    scheduled = post("scheduleCampaign", campaign["id"])
    edit = call(
        "updateCampaign", MARKETER, record_id=campaign["id"], body={"name": "New"}, headers={"If-Match": scheduled.etag}
    )
    assert edit.status == 409 and "pause" in edit.body["detail"]
    assert post("scheduleCampaign", campaign["id"]).status == 200  # again: the same run, started once
    assert [run.run for run in runs.started] == [1, 1]
    assert post("resumeCampaign", campaign["id"]).status == 200  # scheduled already: nothing to resume


def test_sales_read_campaigns_but_only_marketers_make_and_send_them(runs: Runs):
    campaign = new_campaign([static_list("Fair", [person("Ada")])])
    assert call("getCampaign", SALES, record_id=campaign["id"]).status == 200
    body = {"name": "x", "channel": "email", "topic": "offers", "content": CONTENT, "audience": campaign["audience"]}
    assert call("createCampaign", SALES, body=body, headers={"Idempotency-Key": None}).status == 403
    assert post("scheduleCampaign", campaign["id"], SALES).status == 403
    assert runs.started == []


def ses_event(kind: str, message: dict[str, Any], detail: dict[str, Any] | None = None) -> dict[str, Any]:
    """SES's event notification for `message` (as FakeSes recorded it), as the feedback topic delivers it."""
    tags = {name: [value] for name, value in message["tags"].items()}
    mail = {"messageId": "m-1", "destination": [message["to"]], "tags": tags}
    body = {"eventType": kind, "mail": mail, kind.lower(): detail or {}}
    return {"Records": [{"EventSource": "aws:sns", "Sns": {"Message": json.dumps(body)}}]}


def test_deliveries_bounces_and_complaints_fill_the_report_once_each(runs: Runs):
    from ses_feedback import handler as feedback

    ada, bea = person("Ada"), person("Bea")
    campaign = new_campaign([static_list("Fair", [ada, bea])])
    post("scheduleCampaign", campaign["id"])
    ses = FakeSes()
    run_batches(ses, runs.started[0])
    to_ada, to_bea = sorted(ses.sent, key=lambda message: str(message["to"]))
    permanent = {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": to_bea["to"]}]}
    transient = {"bounceType": "Transient", "bouncedRecipients": [{"emailAddress": to_bea["to"]}]}
    complaint = {"complainedRecipients": [{"emailAddress": to_ada["to"]}]}
    for event in (
        ses_event("Delivery", to_ada),
        ses_event("Delivery", to_ada),  # redelivered by SNS: counted once
        ses_event("Bounce", to_bea, transient),  # SES tries again: not a bounce yet
        ses_event("Bounce", to_bea, permanent),
        ses_event("Delivery", to_bea),  # after a bounce: one or the other
        ses_event("Complaint", to_ada, complaint),
    ):
        feedback.lambda_handler(event, CONTEXT)

    figures = report(campaign["id"])
    assert (figures["delivered"], figures["bounced"], figures["complained"]) == (1, 1, 1)
    sends = {
        send["contact_id"]: send for send in call("listCampaignSends", MARKETER, record_id=campaign["id"]).body["items"]
    }
    assert sends[ada]["delivered_at"] and sends[ada]["complained_at"] and not sends[ada]["bounced_at"]
    assert sends[bea]["bounced_at"] and not sends[bea]["delivered_at"]
    # What SES's feedback does to contacts still happens: a complaint opts out, a bounce marks the address.
    assert call("getContact", record_id=ada).body["consent"]["email"]["status"] == "opted_out"
    assert call("getContact", record_id=bea).body["email_status"]["status"] == "invalid"


# Tracking: links through Rapport, an open pixel, machines apart, unsubscribes per campaign

HTML_CONTENT = {
    "subject": "Spring offers",
    "text": "Hello {{ recipient.first_name }}! See https://shop.example/spring. Or (https://shop.example/faq)",
    "html": '<p>Hello!</p><p><a href="https://shop.example/spring?a=1&amp;b=2">Shop</a></p>'
    f'<p><a href="https://shop.example/?q={"x" * 900}">Too long to track</a></p>',
}
PERSON = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko)"
SCANNER = "Mozilla/5.0 (compatible; Barracuda Sentinel (EE))"


def _tokens(text: str, path: str) -> list[str]:
    return re.findall(rf"{re.escape(PUBLIC_URL)}{path}([A-Za-z0-9_-]+\.[A-Za-z0-9_-]{{43}})", text)


def _one_sent(runs: Runs, content: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    ada = person("Ada")
    campaign = new_campaign([static_list("Fair", [ada])], content=content)
    post("scheduleCampaign", campaign["id"])
    ses = FakeSes()
    run_batches(ses, runs.started[0])
    [message] = ses.sent
    return ada, str(campaign["id"]), message


def _send_of(campaign_id: str) -> dict[str, Any]:
    [send] = call("listCampaignSends", MARKETER, record_id=campaign_id).body["items"]
    return dict(send)


def test_an_email_s_links_lead_through_rapport_to_where_they_led_and_its_html_loads_an_open_pixel(runs: Runs):
    _, campaign_id, message = _one_sent(runs, HTML_CONTENT)
    [spring, faq] = _tokens(message["text"], "/public/clicks/")
    assert f"{spring}. Or (" in message["text"] and f"{faq})" in message["text"]  # punctuation stays outside
    [html_link] = _tokens(message["html"], "/public/clicks/")
    [pixel] = _tokens(message["html"], "/public/opens/")
    assert f'href="https://shop.example/?q={"x" * 900}"' in message["html"]  # too long for a token: as written
    unsubscribe = message["headers"]["List-Unsubscribe"].strip("<>")
    assert unsubscribe in message["text"] and "/public/clicks/" not in unsubscribe  # never through a tracked link

    reply = call("followCampaignLink", None, path={"token": html_link}, identity={"userAgent": PERSON})
    assert reply.status == 302 and reply.headers["location"] == "https://shop.example/spring?a=1&b=2"
    assert reply.headers["cache-control"].startswith("no-store")
    reply = call("followCampaignLink", None, path={"token": faq}, identity={"userAgent": PERSON})
    assert reply.headers["location"] == "https://shop.example/faq"
    image = call("loadCampaignPixel", None, path={"token": pixel}, identity={"userAgent": PERSON})
    assert image.status == 200 and image.headers["content-type"] == "image/gif" and image.body[:6] == b"GIF89a"
    # Within seconds of the send, a mail scanner's: counted apart, once each.
    figures = report(campaign_id)
    counted = ("machine_clicked", "machine_opened", "clicked", "opened")
    assert [figures[name] for name in counted] == [1, 1, 0, 0]
    assert _send_of(campaign_id)["machine_clicked_at"] and not _send_of(campaign_id)["clicked_at"]


def test_a_changed_or_foreign_tracking_token_is_a_400_naming_the_token(runs: Runs):
    _, _, message = _one_sent(runs, HTML_CONTENT)
    [link] = _tokens(message["html"], "/public/clicks/")
    [pixel] = _tokens(message["html"], "/public/opens/")
    payload, _, signature = link.partition(".")
    changed = f"{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{signature}"
    unsubscribe = message["headers"]["List-Unsubscribe"].strip("<>").rpartition("/")[2]
    for operation, token in (
        ("followCampaignLink", changed),
        ("followCampaignLink", pixel),  # an open pixel's token is not a link's
        ("loadCampaignPixel", link),
        ("followCampaignLink", unsubscribe),
    ):
        reply = call(operation, None, path={"token": token})
        assert reply.status == 400 and problem_field(reply.body) == "token", (operation, reply.body)


def problem_field(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["field"])


def test_people_s_opens_and_clicks_count_once_each_and_machines_apart(runs: Runs):
    from rapport.campaigns import tracking
    from rapport.consent import links
    from rapport.consent.links import Purpose

    _, campaign_id, message = _one_sent(runs, HTML_CONTENT)
    [link] = [links.read(token, Purpose.CLICK) for token in _tokens(message["html"], "/public/clicks/")]
    [pixel] = [links.read(token, Purpose.OPEN) for token in _tokens(message["html"], "/public/opens/")]
    sent_at = datetime.fromisoformat(_send_of(campaign_id)["at"])
    later = sent_at + timedelta(minutes=5)
    tracking.opened(pixel, PERSON, sent_at + timedelta(seconds=2))  # a privacy proxy, as the email arrives
    tracking.clicked(link, SCANNER, later)  # a link scanner, whenever it comes
    tracking.opened(pixel, None, later)  # no user agent: not a mail client
    counted = ("opened", "machine_opened", "clicked", "machine_clicked")
    assert [report(campaign_id)[name] for name in counted] == [0, 1, 0, 1]
    tracking.clicked(link, PERSON, later)  # a person clicks (images off): a click and an open
    tracking.clicked(link, PERSON, later + timedelta(minutes=1))
    tracking.opened(pixel, PERSON, later + timedelta(minutes=2))
    figures = report(campaign_id)
    assert [figures[name] for name in counted] == [1, 1, 1, 1]
    assert (figures["opened_rate"], figures["clicked_rate"]) == (1.0, 1.0)
    send = _send_of(campaign_id)
    first = later.replace(microsecond=0)  # stamped to the second
    assert datetime.fromisoformat(send["opened_at"]) == datetime.fromisoformat(send["clicked_at"]) == first


def test_an_unsubscribe_through_a_campaign_s_email_counts_once_on_its_report_and_no_other(runs: Runs):
    ada, campaign_id, message = _one_sent(runs, CONTENT)
    token = message["headers"]["List-Unsubscribe"].strip("<>").rpartition("/")[2]
    form: dict[str, str | None] = {"Content-Type": "application/x-www-form-urlencoded"}
    page = call("getUnsubscribePage", None, path={"token": token})
    assert page.status == 200 and report(campaign_id)["unsubscribed"] == 0  # a GET (a link scanner) changes nothing
    for _ in range(2):
        reply = call("unsubscribe", None, path={"token": token}, body="List-Unsubscribe=One-Click", headers=form)
        assert reply.status == 200, reply.body
    assert report(campaign_id)["unsubscribed"] == 1 and _send_of(campaign_id)["unsubscribed_at"]
    assert call("getContact", record_id=ada).body["consent"]["topics"]["email"]["offers"]["status"] == "opted_out"


def test_texts_are_not_tracked_and_their_report_has_no_rates(runs: Runs):
    ada = person("Ada", phone="+14155550100", offers=None, email_status=None)
    sms = {"channel": "sms", "status": "opted_in", "at": AT, "source": "web_form"}
    assert call("putContactConsent", record_id=ada, body=sms).status == 200
    topic = {"channel": "sms", "topic": "offers", "status": "opted_in", "at": AT, "source": "web_form"}
    assert call("putContactConsent", record_id=ada, body=topic).status == 200
    text = {"text": "Offers at https://shop.example/spring"}
    campaign = new_campaign([static_list("Texts", [ada])], channel="sms", content=text)
    post("scheduleCampaign", campaign["id"])
    ses = FakeSes()
    run_batches(ses, runs.started[0])
    [message] = ses.sent
    assert "https://shop.example/spring" in message["text"] and "/public/clicks/" not in message["text"]
    figures = report(campaign["id"])
    assert figures["sent"] == 1 and figures["opened_rate"] is None and figures["clicked_rate"] is None


# Attribution: won deals and placed orders credited to the campaigns that touched them before, under each model


def _attribute(kinds: tuple[str, ...] = ("deal.created", "deal.won", "order.created")) -> list[dict[str, Any]]:
    """The attribution worker on each conversion event published so far, each delivered twice (as the bus may)."""
    from campaign_attribution.handler import lambda_handler as attribute

    from tests.integration.outbox import published

    answers = []
    for event in [event for event in published() if event.detail_type in kinds] * 2:
        answers.append(attribute({"detail": event.model_dump(mode="json")}, CONTEXT))
    return answers


def _sent_campaign(runs: Runs, name: str, people: list[str], **fields: Any) -> str:
    campaign = new_campaign([static_list(name, people)], name=name, **fields)
    post("scheduleCampaign", campaign["id"])
    run_batches(FakeSes(), runs.started[-1])
    return str(campaign["id"])


def credited(campaign_id: str, model: str) -> tuple[float, list[dict[str, str]], float | None]:
    reply = call("getCampaignReport", MARKETER, record_id=campaign_id, query={"attribution": model})
    assert reply.status == 200, reply.body
    return reply.body["deals_won"], reply.body["revenue"], reply.body["roi"]


def test_a_won_deal_is_credited_to_the_campaigns_that_touched_its_contacts_before_it_under_each_model(runs: Runs):
    from rapport.deals.money import DEFAULT_TENANT_CURRENCY as CURRENCY
    from tests.integration.sales import deal, move, pipeline

    ada, bea = person("Ada"), person("Bea")
    spring = _sent_campaign(runs, "Spring", [ada, bea], cost={"amount": "100.00", "currency": CURRENCY})
    summer = _sent_campaign(runs, "Summer", [ada])
    move(deal(pipeline()["id"], contact_ids=[ada, bea], amount="1200.00"), "Won")
    after = _sent_campaign(runs, "After the win", [ada])  # after the deal was won: never credited
    deal(pipeline()["id"], contact_ids=[bea], amount="300.00", stage="Won")  # made won: logged after the fact
    _attribute()

    # The first deal's touches, oldest first: Spring to Ada, Spring to Bea, Summer to Ada; the second's: Spring to Bea.
    assert credited(spring, "first_touch") == (2.0, [{"amount": "1500.00", "currency": CURRENCY}], 14.0)
    assert credited(summer, "first_touch") == (0.0, [], None)
    assert credited(spring, "last_touch") == (1.0, [{"amount": "300.00", "currency": CURRENCY}], 2.0)
    assert credited(summer, "last_touch") == (1.0, [{"amount": "1200.00", "currency": CURRENCY}], None)
    assert credited(spring, "linear") == (1.667, [{"amount": "1100.00", "currency": CURRENCY}], 10.0)
    assert credited(summer, "linear") == (0.333, [{"amount": "400.00", "currency": CURRENCY}], None)
    assert credited(after, "linear") == (0.0, [], None)
    default = report(summer)
    assert default["attribution"] == "last_touch" and default["deals_won"] == 1.0
    wrong = call("getCampaignReport", MARKETER, record_id=summer, query={"attribution": "u_shaped"})
    assert wrong.status in (400, 422) and "attribution" in json.dumps(wrong.body), wrong.body


def test_a_deal_without_campaign_contacts_or_not_won_is_credited_to_nobody(runs: Runs):
    from tests.integration.sales import deal, move, pipeline

    ada, cal = person("Ada"), person("Cal")
    spring = _sent_campaign(runs, "Spring", [ada])
    sales = pipeline()
    move(deal(sales["id"], contact_ids=[cal]), "Won")  # Cal got no campaign
    move(deal(sales["id"], contact_ids=[ada]), "Lost", lost_reason="price")
    deal(sales["id"], contact_ids=[ada])  # open
    deal(sales["id"], stage="Won")  # no contacts at all
    _attribute()
    assert credited(spring, "linear") == (0.0, [], None)


def touched(contact_id: str, campaign_id: str, at: datetime) -> None:
    """The campaign's message in the contact's timeline at `at`, as the sender puts it."""
    from ulid import ULID

    from rapport import timeline
    from rapport.contacts.manifest import CONTACT
    from rapport.dal.repository import Parent, UnitOfWork
    from rapport.timeline.models import NotificationEntry

    entry = NotificationEntry(
        id=str(ULID.from_datetime(at)),
        occurred_at=at,
        created_by="campaign_sender",
        contact_id=contact_id,
        type="email",
        template="campaign",
        campaign_id=campaign_id,
    )
    work = UnitOfWork()
    for item in timeline.entry_items("tenant-a", entry, [Parent(CONTACT, contact_id)]):
        work.put_item(item)
    work.commit()


def test_a_message_older_than_the_tenant_s_window_is_not_credited():
    from rapport.campaigns import attribution

    ada = person("Ada")
    now = datetime.now(UTC)
    touched(ada, "old", now - timedelta(days=100))
    touched(ada, "recent", now - timedelta(days=30))
    touched(ada, "later", now + timedelta(days=1))  # after the conversion
    found = attribution.touches("tenant-a", [ada], now, timedelta(days=90))
    assert [touch.campaign_id for touch in found] == ["recent"]
    assert [touch.campaign_id for touch in attribution.touches("tenant-a", [ada], now, timedelta(days=365))] == [
        "recent",
        "old",
    ]


def test_the_attribution_window_is_a_marketing_setting_from_1_to_365_days():
    current = call("getMarketingSettings", MARKETER).body
    assert current["attribution_window_days"] == 90
    for days, status in ((0, 422), (366, 422), (30, 200)):
        body = {"topics": current["topics"], "postal_address": POSTAL, "attribution_window_days": days}
        version = call("getMarketingSettings", MARKETER).body["version"]
        reply = call("putMarketingSettings", MARKETER, body=body, headers={"If-Match": f'"{version}"'})
        assert reply.status == status, reply.body
    assert call("getMarketingSettings", MARKETER).body["attribution_window_days"] == 30


def test_a_placed_order_is_credited_to_the_campaign_its_contact_got_before_and_a_cancelled_one_is_not():
    from rapport.deals.money import DEFAULT_TENANT_CURRENCY as CURRENCY

    ada = person("Ada")
    spring = new_campaign([static_list("Spring", [ada])], cost={"amount": "50.00", "currency": CURRENCY})["id"]
    touched(ada, spring, datetime.now(UTC) - timedelta(days=1))  # its message, yesterday
    create("createProduct", SALES.as_("manager"), sku="KIT", name="Kit", unit_price="100.00")
    lines = [{"sku": "KIT", "quantity": 2}]
    create("createOrder", number="A-1", contact_id=ada, lines=lines)
    create("createOrder", number="A-2", contact_id=ada, lines=lines, status="cancelled")
    _attribute()
    figures = call("getCampaignReport", MARKETER, record_id=spring).body
    assert (figures["orders"], figures["deals_won"]) == (1.0, 0.0)
    assert (figures["revenue"], figures["roi"]) == ([{"amount": "200.00", "currency": CURRENCY}], 3.0)
    version = call("getCampaign", MARKETER, record_id=spring).body["version"]
    euros = {"cost": {"amount": "50.00", "currency": "EUR" if CURRENCY != "EUR" else "GBP"}}
    assert (
        call("updateCampaign", MARKETER, record_id=spring, body=euros, headers={"If-Match": f'"{version}"'}).status
        == 200
    )
    assert report(spring)["roi"] is None  # revenue in another currency than the cost's: no return computed


def test_a_reply_counts_once_on_the_latest_campaign_message_before_it(runs: Runs):
    ada, bea = person("Ada"), person("Bea")
    spring = _sent_campaign(runs, "Spring", [ada, bea])
    summer = _sent_campaign(runs, "Summer", [ada])
    case = create("createCase", subject="About your offer", contact_id=ada, channel="email")
    create("createCase", subject="Called us", contact_id=bea, channel="phone")  # staff logging a call: no reply
    answer = {"body": "One more thing", "author": "customer", "visibility": "public"}
    assert call("addCaseMessage", record_id=case["id"], body=answer).status == 201
    kinds = ("case.created", "case.message_added", "activity.created")
    _attribute(kinds)
    assert (report(spring)["replied"], report(summer)["replied"]) == (0, 1)  # the latest message before, once
    [send] = call("listCampaignSends", MARKETER, record_id=summer).body["items"]
    assert send["replied_at"]
    create("createActivity", type="email", direction="inbound", contact_id=bea, subject="Re: Spring")
    _attribute(kinds)
    assert (report(spring)["replied"], report(summer)["replied"]) == (1, 1)


def test_a_lead_made_for_a_campaign_counts_once_and_one_for_no_campaign_nowhere(runs: Runs):
    ada = person("Ada")
    spring = _sent_campaign(runs, "Spring", [ada])
    create("createLead", last_name="Holden", company="LAPD", campaign_id=spring)
    create("createLead", last_name="Bryant", company="LAPD", campaign_id="no-such-campaign")
    create("createLead", last_name="Gaff", company="LAPD")
    answers = _attribute(("lead.created",))
    assert report(spring)["leads_created"] == 1
    assert sorted(a for answer in answers for a in answer["credited"]) == [f"{spring}:lead"]
