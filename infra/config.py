"""Per-stage settings, read from CDK context (`cdk.json` "stages", chosen with `-c stage=<name>`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk.aws_logs import RetentionDays
from constructs import Construct

ROOT = Path(__file__).resolve().parent.parent
CDK_JSON = ROOT / "cdk.json"


@dataclass(frozen=True)
class StageConfig:
    name: str
    allowed_origin: str
    retain_data: bool
    log_retention: RetentionDays
    throttle_rate_limit: int
    throttle_burst_limit: int
    waf: bool
    event_archive_days: int
    waf_requests_per_5min_per_ip: int
    # Each web form's API key, by the usage plan of the API-key routes (web-to-lead).
    web_form_rate_limit: int = 5
    web_form_burst_limit: int = 10
    web_form_quota_per_day: int = 5000
    # The open routes (no token, no key: the public knowledge base), per method across all callers.
    public_rate_limit: int = 50
    public_burst_limit: int = 100
    # Where notification emails come from: an SES identity (verify it, or its domain, before sending).
    notification_sender: str = "notifications@rapport.example"
    # The web app's URL: links in notifications are absolute under it (`<appUrl>/leads/<id>`).
    app_url: str = "http://localhost:3000/app"
    # Where support mail is received: each tenant's address is support+<tenant slug>@<this> (an SES identity with
    # an MX record to SES's inbound endpoint; rapport.cases.mail says why one domain).
    inbound_mail_domain: str = "inbound.rapport.example"

    @property
    def removal_policy(self) -> RemovalPolicy:
        """What happens to stateful resources when the stack (or the resource) is deleted."""
        return RemovalPolicy.RETAIN if self.retain_data else RemovalPolicy.DESTROY


def project_context() -> dict[str, Any]:
    """The context in cdk.json, so the app synthesizes the same without the CDK CLI (tests, local runtime)."""
    context: dict[str, Any] = json.loads(CDK_JSON.read_text())["context"]
    return context


def stage_config(scope: Construct) -> StageConfig:
    name = str(scope.node.try_get_context("stage") or "")
    stages: dict[str, dict[str, Any]] = scope.node.try_get_context("stages") or {}
    if name not in stages:
        raise ValueError(f"unknown stage {name!r}: pass -c stage=<one of {sorted(stages)}>")
    settings = stages[name]
    return StageConfig(
        name=name,
        allowed_origin=str(settings["allowedOrigin"]),
        retain_data=bool(settings["retainData"]),
        log_retention=RetentionDays[str(settings["logRetention"])],
        throttle_rate_limit=int(settings["throttleRateLimit"]),
        throttle_burst_limit=int(settings["throttleBurstLimit"]),
        waf=bool(settings["waf"]),
        event_archive_days=int(settings["eventArchiveDays"]),
        waf_requests_per_5min_per_ip=int(settings["wafRequestsPer5MinPerIp"]),
        web_form_rate_limit=int(settings.get("webFormRateLimit", StageConfig.web_form_rate_limit)),
        web_form_burst_limit=int(settings.get("webFormBurstLimit", StageConfig.web_form_burst_limit)),
        web_form_quota_per_day=int(settings.get("webFormQuotaPerDay", StageConfig.web_form_quota_per_day)),
        public_rate_limit=int(settings.get("publicRateLimit", StageConfig.public_rate_limit)),
        public_burst_limit=int(settings.get("publicBurstLimit", StageConfig.public_burst_limit)),
        notification_sender=str(settings.get("notificationSender", StageConfig.notification_sender)),
        app_url=str(settings.get("appUrl", StageConfig.app_url)),
        inbound_mail_domain=str(settings.get("inboundMailDomain", StageConfig.inbound_mail_domain)),
    )
