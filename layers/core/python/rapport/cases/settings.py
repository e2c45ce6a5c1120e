"""The tenant's service settings (`GET/PUT /service-settings`): its queues and the rules routing cases to them."""

from __future__ import annotations

from pydantic import Field

from rapport.cases.manifest import SERVICE_SETTINGS as SERVICE_SETTINGS_KIND
from rapport.cases.models import Queue
from rapport.cases.routing import MAX_QUEUES, MAX_RULES, RoutingRule, ServiceQueue
from rapport.errors import FieldError, InvalidInput
from rapport.settings import SettingsDocument
from rapport.types import StrictModel

RESOURCE = "service_settings"


class ServiceSettings(StrictModel):
    queues: list[ServiceQueue] = Field(default_factory=list, max_length=MAX_QUEUES, description="Each name once")
    routing_rules: list[RoutingRule] = Field(
        default_factory=list,
        max_length=MAX_RULES,
        description="In order: the first rule matching a case picks its queue",
    )
    default_queue: Queue | None = Field(default=None, description="The queue of a case no routing rule matches")


def _queue_errors(content: ServiceSettings) -> list[FieldError]:
    named: set[str] = set()
    errors: list[FieldError] = []
    for index, queue in enumerate(content.queues):
        if queue.name in named:
            errors.append(FieldError(f"queues[{index}].name", f"names the queue {queue.name} twice", "duplicate"))
        named.add(queue.name)
    for index, rule in enumerate(content.routing_rules):
        if rule.queue not in named:
            errors.append(FieldError(f"routing_rules[{index}].queue", f"no queue is named {rule.queue}", "unknown"))
    if content.default_queue is not None and content.default_queue not in named:
        errors.append(FieldError("default_queue", f"no queue is named {content.default_queue}", "unknown"))
    return errors


class _ServiceSettingsDocument(SettingsDocument[ServiceSettings]):
    def validate(self, key: str | None, content: ServiceSettings) -> ServiceSettings:
        """Queue names are unique, and every queue a rule or the default names is one of them."""
        errors = _queue_errors(content)
        if errors:
            raise InvalidInput("; ".join(f"{error.field} {error.message}" for error in errors), errors)
        return content


SERVICE_SETTINGS = _ServiceSettingsDocument(
    SERVICE_SETTINGS_KIND, ServiceSettings, resource=RESOURCE, default=lambda _: ServiceSettings()
)
