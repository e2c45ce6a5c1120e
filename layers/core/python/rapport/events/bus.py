"""Putting one event of Rapport's own on the event bus (config `event_bus_name`): a notification's request, a
background job's continuation (and reading which step of its run an event asks a job for). `put_events` is
injected where a test records what went out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

from rapport import aws, config
from rapport.events.models import DomainEvent

Step = TypeVar("Step", bound=BaseModel)

PutEvents = Callable[[list[dict[str, Any]]], Mapping[str, Any]]


def _events_client() -> Any:
    return aws.client("events")


def put_events(entries: list[dict[str, Any]]) -> Mapping[str, Any]:
    return _events_client().put_events(Entries=entries)  # type: ignore[no-any-return]


def put(source: str, detail_type: str, detail: BaseModel, *, what: str, sender: PutEvents | None = None) -> None:
    """Put `detail` on the bus as `detail_type` from `source` (through `sender`, default the events client); raises,
    naming `what` it was, if the bus refused it."""
    entry = {
        "Source": source,
        "DetailType": detail_type,
        "Detail": detail.model_dump_json(),
        "EventBusName": config.current().require("event_bus_name"),
    }
    failed = [result for result in (sender or put_events)([entry]).get("Entries", []) if "ErrorCode" in result]
    if failed:
        raise RuntimeError(f"the bus refused {what}: {failed[0]['ErrorCode']}")


def step_of(event: Mapping[str, Any], continued: str, model: type[Step], first: Callable[[DomainEvent], Step]) -> Step:
    """The step of a background run that `event` asks for: a continuation the run put (`continued`) as it is, else
    the first, made by `first` from the domain event that started the run."""
    if event["detail-type"] == continued:
        return model.model_validate(event["detail"])
    return first(DomainEvent.model_validate(event["detail"]))
