"""What the stack tells a function through its environment, read in one place, typed.

The stack (infra/) sets these variables on each function that needs them; nothing else in the core or the
handlers reads the environment. `current()` reads them once per process (and again after `reload()`, for tests
that change a variable). A value a function needs but was not given is a `MissingSetting` that names
the variable, raised where it is used, not at import.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from typing import NamedTuple


class MissingSetting(RuntimeError):
    def __init__(self, variable: str) -> None:
        super().__init__(f"{variable} is not set: the stack sets it on the functions that need it")
        self.variable = variable


class Config(NamedTuple):
    """Each setting is read from the variable of its name in upper case (`table_name` from TABLE_NAME)."""

    table_name: str = "rapport"
    idempotency_table_name: str = "rapport-idempotency"
    web_form_keys_table_name: str = "rapport-web-form-keys"
    tenants_table_name: str = "rapport-tenants"
    tenant_slugs_table_name: str = "rapport-tenant-slugs"
    allowed_origin: str = "*"
    cursor_secret: str | None = None  # tests and the local runtime: the secret itself
    cursor_secret_arn: str | None = None  # deployed: the Secrets Manager secret holding it
    cursor_secret_previous: str | None = None  # tests and the local runtime: the secret before its rotation
    event_bus_name: str | None = None
    usage_plan_name: str | None = None
    assignment_state_machine_arn: str | None = None
    sender_email: str | None = None
    ses_configuration_set: str | None = None
    app_url: str | None = None
    public_url: str | None = None  # where the public pages answer (the API's URL), for links in messages
    inbound_mail_domain: str | None = None  # support+<tenant slug>@<this> (rapport.cases.mail)
    inbound_mail_bucket: str | None = None  # the raw emails SES stores, and their attachments
    tenant_role_arn: str | None = None  # a function fenced to its caller's tenant (rapport.dal.tenancy)
    webhook_delivery_state_machine_arn: str | None = None
    campaign_send_state_machine_arn: str | None = None
    sequence_state_machine_arn: str | None = None  # a sequence enrollment's steps (rapport.campaigns.sequences)
    schedule_group: str | None = None  # the SLA timers' EventBridge Scheduler group
    scheduler_role_arn: str | None = None  # the role EventBridge Scheduler invokes the SLA timers worker as
    analytics_bucket: str | None = None  # where the analytics exporter writes the Parquet files
    exports_bucket: str | None = None  # the CSV files of POST /exports (rapport.exports)
    # The local runtime's `--webhooks-allow-http-localhost` only (rapport.webhooks.addresses); never set by the stack.
    webhooks_allow_http_localhost: str | None = None

    @classmethod
    def from_environment(cls, environment: Mapping[str, str]) -> Config:
        given = {name: environment.get(variable(name)) for name in cls._fields}
        return cls(**{name: value for name, value in given.items() if value})

    def require(self, name: str) -> str:
        """The value of setting `name`, which the caller cannot do without."""
        value = getattr(self, name)
        if not value:
            raise MissingSetting(variable(name))
        return str(value)


def variable(name: str) -> str:
    """The environment variable a setting is read from."""
    return name.upper()


@cache
def current() -> Config:
    return Config.from_environment(os.environ)


def reload() -> None:
    """Read the environment again when next asked (a test changed it)."""
    current.cache_clear()
