"""An enrollment's steps, taken by its run (rapport.campaigns.sequences.runs): each call goes on from where the
enrollment is until it must wait (`Advance.wait_until`) or it ended.

At each step it reads the sequence and the enrollment again (two GetItems), so what changed meanwhile counts:
- the enrollment ended (an exit, by hand or by a signal): the run ends;
- the sequence gone: the enrollment exits (`sequence_deleted`); paused (or back to a draft): the run waits
  PAUSED_RECHECK and looks again; its step removed by an edit: exits (`step_removed`);
- the contact left the sequence's segment (when `left_segment` is an exit), or is gone: exits.

Then the step:
- `send`: its message to the contact once (rapport.campaigns.sending.send_one: consent read now, the send claimed
  before it goes, so a retried call sends nothing twice). Refused for consent withdrawn (opted out of the topic or
  the channel) the enrollment exits `unsubscribed` when that is an exit; refused otherwise (no address, not opted in
  yet) the step's send is `skipped` and the enrollment goes on. Throttled until the call's time runs out: the call
  fails and the state machine retries it.
- `wait`: the first time, its end is written on the enrollment and the run waits until then; after, it goes on.
- `branch`: on at `then` or `otherwise` by the signal since the `after` step's message went (none went: not done).

Each move is conditional on the enrollment still being active at the step it leaves (rapport.campaigns.sequences
.store.move): a call retried after a move, or an exit at the same moment, never moves it twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from rapport.campaigns import store as send_store
from rapport.campaigns.manifest import SEQUENCE
from rapport.campaigns.sending import Piece, Sender, send_one
from rapport.campaigns.sequences import store
from rapport.campaigns.sequences.models import END, Duration, ExitOn, SequenceStatus, Signal
from rapport.campaigns.sequences.service import end
from rapport.campaigns.service import wait_stamp
from rapport.consent.ledger import withdrawn
from rapport.contacts.manifest import CONTACT
from rapport.dal import repository
from rapport.dal.repository import Record
from rapport.normalize import instant, parse_instant
from rapport.notifications.catalog import Channel as MessageChannel
from rapport.notifications.models import TemplateContent
from rapport.segments import store as segment_store

Clock = Callable[[], datetime]

PAUSED_RECHECK = timedelta(minutes=15)
MAX_MOVES = 64  # more than any walk of MAX_STEPS steps takes: a bound, should a read keep lagging a write


class TimeRanOut(Exception):
    """SES kept throttling the step's message until the call's time ran out: the state machine retries the call."""


@dataclass(frozen=True)
class Advance:
    done: bool
    wait_until: str | None = None  # as a Wait state's TimestampPath takes it

    def as_dict(self) -> dict[str, Any]:
        return {"done": self.done, "wait_until": self.wait_until}


def now_utc() -> datetime:
    return datetime.now(UTC)


def advance(tenant_id: str, sequence_id: str, contact_id: str, sender: Sender, clock: Clock = now_utc) -> Advance:
    """Take the enrollment's steps from where it is until it waits or ends (`clock`: the time now)."""
    for _ in range(MAX_MOVES):
        sequence = repository.get(tenant_id, SEQUENCE, sequence_id)
        enrollment = store.enrollment_of(tenant_id, sequence_id, contact_id)
        if enrollment is None or enrollment.get("status") != "active":
            return Advance(True)
        step_key = str(enrollment["step"])
        if sequence is None or sequence.deleted:
            end(tenant_id, sequence_id, contact_id, step_key, "sequence_deleted")
            return Advance(True)
        if sequence.data["status"] != SequenceStatus.ACTIVE:
            return Advance(False, wait_stamp(clock() + PAUSED_RECHECK))
        waited = _step(sequence, contact_id, enrollment, sender, clock)
        if waited is not None:
            return waited
    raise RuntimeError(f"enrollment {sequence_id}/{contact_id} moved {MAX_MOVES} times in one call")


def _step(
    sequence: Record, contact_id: str, enrollment: Mapping[str, Any], sender: Sender, clock: Clock
) -> Advance | None:
    """Take the enrollment's current step: an Advance when the run waits or ends, None when it moved on."""
    tenant_id, steps = sequence.tenant_id, sequence.data["steps"]
    step_key = str(enrollment["step"])
    index = next((at for at, step in enumerate(steps) if step["key"] == step_key), None)
    if index is None:
        return _exit(sequence, contact_id, step_key, "step_removed")
    contact = repository.get(tenant_id, CONTACT, contact_id)
    if contact is None or contact.deleted:
        return _exit(sequence, contact_id, step_key, "contact_gone")
    if _left_segment(sequence, contact_id):
        return _exit(sequence, contact_id, step_key, ExitOn.LEFT_SEGMENT)
    step = steps[index]
    if step["type"] == "send":
        return _send(sequence, contact, step, index, sender)
    if step["type"] == "wait":
        return _wait(sequence, contact_id, enrollment, step, index, clock())
    return _branch(sequence, contact_id, enrollment, step, index)


def _send(sequence: Record, contact: Record, step: Mapping[str, Any], index: int, sender: Sender) -> Advance | None:
    data = sequence.data
    log = store.step_log(sequence.tenant_id, sequence.id, step["key"])
    content = TemplateContent.model_validate(step["content"])
    piece = Piece(log, sequence.id, step["key"], MessageChannel(step["channel"]), data["topic"], content)
    status = send_one(piece, contact, sender)
    if status is None:
        raise TimeRanOut(f"SES throttled step {step['key']} of sequence {sequence.id} until the call's time ran out")
    unsubscribed = status == "skipped" and withdrawn(contact.data.get("consent"), piece.channel, piece.topic)
    if unsubscribed and ExitOn.UNSUBSCRIBED in _exits(data):
        return _exit(sequence, contact.id, step["key"], ExitOn.UNSUBSCRIBED)
    return _go_on(sequence, contact.id, step["key"], _next(data["steps"], index))


def _wait(
    sequence: Record, contact_id: str, enrollment: Mapping[str, Any], step: Mapping[str, Any], index: int, now: datetime
) -> Advance | None:
    until = enrollment.get("waiting_until")
    if until is None:
        ends = now + Duration.model_validate(step["duration"]).length
        store.move(sequence.tenant_id, sequence.id, contact_id, step["key"], {"waiting_until": instant(ends)})
        return Advance(False, wait_stamp(ends))
    if now < parse_instant(str(until)):
        return Advance(False, wait_stamp(parse_instant(str(until))))
    return _go_on(sequence, contact_id, step["key"], _next(sequence.data["steps"], index))


def _branch(
    sequence: Record, contact_id: str, enrollment: Mapping[str, Any], step: Mapping[str, Any], index: int
) -> Advance | None:
    did = _did(sequence, contact_id, enrollment, Signal(step["on"]), step["after"])
    target = step.get("then") if did else step.get("otherwise")
    following = _next(sequence.data["steps"], index) if target is None else target
    count = f"{step['key']}#{'taken' if did else 'not_taken'}"
    return _go_on(sequence, contact_id, step["key"], following, [count])


def _did(sequence: Record, contact_id: str, enrollment: Mapping[str, Any], signal: Signal, after: str) -> bool:
    """Whether the contact did `signal` since the `after` step's message went (no message went: no)."""
    send = send_store.send_of(store.step_log(sequence.tenant_id, sequence.id, after), contact_id)
    if send is None or send.get("status") != "sent":
        return False
    if signal in (Signal.OPENED, Signal.CLICKED):
        return bool(send.get(f"{signal}_at"))
    stamp = enrollment.get("replied_at" if signal is Signal.REPLIED else "converted_at")
    return stamp is not None and parse_instant(str(stamp)) >= parse_instant(str(send["at"]))


def _go_on(
    sequence: Record, contact_id: str, step_key: str, following: str | None, counts: list[str] | None = None
) -> Advance | None:
    """Move the enrollment from `step_key` to `following` (None or END: it is completed)."""
    if following is None or following == END:
        end(sequence.tenant_id, sequence.id, contact_id, step_key, None, counts or [])
        return Advance(True)
    changes = {"step": following, "waiting_until": None}
    store.move(sequence.tenant_id, sequence.id, contact_id, step_key, changes, counts or [])
    return None


def _exit(sequence: Record, contact_id: str, step_key: str, reason: str) -> Advance:
    end(sequence.tenant_id, sequence.id, contact_id, step_key, str(reason))
    return Advance(True)


def _next(steps: list[Mapping[str, Any]], index: int) -> str | None:
    return str(steps[index + 1]["key"]) if index + 1 < len(steps) else None


def _exits(data: Mapping[str, Any]) -> set[str]:
    return {str(reason) for reason in data.get("exit_on") or []}


def _left_segment(sequence: Record, contact_id: str) -> bool:
    segment_id = sequence.data.get("segment")
    if not segment_id or ExitOn.LEFT_SEGMENT not in _exits(sequence.data):
        return False
    return not segment_store.member_of(sequence.tenant_id, segment_id, [contact_id])
