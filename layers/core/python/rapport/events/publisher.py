"""Turns DynamoDB stream records of the single table into domain events.

Only business records, settings documents and the summaries of kinds declared `summary` make events; guards and
other summaries are how records are stored, not what happened. Each record change yields its life-cycle event
(`created`, `updated`, `deleted` for trashed, `restored`, `erased` for hard-deleted) and, where a kind says so,
meaningful ones (`deal.stage_changed`, `deal.won`, ...). A settings document (rapport.settings) exists with its
defaults before it is first saved, so each of its saves is `<document>.updated` (`currency_rates.updated`), its
entity id the tenant's (or, for a kind with a document per key, like the notification templates, the key).

A summary of a kind declared `summary` (rapport.contexts.Kind) makes no life-cycle event, only those its derivation
finds between its data before and after (`customer.churn_changed`), the summarized record's id (its `ref_id`) its
entity id; its data says who changed it and when (`updated_by`, `updated_at`). A removed summary is told too, as
its derivation finds it between its data before and an empty after (`segment_membership.left`; a derivation that
tells no removal finds nothing there: `customer`, `retention`), its data before as the event's record; a delete
leaves no data to say who made it, so such an event is by `unknown`, when the stream saw it.

Event types are `<kind>.<verb>`, the kind's snake_case name (`Kind.entity`): `web_form.created`.

Who and when. Every event carries the actor and the time of the change itself: the record's `updated_by` and
`updated_at`, which every write sets (a write on someone's behalf, like an activity touching its deal, sets
them to that person); `deleted_by`/`deleted_at` when it is trashed. An erased record is gone from the table, and
the stream's REMOVE shows it as it was, last changed by someone else maybe long before; so the erase's own
transaction puts who erased it and when in a tombstone (`ErasureItem`: the idempotency table, a week's TTL, out of
the stream), which `erasures` reads. A record erased without one (before tombstones, or by hand) is told as
erased by `unknown`, when the stream saw it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from boto3.dynamodb.types import TypeDeserializer  # type: ignore[import-untyped]

from rapport import contexts
from rapport.contexts import Derivation, Image, Kind
from rapport.events.models import DomainEvent, Erasure, FieldChange, changes_between

RECORD_TYPE, SETTING_TYPE, SUMMARY_TYPE = "record", "setting", "summary"
TRASH_FIELDS = ("deleted_at", "deleted_by")
UNKNOWN_ACTOR = "unknown"
_deserializer = TypeDeserializer()

Erasures = Callable[[str, Kind, str], Erasure | None]  # who erased the tenant's record of a kind, and when


LIFECYCLE = ("created", "updated", "deleted", "restored", "erased")
SETTINGS_LIFECYCLE = ("updated",)


@cache
def derivations() -> dict[str, Derivation]:
    """The meaningful events of each entity, as its context declares them (rapport.contexts)."""
    return {entity: derivation for context in contexts.contexts() for entity, derivation in context.derivations.items()}


def lifecycle_of(kind: Kind) -> tuple[str, ...]:
    if kind.summary:
        return ()
    return SETTINGS_LIFECYCLE if kind.document else LIFECYCLE


@cache
def _summary_kinds() -> dict[str, Kind]:
    return {kind.code: kind for kind in contexts.kinds() if kind.summary}


def detail_types() -> list[str]:
    """The event catalog: every type the publisher puts on the bus, sorted."""
    lifecycle = [f"{kind.entity}.{name}" for kind in contexts.kinds() for name in lifecycle_of(kind)]
    meaningful = [f"{entity}.{name}" for entity, derive in derivations().items() for name in derive.produces]
    return sorted(lifecycle + meaningful)


def events_of(stream_record: Mapping[str, Any], erasures: Erasures) -> list[DomainEvent]:
    """The domain events one stream record stands for (none for items that are not business records)."""
    change = stream_record["dynamodb"]
    old = _image(change.get("OldImage"))
    new = _image(change.get("NewImage"))
    if new.get("type") == SETTING_TYPE:
        return _setting_events(stream_record, old, new)
    current = new or old
    if current.get("type") == SUMMARY_TYPE:
        return _summary_events(stream_record, old, new)
    if current.get("type") != RECORD_TYPE:
        return []
    kind = contexts.kind(current["kind"])
    entity = kind.entity
    lifecycle = _lifecycle(stream_record["eventName"], old, new) if not kind.document else "updated"
    before, after = dict(old.get("data", {})), dict(new.get("data", {}))
    names = [lifecycle]
    if lifecycle == "updated":
        derivation = derivations().get(entity)
        names += derivation.derive(before, after) if derivation else []
    actor, occurred_at = _who_and_when(stream_record, lifecycle, kind, old, new, erasures)
    return [_event(stream_record, f"{entity}.{name}", entity, old, new, actor, occurred_at) for name in names]


def _who_and_when(
    stream_record: Mapping[str, Any], lifecycle: str, kind: Kind, old: Image, new: Image, erasures: Erasures
) -> tuple[str, str]:
    if lifecycle == "erased":
        erasure = erasures(str(old["tenant_id"]), kind, str(old["id"]))
        if erasure is None:
            return UNKNOWN_ACTOR, _stream_time(stream_record)
        return erasure.by, erasure.at
    if lifecycle == "deleted":
        return str(new["deleted_by"]), str(new["deleted_at"])
    return str(new["updated_by"]), str(new["updated_at"])


def _stream_time(stream_record: Mapping[str, Any]) -> str:
    """When the stream saw the change (epoch seconds in Lambda's event; a datetime through boto3)."""
    seen = stream_record["dynamodb"].get("ApproximateCreationDateTime")
    at = seen if isinstance(seen, datetime) else datetime.fromtimestamp(float(seen or 0), UTC)
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _setting_events(stream_record: Mapping[str, Any], old: Image, new: Image) -> list[DomainEvent]:
    """A saved settings document (settings saved before they published events carry no kind: none)."""
    if "kind" not in new:
        return []
    entity = contexts.kind(new["kind"]).entity
    detail_type = f"{entity}.updated"
    event = DomainEvent(
        event_id=_event_id(stream_record, detail_type),
        detail_type=detail_type,
        tenant_id=str(new["tenant_id"]),
        entity=entity,
        entity_id=str(new.get("key") or new["tenant_id"]),  # a kind's document per key, or the tenant's one
        actor=str(new["updated_by"]),
        occurred_at=str(new["updated_at"]),
        version=_plain(new.get("version")),
        changes=_changes(old, new),
        record=_plain(dict(new.get("data", {}))),
    )
    return [event]


def _summary_events(stream_record: Mapping[str, Any], old: Image, new: Image) -> list[DomainEvent]:
    """The events a summary of a summary kind derives from its change, its data after empty when it is removed."""
    current = new or old
    kind = _summary_kinds().get(str(current.get("kind")))
    derivation = derivations().get(kind.entity) if kind else None
    if kind is None or derivation is None:
        return []
    before, after = dict(old.get("data", {})), dict(new.get("data", {}))
    names = derivation.derive(before, after)
    if not names:
        return []
    if new:
        actor, occurred_at = str(after["updated_by"]), str(after["updated_at"])
    else:  # removed: nothing in a delete says who made it
        actor, occurred_at = UNKNOWN_ACTOR, _stream_time(stream_record)
    return [
        DomainEvent(
            event_id=_event_id(stream_record, f"{kind.entity}.{name}"),
            detail_type=f"{kind.entity}.{name}",
            tenant_id=str(current["tenant_id"]),
            entity=kind.entity,
            entity_id=str(current["ref_id"]),
            actor=actor,
            occurred_at=occurred_at,
            version=None,
            changes=changes_between(before, after, _plain),
            record=_plain(after if new else before),
        )
        for name in names
    ]


def _image(raw: Mapping[str, Any] | None) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in (raw or {}).items()}


def _lifecycle(event_name: str, old: Image, new: Image) -> str:
    if event_name == "INSERT":
        return "created"
    if event_name == "REMOVE":
        return "erased"
    if old.get("deleted_at") is None and new.get("deleted_at") is not None:
        return "deleted"
    if old.get("deleted_at") is not None and new.get("deleted_at") is None:
        return "restored"
    return "updated"


def _event(
    stream_record: Mapping[str, Any],
    detail_type: str,
    entity: str,
    old: Image,
    new: Image,
    actor: str,
    occurred_at: str,
) -> DomainEvent:
    current = new or old
    data = dict(current.get("data", {}))
    return DomainEvent(
        event_id=_event_id(stream_record, detail_type),
        detail_type=detail_type,
        tenant_id=str(current["tenant_id"]),
        entity=entity,
        entity_id=str(current["id"]),
        actor=actor,
        occurred_at=occurred_at,
        version=_plain(new.get("version")) if new else None,
        changes=_changes(old, new),
        record=_plain(data),
    )


def _event_id(stream_record: Mapping[str, Any], detail_type: str) -> str:
    """The stream record's id names the change; one change can mean several events, hence the type."""
    seed = f"{stream_record['eventID']}:{detail_type}".encode()
    return hashlib.sha256(seed).hexdigest()[:32]


def _changes(old: Image, new: Image) -> dict[str, FieldChange]:
    before = {**dict(old.get("data", {})), **{name: old.get(name) for name in TRASH_FIELDS}}
    after = {**dict(new.get("data", {})), **{name: new.get(name) for name in TRASH_FIELDS}}
    return changes_between(before, after, _plain)


def _plain(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal: whole ones become int, others their exact decimal string."""
    if isinstance(value, dict):
        return {key: _plain(inner) for key, inner in value.items()}
    if isinstance(value, list | set):
        return [_plain(inner) for inner in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    return value
