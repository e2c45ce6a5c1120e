"""cdk-nag AwsSolutions and Serverless: no unacknowledged finding, and every acknowledgement is on record."""

from __future__ import annotations

from collections import Counter

import pytest

from infra.openapi import allowed_methods, functions_of, load_routes
from tests.infra.conftest import Synthesis, worker_areas

pytestmark = pytest.mark.slow

PACKS = {"AwsSolutions", "Serverless"}
# Adding an acknowledgement is a decision: it shows up here, with its count per stage.
API_FUNCTIONS = len(functions_of(load_routes()))
WORKER_FUNCTIONS = len(worker_areas())
# One per worker but lead assignment's, the webhook deliveries', the case escalation's, the retention's, the
# campaign sender's and the sequence stepper's, which their state machines call, and the portal sign-in's, which
# Cognito calls (infra/constructs/workers.py); the lead.created, case.sla_breached and deserting
# customer.churn_changed rules'.
DEAD_LETTER_QUEUES = WORKER_FUNCTIONS - 7 + 3
PUBLIC_ROUTES = len([route for route in load_routes() if route.api_key or route.open])  # web-to-lead, open reads
PATHS = len(allowed_methods(load_routes()))  # each path's ANY: a mock answering 405, which nothing authorizes
ACKNOWLEDGED = Counter(
    {
        # The staff pool's optional MFA; the customer pool's sign-in by mailed code (no password to add one to),
        # on the Essentials plan (no threat protection).
        "AwsSolutions::AwsSolutions-COG2": 2,
        "AwsSolutions::AwsSolutions-COG8": 1,
        "AwsSolutions::AwsSolutions-SMG4": 1,
        # + the lead assignment, webhook delivery, case escalation, customer retention, campaign send and sequence
        # enrollment state machines' roles (tracing, log delivery)
        "AwsSolutions::AwsSolutions-IAM5[Resource::*]": API_FUNCTIONS + WORKER_FUNCTIONS + 6,
        "AwsSolutions::AwsSolutions-IAM5[Resource::<FunctionsassignmentFunction122B79CC.Arn>:*]": 1,
        "AwsSolutions::AwsSolutions-IAM5[Resource::<FunctionswebhookdeliveriesFunction4B07D7AE.Arn>:*]": 1,
        "AwsSolutions::AwsSolutions-IAM5[Resource::<FunctionscaseescalationFunction453985F8.Arn>:*]": 1,
        "AwsSolutions::AwsSolutions-IAM5[Resource::<FunctionsretentionFunctionF3C9D4E7.Arn>:*]": 1,
        "AwsSolutions::AwsSolutions-IAM5[Resource::<FunctionscampaignsenderFunction2FA31D37.Arn>:*]": 1,
        "AwsSolutions::AwsSolutions-IAM5[Resource::<FunctionssequencestepperFunction4E0266BA.Arn>:*]": 1,
        "AwsSolutions::AwsSolutions-SQS3": DEAD_LETTER_QUEUES,
        "Serverless::Serverless-SQSRedrivePolicy": DEAD_LETTER_QUEUES,
        "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
        "AmazonAPIGatewayPushToCloudWatchLogs]": 1,
        "Serverless::Serverless-LambdaDLQ": API_FUNCTIONS + WORKER_FUNCTIONS,
        # Python 3.13, whose bytecode the assets ship (infra.bytecode), is not Lambda's latest Python.
        "AwsSolutions::AwsSolutions-L1": API_FUNCTIONS + WORKER_FUNCTIONS,
        "Serverless::Serverless-LambdaLatestVersion": API_FUNCTIONS + WORKER_FUNCTIONS,
        # Web-to-lead: public routes take an API key, not a Cognito token; revoking deletes a key by its id.
        "AwsSolutions::AwsSolutions-APIG4": PUBLIC_ROUTES + PATHS,
        "AwsSolutions::AwsSolutions-COG4": PUBLIC_ROUTES + PATHS,
        "AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:apigateway:<AWS::Region>::/apikeys/*]": 1,
        # The SLA timers worker keeps schedules named after cases in its group.
        "AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:"
        "schedule/<ServiceSlaTimerSchedules4F52AC86>/*]": 1,
        # Email-to-case (infra/constructs/inbound_mail.py): the bucket's access is CloudTrail's to log; the worker
        # reads any email SES stored and writes any attachment, each under its own prefix; the cases and portal
        # functions read any attachment (they presign downloads of their caller's tenant's).
        # + the analytics bucket (infra/constructs/analytics.py) and the exports' (infra/constructs/exports.py)
        "AwsSolutions::AwsSolutions-S1": 1 + 1 + 1,
        "AwsSolutions::AwsSolutions-IAM5[Resource::<ServiceInboundMailBucket03E6DC76.Arn>/mail/*]": 1,
        "AwsSolutions::AwsSolutions-IAM5[Resource::<ServiceInboundMailBucket03E6DC76.Arn>/attachments/*]": 1 + 2,
        # The analytics exporter replaces the files it makes, under the exports' prefix only.
        "AwsSolutions::AwsSolutions-IAM5[Resource::<AnalyticsBucketF3CB46A2.Arn>/dataset=*]": 1,
        # ... and puts each tenant's headline figures, which the orders function reads (GET /reports/kpis).
        "AwsSolutions::AwsSolutions-IAM5[Resource::<AnalyticsBucketF3CB46A2.Arn>/kpis/*]": 2,
        # The export writer puts the files it makes, and the exports function presigns their downloads.
        "AwsSolutions::AwsSolutions-IAM5[Resource::<ExportsBucket54D5CE64.Arn>/exports/*]": 2,
        "AwsSolutions::AwsSolutions-IAM5[Resource::<ExportsBucket54D5CE64.Arn>/imports/*]": 2,
    }
)


# Stages without a WAF (cdk.json "waf": false) acknowledge that on their API stage.
WITHOUT_WAF = Counter({"AwsSolutions::AwsSolutions-APIG3": 1})


@pytest.fixture(params=["dev", "prod"])
def synthesis(request: pytest.FixtureRequest) -> Synthesis:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


@pytest.fixture
def acknowledged(synthesis: Synthesis) -> Counter[str]:
    has_waf = bool(synthesis.of_type("AWS::WAFv2::WebACL"))
    return ACKNOWLEDGED if has_waf else ACKNOWLEDGED + WITHOUT_WAF


def test_synthesis_passes_validation(synthesis: Synthesis) -> None:
    assert synthesis.error is None


def test_both_packs_ran_with_no_finding_left(synthesis: Synthesis) -> None:
    reports = {report["pluginName"]: report for report in synthesis.report["pluginReports"]}
    assert set(reports) >= PACKS
    findings = {
        f"{name}: {violation['ruleName']} at {[c['constructPath'] for c in violation['violatingConstructs']]}"
        for name, report in reports.items()
        for violation in report["violations"]
    }
    assert findings == set()


def test_acknowledgements_are_the_known_ones_each_with_a_reason(
    synthesis: Synthesis, acknowledged: Counter[str]
) -> None:
    suppressed = [
        (violation["acknowledgedId"], violation["reason"], construct["constructPath"])
        for report in synthesis.report["pluginReports"]
        for violation in report.get("suppressedViolations", [])
        for construct in violation["violatingConstructs"]
    ]
    assert Counter(finding for finding, _, _ in suppressed) == acknowledged
    assert all(len(reason) > 60 for _, reason, _ in suppressed)
