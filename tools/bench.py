"""`make bench`: DynamoDB requests per API operation (the contexts' scenarios, tools/bench_scenarios), a campaign's
sending against the local SES's quota (recipients a second, throttles, two copies: tools.bench_scenarios.campaigns),
and the local runtime holding a company's data (tools/loadtest.py), 1,000 and 50,000 contacts side by side (the cold
starts are `tools.coldstart`'s)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMPANY_SCALES = (1_000, 50_000)  # contacts

# What the API functions read from their environment, for the handlers run in this process under moto.
ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "TABLE_NAME": "rapport-bench",
    "IDEMPOTENCY_TABLE_NAME": "rapport-bench-idempotency",
    "CURSOR_SECRET": "bench",
    "POWERTOOLS_SERVICE_NAME": "rapport-bench",
    "POWERTOOLS_METRICS_NAMESPACE": "Rapport",
    "POWERTOOLS_TRACE_DISABLED": "1",
}


@contextmanager
def _under_moto() -> Iterator[None]:
    """moto in this process, with the stack's tables."""
    from moto import mock_aws

    from local.awsmock import patch_dynamodb
    from rapport.dal.models import TABLE_MODELS

    patch_dynamodb()
    with mock_aws():
        for model in TABLE_MODELS:
            model.create_table(wait=True)
        yield


def request_counts() -> None:
    from rapport import config
    from tools import bench_scenarios
    from tools.lambda_api import create
    from tools.metering import dynamodb_requests

    print("DynamoDB requests per API operation")
    with _under_moto():
        import boto3  # type: ignore[import-untyped]

        boto3.client("apigateway").create_usage_plan(name="bench-web-forms")
        os.environ["USAGE_PLAN_NAME"] = "bench-web-forms"
        config.reload()
        account = create("createAccount", **bench_scenarios.ACCOUNT)
        operations = bench_scenarios.operations(account["id"])
        for label, operation in operations:
            with dynamodb_requests() as requests:
                reply = operation()
            status = reply.status if hasattr(reply, "status") else 201
            if status in (401, 403) or status >= 500:
                raise SystemExit(f"{label} answered {status}: the bench measures only what its caller may do")
            print(f"  {label:<42} {status}  {len(requests)} request(s): {', '.join(requests)}")


def campaign_sending() -> None:
    from tools.bench_scenarios import campaigns
    from tools.loadtest import print_columns

    print(
        f"Campaign sending: {campaigns.RECIPIENTS} recipients, the local SES's max send rate "
        f"{campaigns.SENDING_QUOTA:g} a second (the sender paces at 80 %); two copies fail the bench"
    )
    with _under_moto():
        columns = campaigns.sending()
    print_columns(columns)


def local_runtime() -> None:
    from tools.loadtest import load_average, measure, print_side_by_side

    print(f"Local runtime holding a company (rapport seed --scale N; load average before: {load_average()})")
    with tempfile.TemporaryDirectory() as work:
        results = {scale: measure(ROOT / "cdk.out", Path(work), scale) for scale in COMPANY_SCALES}
    print_side_by_side(results)
    print(f"  (load average after: {load_average()})")


def main() -> None:
    for name, value in ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    request_counts()
    campaign_sending()
    local_runtime()


if __name__ == "__main__":
    main()
