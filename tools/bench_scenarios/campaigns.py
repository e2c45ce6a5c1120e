"""The campaigns' scenario for `make bench` (tools.bench_scenarios): a draft to a static list, read, listed, its
report and its sends; and, in a section of its own, a campaign's sending against the local SES's quota (`sending`).
"""

from __future__ import annotations

import email
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from email.utils import getaddresses
from typing import Any

from botocore.exceptions import ClientError  # type: ignore[import-untyped]
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from local import sesquota
from rapport import aws, config
from rapport.campaigns.runs import CampaignRun
from tools.bench_scenarios import Operation, save_marketing_settings
from tools.lambda_api import Staff, call, create

MARKETER = Staff().as_("marketing")


def operations(account_id: str) -> list[Operation]:
    save_marketing_settings()
    contact = create("createContact", last_name="Campaigns", account_id=account_id)["id"]
    segment = create("createSegment", MARKETER, name="Bench campaign list", kind="static")["id"]
    call("changeSegmentMembers", MARKETER, record_id=segment, body={"add": [contact]})
    campaign = create(
        "createCampaign",
        MARKETER,
        name="Bench offers",
        channel="email",
        topic="offers",
        content={"subject": "Offers, {{ recipient.first_name }}", "text": "20 % off"},
        audience={"segments": [segment]},
    )["id"]
    return [
        ("GET /campaigns/{id}", lambda: call("getCampaign", record_id=campaign)),
        ("GET /campaigns", lambda: call("listCampaigns")),
        ("GET /campaigns/{id}/report", lambda: call("getCampaignReport", record_id=campaign)),
        ("GET /campaigns/{id}/sends", lambda: call("listCampaignSends", record_id=campaign)),
    ]


# Campaign sending against SES's quota: `make bench`'s own section (tools.bench), not a request count.

# Recipients a second: the local SES's maximum send rate (local.sesquota). In this process a recipient takes some
# 20-30 ms of work (its claim, its message, its send, its transaction under moto): at 50 a second the sender would
# measure this machine, not its pace (80 %: 25 ms a recipient).
SENDING_QUOTA = 20.0
RECIPIENTS = 200
TRANSACTIONAL_SHARE = 0.4  # of the quota, sent meanwhile by another sender (the notifier's messages)
CUT_SHORT = 2.0  # seconds of sending a batch has before its time runs out, in the shared run
MAX_BATCHES = 60  # a run that needs more does not move on: the bench fails
SENDER_EMAIL = "news@bench.example"
READERS = "@readers.example"  # the campaign's recipients' domain (the other sender's are elsewhere)
SENDING_ENVIRONMENT = {
    "SENDER_EMAIL": SENDER_EMAIL,
    "APP_URL": "https://app.bench.example",
    "PUBLIC_URL": "https://api.bench.example",
}
AT = "2026-01-05T10:00:00Z"
CONSENT = {
    "email": {"status": "opted_in", "at": AT, "source": "web_form"},
    "topics": {"email": {"offers": {"status": "opted_in", "at": AT, "source": "web_form"}}},
}
TWO_COPIES = "recipients with two copies"
Figures = dict[str, float]


def sending() -> dict[str, Figures]:
    """A campaign to RECIPIENTS opted-in contacts of a static list, sent by the campaign sender's handler (its
    batches called as the state machine calls them) against the local SES holding to SENDING_QUOTA, under moto
    (tools.bench's tables). Three columns of figures: the campaign alone; its batch run again (the task retried
    after its answer was lost); a second campaign while another sender takes TRANSACTIONAL_SHARE of the quota, each
    batch's time running out after CUT_SHORT seconds of sending (the next goes on from where it stopped) and the
    first batch run again. Raises SystemExit when anyone got two copies, or the campaign did not reach everyone."""
    from campaigns import handler as campaigns_handler

    from rapport.campaigns.sending import RESERVE, Pacer

    for name, value in SENDING_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    config.reload()
    aws.reset()
    aws.client("ses").verify_email_identity(EmailAddress=SENDER_EMAIL)
    save_marketing_settings()
    segment = _readers()
    runs: list[CampaignRun] = []
    slowed = [0]

    def counted(slow_down: Callable[[Pacer], None]) -> Callable[[Pacer], None]:
        def slow_down_counted(pacer: Pacer) -> None:
            slowed[0] += 1
            slow_down(pacer)

        return slow_down_counted

    def measured(run: CampaignRun, send: Callable[[], None], since: int) -> Figures:
        """`send`'s figures; its copies counted over what SES sent since its `since`-th (the campaign's first)."""
        sent, throttled, slowed[0] = _sent_messages(), sesquota.throttled(), 0
        started = time.monotonic()
        send()
        seconds = time.monotonic() - started
        recipients = _recipients(sent)
        mine = [to for to in recipients if to.endswith(READERS)]
        copies = Counter(to for to in _recipients(since) if to.endswith(READERS))
        return {
            "recipients sent": len(mine),
            "seconds": seconds,
            "recipients a second": len(mine) / seconds,
            "% of SES's max send rate": 100 * len(mine) / seconds / SENDING_QUOTA,
            "another sender's recipients a second": (len(recipients) - len(mine)) / seconds,
            "throttled by SES (botocore retried)": sesquota.throttled() - throttled,
            "throttled for the sender (slowed, backed off)": slowed[0],
            TWO_COPIES: sum(1 for count in copies.values() if count > 1),
            "reported sent": _report(run)["sent"],
        }

    with ExitStack() as patches:
        patches.enter_context(_swapped(campaigns_handler, "start_execution", runs.append))  # what Step Functions runs
        patches.enter_context(_swapped(Pacer, "slow_down", counted(Pacer.slow_down)))
        patches.enter_context(sesquota.send_quota(SENDING_QUOTA))
        patches.enter_context(_quiet_sender())

        first, since = _scheduled(runs, segment, "Bench offers, alone"), _sent_messages()
        alone = measured(first, lambda: _done(_batch(first, None, 900.0)), since)
        again = measured(first, lambda: _done(_batch(first, None, 900.0), "the campaign is sent"), since)

        second, since = _scheduled(runs, segment, "Bench offers, shared"), _sent_messages()

        def shared_cut_short_and_retried() -> None:
            short = RESERVE + CUT_SHORT
            with _Transactional(SENDING_QUOTA * TRANSACTIONAL_SHARE):
                _batch(second, None, short)  # its answer lost: the task retried, from the start
                reply = _batch(second, None, short)
                for _ in range(MAX_BATCHES):
                    _no_two_copies(since)
                    if reply["done"]:
                        break
                    reply = _batch(second, reply["position"], short)
            _done(reply)

        shared = measured(second, shared_cut_short_and_retried, since)
    columns = {"alone": alone, "run again": again, "shared, cut short, retried": shared}
    for label, figures in columns.items():
        if figures[TWO_COPIES]:
            raise SystemExit(f"campaign sending ({label}): {figures[TWO_COPIES]:.0f} recipient(s) got two copies")
    for label, figures in (("alone", alone), ("shared, cut short, retried", shared)):
        if figures["recipients sent"] != RECIPIENTS or figures["reported sent"] != RECIPIENTS:
            raise SystemExit(f"campaign sending ({label}): {figures['recipients sent']:.0f} of {RECIPIENTS} sent")
    if not shared["throttled by SES (botocore retried)"]:
        raise SystemExit("campaign sending: two senders above the quota, and the local SES throttled neither")
    return columns


def _readers() -> str:
    """RECIPIENTS contacts who opted in to email and its offers, in a static segment: its id."""
    people = [
        create(
            "createContact",
            first_name=f"Reader{index:03}",
            last_name="Bench",
            email=f"reader{index:03}{READERS}",
            consent=CONSENT,
        )["id"]
        for index in range(RECIPIENTS)
    ]
    segment = str(create("createSegment", MARKETER, name="Bench readers", kind="static")["id"])
    for start in range(0, len(people), 25):
        call("changeSegmentMembers", MARKETER, record_id=segment, body={"add": people[start : start + 25]})
    return segment


def _scheduled(runs: list[CampaignRun], segment: str, name: str) -> CampaignRun:
    """A campaign of offers to the segment, scheduled: its run."""
    campaign_id = create(
        "createCampaign",
        MARKETER,
        name=name,
        channel="email",
        topic="offers",
        content={"subject": "Offers, {{ recipient.first_name }}", "text": "20 % off"},
        audience={"segments": [segment]},
    )["id"]
    reply = call("scheduleCampaign", MARKETER, record_id=campaign_id, body=None, headers={"If-Match": None})
    if reply.status != 200:
        raise SystemExit(f"campaign sending: scheduling answered {reply.status}: {reply.body}")
    return runs[-1]


def _batch(run: CampaignRun, position: Any, seconds: float) -> dict[str, Any]:
    """The campaign sender's handler on the run's batch from `position`, with `seconds` left to it."""
    from campaign_sender import handler

    event = {"tenant_id": run.tenant_id, "campaign_id": run.campaign_id, "run": run.run, "position": position}
    context: Any = _Context(seconds)
    return dict(handler.lambda_handler(event, context))


def _no_two_copies(since: int) -> None:
    copies = Counter(to for to in _recipients(since) if to.endswith(READERS))
    doubled = sum(1 for count in copies.values() if count > 1)
    if doubled:
        raise SystemExit(f"campaign sending: {doubled} recipient(s) got two copies")


def _done(reply: dict[str, Any], stopped: str | None = None) -> None:
    if not reply["done"] or reply["stopped"] != stopped:
        raise SystemExit(f"campaign sending: the run did not end as sent: {reply}")


@contextmanager
def _swapped(owner: Any, name: str, value: Any) -> Iterator[None]:
    kept = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, kept)


@contextmanager
def _quiet_sender() -> Iterator[None]:
    """The campaign sender logs a line a batch."""
    from campaign_sender import handler

    level = handler.logger.log_level
    handler.logger.setLevel("WARNING")
    try:
        yield
    finally:
        handler.logger.setLevel(level)


class _Context:
    """The campaign sender's Lambda context, its time running out `seconds` from now."""

    function_name = "rapport-bench-campaign-sender"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:rapport-bench-campaign-sender"
    aws_request_id = "bench"

    def __init__(self, seconds: float) -> None:
        self._ends = time.monotonic() + seconds

    def get_remaining_time_in_millis(self) -> int:
        return int((self._ends - time.monotonic()) * 1000)


class _Transactional(threading.Thread):
    """Another sender on the account, while in its block: `rate` plain emails a second, with botocore's retries as
    the notifier has them."""

    def __init__(self, rate: float) -> None:
        super().__init__(name="transactional", daemon=True)
        self.interval, self.sent, self.refused, self._stopping = 1.0 / rate, 0, 0, threading.Event()

    def __enter__(self) -> _Transactional:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopping.set()
        self.join()

    def run(self) -> None:
        ses = aws.client("ses")
        message = {"Subject": {"Data": "Your order"}, "Body": {"Text": {"Data": "It ships today."}}}
        turn = time.monotonic()
        while not self._stopping.is_set():
            to = {"ToAddresses": [f"buyer{self.sent}@shop.example"]}
            try:
                ses.send_email(Source=SENDER_EMAIL, Destination=to, Message=message)
            except ClientError:
                self.refused += 1  # throttled still after botocore's retries: the notifier would retry later
            else:
                self.sent += 1
            turn += self.interval
            self._stopping.wait(max(turn - time.monotonic(), 0.0))


def _sent_messages() -> int:
    return len(ses_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_REGION"]].sent_messages)


def _recipients(since: int) -> list[str]:
    """The addresses of each message moto's SES sent since its `since`-th."""
    found = []
    for message in ses_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_REGION"]].sent_messages[since:]:
        if hasattr(message, "raw_data"):
            parsed = email.message_from_string(message.raw_data)
            found += [address for _, address in getaddresses(parsed.get_all("To", []))]
        else:
            found += list(message.destinations.get("ToAddresses", []))
    return found


def _report(run: CampaignRun) -> dict[str, Any]:
    reply = call("getCampaignReport", MARKETER, record_id=run.campaign_id)
    if reply.status != 200:
        raise SystemExit(f"campaign sending: the report answered {reply.status}: {reply.body}")
    return dict(reply.body)
