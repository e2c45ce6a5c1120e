"""Rapport-<stage>: data, staff and customer auth (with the portal's sign-in), the API functions, the REST API that
routes to them, web-to-lead, domain events, lead assignment, follow-up workflows (reminders, stage follow-ups, daily
digest), notifications, webhooks, customer value, the analytics exports, and the CSV exports and imports."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, NestedStack, Stack
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.analytics import Analytics
from infra.constructs.api import Api
from infra.constructs.auth import Auth
from infra.constructs.campaigns import Campaigns
from infra.constructs.consent import Consent
from infra.constructs.customer_value import CustomerValue
from infra.constructs.data import Data
from infra.constructs.events import DomainEvents
from infra.constructs.exports import Exports
from infra.constructs.field_history import FieldHistory
from infra.constructs.firewall import Firewall
from infra.constructs.followups import Followups
from infra.constructs.functions import FunctionFactory
from infra.constructs.inbound_mail import ATTACHMENT_READERS
from infra.constructs.notifications import Notifications
from infra.constructs.portal import PortalSignIn
from infra.constructs.segments import Segments
from infra.constructs.service import Service
from infra.constructs.web_to_lead import WebToLead
from infra.constructs.webhooks import Webhooks
from infra.constructs.workflows import Workflows
from infra.nag import acknowledge
from infra.openapi import functions_of, load_routes


class RapportStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: StageConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        data = Data(self, "Data", removal_policy=stage.removal_policy)
        auth = Auth(self, "Auth", removal_policy=stage.removal_policy)
        factory = FunctionFactory(self, "Functions", data=data, stage=stage)
        domain_events = DomainEvents(self, "Events", data=data, factory=factory, stage=stage)
        followups = Followups(
            self,
            "Followups",
            data=data,
            factory=factory,
            bus=domain_events.bus,
            removal_policy=stage.removal_policy,
        )
        CustomerValue(
            self,
            "CustomerValue",
            data=data,
            factory=factory,
            bus=domain_events.bus,
            tenants=followups.tenants,
            stage=stage,
        )
        analytics = Analytics(self, "Analytics", data=data, factory=factory, tenants=followups.tenants, stage=stage)
        service = Service(self, "Service", data=data, factory=factory, bus=domain_events.bus, stage=stage)
        PortalSignIn(self, "PortalSignIn", data=data, factory=factory, pool=auth.customer_pool, stage=stage)
        routes = load_routes()
        functions = {area: factory.api_function(area) for area in functions_of(routes)}
        workflows = Workflows(self, "Workflows", data=data, factory=factory, bus=domain_events.bus, stage=stage)
        if "users" in functions:  # POST /leads/{id}/assign starts the flow
            functions["users"].add_environment(
                "ASSIGNMENT_STATE_MACHINE_ARN", workflows.lead_assignment.state_machine_arn
            )
            workflows.lead_assignment.grant_start_execution(functions["users"])
        if "orders" in functions:  # GET /reports/kpis reads the analytics export's headline figures
            analytics.grant_report(functions["orders"])
        webhooks = Webhooks(self, "Webhooks", data=data, factory=factory, bus=domain_events.bus, stage=stage)
        if "webhooks" in functions:  # POST /webhooks/{id}/deliveries/{delivery_id}/redeliver starts a run
            webhooks.grant_api(functions["webhooks"])
        for area in ATTACHMENT_READERS:  # lists a case's messages, each kept attachment with its download URL
            if area in functions:
                service.inbound_mail.grant_attachment_reads(functions[area])
        exports = Exports(self, "Exports", data=data, factory=factory, bus=domain_events.bus, stage=stage)
        if "exports" in functions:  # GET /exports/{id} presigns the file's download link
            exports.grant_api(functions["exports"])
        if "imports" in functions:  # presigns the file's upload and its reports' downloads, reads its header
            exports.grant_imports_api(functions["imports"])
        if "tenants" in functions:  # claims and releases the tenant's public slug
            data.use_tenant_slugs(functions["tenants"], write=True)
        if "public_kb" in functions:  # finds the tenant a public address names
            data.use_tenant_slugs(functions["public_kb"], write=False)
        # The API in a stack of its own, its routes' resources and methods (which grow with every route) in route
        # stacks nested in it (infra.route_stacks), so that no stack reaches CloudFormation's 500 resources
        # (tests/infra/test_api.py counts them).
        api_stack = NestedStack(self, "ApiStack")
        api = Api(
            api_stack,
            "Api",
            routes=routes,
            functions=functions,
            user_pool=auth.user_pool,
            customer_pool=auth.customer_pool,
            stage=stage,
            name=self.stack_name,
        )
        if api.usage_plan is not None:
            WebToLead(
                self,
                "WebToLead",
                data=data,
                usage_plan=api.usage_plan,
                usage_plan_name=api.usage_plan_name,
                issuer=functions.get("web_forms"),
                receiver=functions.get("public_leads"),
            )
        if stage.waf:
            Firewall(  # beside the stage it protects (cdk-nag looks for the association in the stage's stack)
                api_stack,
                "Firewall",
                stage_arn=api.rest_api.deployment_stage.stage_arn,
                requests_per_5min_per_ip=stage.waf_requests_per_5min_per_ip,
            )
        else:
            acknowledge(
                api.rest_api.deployment_stage,
                "AwsSolutions::AwsSolutions-APIG3",
                "The stage's WAF is off (cdk.json stage setting waf): a web ACL costs a fixed monthly fee, and this "
                "stage is meant to cost nothing at idle; stage throttling still limits the request rate.",
            )
        # After the API: the links their messages carry go to its public pages.
        public_url = api.rest_api.url
        notifications = Notifications(
            self,
            "Notifications",
            data=data,
            factory=factory,
            bus=domain_events.bus,
            stage=stage,
            public_url=public_url,
        )
        Consent(
            self,
            "Consent",
            data=data,
            factory=factory,
            bus=domain_events.bus,
            public_url=public_url,
            tenants=followups.tenants,
        )
        campaigns = Campaigns(
            self,
            "Campaigns",
            data=data,
            factory=factory,
            notifications=notifications,
            bus=domain_events.bus,
            stage=stage,
        )
        if "campaigns" in functions:  # POST /campaigns/{id}/schedule and /resume start runs; /test sends copies
            campaigns.grant_api(functions["campaigns"])
        if "sequences" in functions:  # POST /sequences/{id}/enrollments starts the enrollments' runs
            campaigns.grant_sequences_api(functions["sequences"])
        FieldHistory(self, "FieldHistory", data=data, factory=factory, bus=domain_events.bus)
        Segments(self, "Segments", data=data, factory=factory, bus=domain_events.bus)
        CfnOutput(self, "ApiUrl", value=api.rest_api.url)
        CfnOutput(self, "UserPoolId", value=auth.user_pool.user_pool_id)
        CfnOutput(self, "UserPoolClientId", value=auth.web_client.user_pool_client_id)
        CfnOutput(self, "CustomerPoolId", value=auth.customer_pool.user_pool_id)
        CfnOutput(self, "PortalClientId", value=auth.portal_client.user_pool_client_id)
        CfnOutput(self, "TableName", value=data.table.table_name)
        CfnOutput(self, "EventBusName", value=domain_events.bus.event_bus_name)
