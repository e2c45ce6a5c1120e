"""Campaigns as the API serves them: their records (RecordService), their life cycle (schedule, pause, resume,
cancel: each a checked move of `status`, which starts a run where it must), copies to staff before sending, the
report and the sends.

What a campaign may be is checked when it is written: its content renders as a message of its channel (only the
recipient's placeholders), its topic is one of the tenant's, its segments exist. Once it is scheduled, its fields
stay as they are until it is paused (rapport.campaigns.models.EDITABLE), so a run sends what was scheduled.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from rapport import normalize
from rapport.auth import Action, Caller
from rapport.campaigns import store
from rapport.campaigns.manifest import CAMPAIGN
from rapport.campaigns.models import (
    EDITABLE,
    AttributionModel,
    Campaign,
    CampaignCreate,
    CampaignReport,
    CampaignStatus,
    CampaignStored,
    SampleCopy,
    SampleSend,
    SampleSent,
    Send,
)
from rapport.campaigns.runs import CampaignRun, StartRun
from rapport.consent.settings import MARKETING_SETTINGS
from rapport.dal import access, repository
from rapport.dal.repository import Guard, IndexKeys, Record, UnitOfWork
from rapport.errors import Conflict, FieldError, InvalidInput, NotFound
from rapport.notifications.catalog import RECIPIENT, SMS_MAX_LENGTH, TemplateSpec
from rapport.notifications.catalog import Channel as MessageChannel
from rapport.notifications.models import TemplateContent
from rapport.notifications.notifier import Rejected, Throttled, Transport
from rapport.notifications.templates import check, render_content
from rapport.pagination import Page
from rapport.records import RecordService
from rapport.segments.manifest import SEGMENT
from rapport.types import utc_now
from rapport.users.manifest import USER

MESSAGE = TemplateSpec(
    "campaign",
    "A campaign's message",
    frozenset(RECIPIENT),
    frozenset(),
    {"recipient": {"name": "Ada Lovelace", "first_name": "Ada"}},
)
FIELDS = frozenset(CampaignCreate.model_fields)
SAMPLE_PREFIX = "[Test] "
# What became of the sent messages, counted once a send (rapport.campaigns.store.record_outcome)
OUTCOMES = (
    *("delivered", "bounced", "complained", "unsubscribed"),
    *("opened", "machine_opened", "clicked", "machine_clicked"),
)
SCHEDULABLE = frozenset({CampaignStatus.DRAFT})
PAUSABLE = frozenset({CampaignStatus.SCHEDULED, CampaignStatus.SENDING})
CANCELLABLE = frozenset({CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.SENDING, CampaignStatus.PAUSED})


def wait_stamp(at: datetime) -> str:
    """`at` as a Wait state's TimestampPath takes it: UTC, milliseconds, `Z`."""
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def content_of(data: Mapping[str, Any]) -> TemplateContent:
    return TemplateContent.model_validate(data["content"])


class CampaignService(RecordService[CampaignCreate, Campaign]):
    kind = CAMPAIGN
    resource = "campaigns"
    label = "campaign"
    create_model = CampaignStored
    out_model = Campaign

    def guards(self, data: Mapping[str, Any]) -> dict[Guard, str]:
        return {}

    def index_keys(self, tenant_id: str, record_id: str, data: Mapping[str, Any], *, deleted: bool) -> IndexKeys:
        return store.index_keys(tenant_id, record_id, normalize.name_key(data["name"]), deleted=deleted)

    def derive(self, tenant_id: str, data: dict[str, Any], before: Record | None) -> dict[str, Any]:
        """A campaign's fields change only while it is editable; what changed is checked."""
        previous = self._validated(before.data) if before is not None else {}  # as stored, its defaults filled
        changed = {name for name in FIELDS if data.get(name) != previous.get(name)}
        if before is not None and changed and CampaignStatus(previous["status"]) not in EDITABLE:
            raise Conflict(
                f"The campaign is {previous['status']}: pause it to edit it (a draft or a paused campaign is editable)."
            )
        checks: list[Callable[[], object]] = []
        if changed & {"channel", "content"}:
            checks.append(lambda: check(MESSAGE, MessageChannel(data["channel"]), content_of(data), location="content"))
        if "topic" in changed:
            checks.append(lambda: check_topic(tenant_id, data["topic"]))
        if "audience" in changed:
            checks.append(lambda: _check_segments(tenant_id, data["audience"]))
        all_at_once(checks)
        return data

    def erase(self, caller: Caller, record_id: str, expected_version: int | None) -> None:
        """For good: the campaign, then its sends and their counts."""
        super().erase(caller, record_id, expected_version)
        repository.delete_items(store.send_items(caller.tenant_id, record_id))

    def search(self, caller: Caller, *, deleted: bool, limit: int, cursor: str | None) -> Page[Campaign]:
        """The campaigns by name, or the trash: ONE Query."""
        found = access.listed(caller.tenant_id, CAMPAIGN, deleted=deleted)
        return self.list(caller, found, limit=limit, cursor=cursor, bound_to={"deleted": deleted})

    def schedule(self, caller: Caller, campaign_id: str, expected_version: int | None, start: StartRun) -> Campaign:
        """A draft starts its first run, which sends at `send_at` (at once without one). Scheduling a scheduled
        campaign again starts its run if it had not started (an earlier request committed, then failed)."""
        caller.require(self.resource, Action.UPDATE)
        record = self._load(caller, campaign_id, expected_version)
        if record.data["status"] == CampaignStatus.SCHEDULED:
            start(self._run(record))
            return self.out(record)
        if record.data["channel"] == MessageChannel.EMAIL:
            require_postal_address(caller.tenant_id)
        return self._start(caller, record, SCHEDULABLE, start, {"scheduled_at": utc_now()})

    def resume(self, caller: Caller, campaign_id: str, expected_version: int | None, start: StartRun) -> Campaign:
        """A paused campaign starts its next run, which sends to those the earlier runs did not reach."""
        caller.require(self.resource, Action.UPDATE)
        record = self._load(caller, campaign_id, expected_version)
        if record.data["status"] == CampaignStatus.SCHEDULED:
            start(self._run(record))
            return self.out(record)
        return self._start(caller, record, frozenset({CampaignStatus.PAUSED}), start, {"paused_at": None})

    def pause(self, caller: Caller, campaign_id: str, expected_version: int | None) -> Campaign:
        """Its run stops before its next batch (a batch is at most a page of the audience)."""
        changes = {"status": CampaignStatus.PAUSED.value, "paused_at": utc_now()}
        return self._move(caller, campaign_id, expected_version, PAUSABLE, changes)

    def cancel(self, caller: Caller, campaign_id: str, expected_version: int | None) -> Campaign:
        """For good: its run stops before its next batch; what went out stays in its report."""
        changes = {"status": CampaignStatus.CANCELLED.value, "cancelled_at": utc_now()}
        return self._move(caller, campaign_id, expected_version, CANCELLABLE, changes)

    def begin(self, tenant_id: str, actor: str, campaign_id: str, run: int) -> Record | None:
        """The run `run` takes the campaign from scheduled to sending: the campaign if this run may send now."""
        record = repository.get(tenant_id, CAMPAIGN, campaign_id)
        if record is None or record.deleted or record.data.get("run") != run:
            return None
        status = CampaignStatus(record.data["status"])
        if status is CampaignStatus.SENDING:
            return record
        if status is not CampaignStatus.SCHEDULED:
            return None
        changes: dict[str, Any] = {"status": CampaignStatus.SENDING.value}
        if not record.data.get("started_at"):
            changes["started_at"] = utc_now()
        work = UnitOfWork()
        self.stage_update(work, system_caller(tenant_id, actor), record, changes)
        self.commit(work, record)
        return record

    def finish(self, tenant_id: str, actor: str, record: Record) -> None:
        """The run walked the whole audience: sent (unless it was paused or cancelled meanwhile: a 412)."""
        work = UnitOfWork()
        changes = {"status": CampaignStatus.SENT.value, "finished_at": utc_now()}
        self.stage_update(work, system_caller(tenant_id, actor), record, changes)
        self.commit(work, record)

    def report(
        self, caller: Caller, campaign_id: str, attribution: AttributionModel = AttributionModel.LAST_TOUCH
    ) -> CampaignReport:
        """What its runs did, and what it is credited with under the `attribution` model: ONE Query."""
        caller.require(self.resource, Action.READ)
        read = store.read_campaign(caller.tenant_id, campaign_id)
        if read.record is None:
            raise NotFound(f"No campaign has the id {campaign_id}.")
        data, counts = read.record.data, read.counts
        sent, skipped, failed = (counts.get(status, 0) for status in ("sent", "skipped", "failed"))
        reached = sent - counts.get("bounced", 0) if data["channel"] == MessageChannel.EMAIL else 0
        return CampaignReport.model_validate(
            {
                "campaign_id": campaign_id,
                "status": data["status"],
                "channel": data["channel"],
                "recipients": sent + skipped + failed,
                "sent": sent,
                "skipped": skipped,
                "failed": failed,
                **{outcome: counts.get(outcome, 0) for outcome in OUTCOMES},
                "replied": counts.get("replied", 0),
                "leads_created": counts.get("leads_created", 0),
                **{f"{rate}_rate": _rate(counts.get(rate, 0), reached) for rate in ("opened", "clicked")},
                "cost": data.get("cost"),
                **_credited(counts, attribution, data.get("cost")),
                "started_at": data.get("started_at"),
                "finished_at": data.get("finished_at"),
            }
        )

    def sends(self, caller: Caller, campaign_id: str, *, limit: int, cursor: str | None) -> Page[Send]:
        """A page of its sends by contact id: ONE Query (the first with the campaign, or 404)."""
        pattern = store.sends(caller.tenant_id, campaign_id)
        found, next_cursor = self.child_summaries(
            caller, campaign_id, pattern, store.SEND_KIND, limit=limit, cursor=cursor
        )
        sends = [Send.model_validate({**summary.data, "contact_id": summary.ref_id}) for summary in found]
        return Page(items=sends, next_cursor=next_cursor)

    def send_samples(self, caller: Caller, campaign_id: str, request: SampleSend, transport: Transport) -> SampleSent:
        """A copy to each of the staff users (their profile's address), its subject marked as a test: what the
        campaign's recipients will read, with the marketing foot they will see."""
        caller.require(self.resource, Action.UPDATE)
        record = self._load(caller, campaign_id)
        channel = MessageChannel(record.data["channel"])
        users = repository.get_many(caller.tenant_id, USER, request.user_ids)
        copies = [
            _sample(caller.tenant_id, record, channel, users.get(user_id), user_id, transport)
            for user_id in request.user_ids
        ]
        return SampleSent(copies=copies)

    def _start(
        self,
        caller: Caller,
        record: Record,
        allowed: frozenset[CampaignStatus],
        start: StartRun,
        changes: Mapping[str, Any],
    ) -> Campaign:
        changes = {**changes, "status": CampaignStatus.SCHEDULED.value, "run": int(record.data.get("run", 0)) + 1}
        campaign = self.move_status(caller, record, allowed, changes)
        start(self._run(record))
        return campaign

    def _move(
        self,
        caller: Caller,
        campaign_id: str,
        expected_version: int | None,
        allowed: frozenset[CampaignStatus],
        changes: Mapping[str, Any],
    ) -> Campaign:
        caller.require(self.resource, Action.UPDATE)
        return self.move_status(caller, self._load(caller, campaign_id, expected_version), allowed, changes)

    @staticmethod
    def _run(record: Record) -> CampaignRun:
        send_at = record.data.get("send_at") or record.data.get("scheduled_at") or utc_now()
        return CampaignRun(
            record.tenant_id, record.id, int(record.data["run"]), wait_stamp(normalize.parse_instant(send_at))
        )


def _credited(counts: Mapping[str, float], model: str, cost: Mapping[str, str] | None) -> dict[str, Any]:
    """The conversions credited under `model` (rapport.campaigns.store's counters), their revenue, and the return on
    the cost: none without a cost, or with revenue in another currency (Rapport converts no past amounts)."""
    prefix = f"revenue@{model}@"
    revenue = {
        name.removeprefix(prefix): Decimal(int(cents)) / 100
        for name, cents in counts.items()
        if name.startswith(prefix)
    }
    roi = None
    if cost is not None and Decimal(cost["amount"]) > 0 and set(revenue) <= {cost["currency"]}:
        spent = Decimal(cost["amount"])
        roi = round(float((revenue.get(cost["currency"], Decimal(0)) - spent) / spent), 4)
    return {
        "attribution": model,
        "deals_won": round(float(counts.get(f"deals@{model}", 0)), 3),
        "orders": round(float(counts.get(f"orders@{model}", 0)), 3),
        "revenue": [{"amount": amount, "currency": currency} for currency, amount in sorted(revenue.items())],
        "roi": roi,
    }


def _rate(count: float, reached: float) -> float | None:
    """A share of the emails that reached someone (sent and not bounced); none for texts, which are not tracked."""
    return round(count / reached, 4) if reached else None


def system_caller(tenant_id: str, actor: str) -> Caller:
    """The run's writes: made by the worker, which no role check concerns."""
    return Caller(tenant_id, actor, frozenset())


def all_at_once(checks: list[Callable[[], object]]) -> None:
    """Run every check; one 422 naming every field at fault (the content's, the topic, each unknown segment)."""
    refused: list[InvalidInput] = []
    for each in checks:
        try:
            each()
        except InvalidInput as error:
            refused.append(error)
    if len(refused) == 1:
        raise refused[0]
    if refused:
        raise InvalidInput("Some fields are not valid.", [field for error in refused for field in error.errors])


def check_topic(tenant_id: str, topic: str) -> None:
    topics = MARKETING_SETTINGS.read(tenant_id).content.topics
    if topic not in topics:
        offered = ", ".join(topics) or "none yet: add them to the marketing settings"
        raise InvalidInput.of("topic", f"{topic} is not one of the tenant's topics ({offered}).")


def _check_segments(tenant_id: str, audience: Mapping[str, Any]) -> None:
    named = [
        (f"audience.{part}[{index}]", segment_id)
        for part in ("segments", "exclude")
        for index, segment_id in enumerate(audience.get(part) or [])
    ]
    found = repository.get_many(tenant_id, SEGMENT, [segment_id for _, segment_id in named])
    errors = [
        FieldError(field, f"No live segment has the id {segment_id}.", "unknown_reference")
        for field, segment_id in named
        if segment_id not in found or found[segment_id].deleted
    ]
    if errors:
        raise InvalidInput("Some segments of the audience do not exist.", errors)


def require_postal_address(tenant_id: str) -> None:
    if not MARKETING_SETTINGS.read(tenant_id).content.postal_address:
        raise Conflict(
            "Every marketing email shows the sender's postal address: set postal_address in the marketing settings "
            "(PUT /marketing-settings) before scheduling an email campaign."
        )


def _sample(
    tenant_id: str, campaign: Record, channel: MessageChannel, user: Record | None, user_id: str, transport: Transport
) -> SampleCopy:
    field = "email" if channel is MessageChannel.EMAIL else "phone"
    address = user.data.get(field) if user is not None and not user.deleted else None
    if address is None:
        return SampleCopy(user_id=user_id, refused=f"no user {user_id} with a {field} in its profile")
    name = user.data.get("name") or address if user is not None else address
    context = {"recipient": {"name": name, "first_name": str(name).split(" ")[0]}}
    message = render_content(content_of(campaign.data), context)
    try:
        if channel is MessageChannel.EMAIL:
            postal = MARKETING_SETTINGS.read(tenant_id).content.postal_address or "(no postal_address set yet)"
            text = f"{message.text.rstrip()}\n\n--\n{postal}\nUnsubscribe: (each recipient's own link)\n"
            subject = f"{SAMPLE_PREFIX}{message.subject or ''}"
            message_id = transport.send_email(address, subject, text, message.html, {}, {})
        else:
            message_id = transport.send_sms(address, f"{SAMPLE_PREFIX}{message.text}"[:SMS_MAX_LENGTH])
    except (Throttled, Rejected) as error:
        return SampleCopy(user_id=user_id, to=address, refused=str(error))
    return SampleCopy(user_id=user_id, to=address, message_id=message_id)


campaigns = CampaignService()
