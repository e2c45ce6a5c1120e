"""The analytics export under moto: every dataset of a tenant as Parquet in the bucket, personal fields hashed or
dropped per the tenant's setting, and a refresh that replaces the tenant's partition (erased and trashed records
leave it, other tenants' stay)."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import duckdb
import pytest

from rapport import sealing
from rapport.analytics.bucket import S3Bucket
from rapport.analytics.datasets import DATASETS
from rapport.analytics.export import HASH_PURPOSE, export_tenant
from rapport.analytics.headline import last_complete_month
from rapport.followups.store import register_tenant
from rapport.orders.churn import PersonalFields
from tests.integration.followups import CONTEXT, scheduled
from tests.integration.sales import OTHER_TENANT, deal, move, pipeline
from tools.lambda_api import Staff, call, create
from tools.metering import dynamodb_requests

BUCKET = "rapport-test-analytics"
MANAGER = Staff().as_("manager")
ADMIN = Staff().as_("admin")
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


@pytest.fixture
def bucket() -> S3Bucket:
    boto3.client("s3").create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    return S3Bucket(BUCKET)


@pytest.fixture
def crm() -> dict[str, str]:
    """One record of each entity (a contact with personal fields, an order of two lines, a deal moved once)."""
    create("createProduct", MANAGER, sku="KIT", name="Kit", unit_price="100.00")
    account = create("createAccount", name="Weyland", address={"city": "Leeds", "country": "GB"})["id"]
    contact = create(
        "createContact",
        first_name="Ann",
        last_name="Ripley",
        email="Ann@Example.com",
        phone="+441134960000",
        account_id=account,
    )["id"]
    create("createLead", last_name="Hicks", email="hicks@example.com", company="Colonial")
    sales = pipeline()
    moved = move(deal(sales["id"], account_id=account), "Demo")
    create("createActivity", type="call", contact_id=contact, subject="Intro call")
    create("createTask", title="Send the quote", contact_id=contact)
    lines = [{"sku": "KIT", "quantity": 2}, {"sku": "KIT", "quantity": 1, "discount": "10.00"}]
    order = create(
        "createOrder", number="A-1", contact_id=contact, status="paid", ordered_at="2026-11-02T09:30:00Z", lines=lines
    )["id"]
    create("createCase", subject="Broken kit", contact_id=contact)
    return {"account": account, "contact": contact, "deal": moved["id"], "order": order}


def exported(bucket: S3Bucket, tmp_path: Path, name: str, tenant: str = "tenant-a") -> list[dict[str, Any]]:
    keys = list(bucket.keys(f"dataset={name}/tenant={tenant}/"))
    assert len(keys) == 1, keys
    target = tmp_path / f"{name}.parquet"
    boto3.client("s3").download_file(BUCKET, keys[0], str(target))
    with duckdb.connect() as db:
        result = db.execute("SELECT * FROM read_parquet(?)", [str(target)])
        names = [column[0] for column in result.description]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def keyed_hash(value: str) -> str:
    return hmac.new(sealing.key(HASH_PURPOSE, sealing.secrets()[0]), value.encode(), sha256).hexdigest()


def test_every_dataset_lands_as_one_parquet_file_with_its_columns(crm, bucket, tmp_path):
    done = export_tenant("tenant-a", NOW, PersonalFields.HASH, bucket)
    assert {(found.dataset, found.rows) for found in done} == {
        ("accounts", 1),
        ("contacts", 1),
        ("leads", 1),
        ("deals", 1),
        ("deal_stages", 2),
        ("activities", 1),
        ("tasks", 1),
        ("orders", 1),
        ("order_lines", 2),
        ("cases", 1),
    }
    for dataset in DATASETS:
        key = f"dataset={dataset.name}/tenant=tenant-a/dt=2026-11-30/data.parquet"
        assert list(bucket.keys(f"dataset={dataset.name}/")) == [key]
    [order] = exported(bucket, tmp_path, "orders")
    assert (order["id"], order["status"], str(order["total"])) == (crm["order"], "paid", "290.00")
    assert order["ordered_at"] == datetime(2026, 11, 2, 9, 30)
    lines = exported(bucket, tmp_path, "order_lines")
    assert sorted((line["line"], line["quantity"], str(line["amount"])) for line in lines) == [
        (1, 2, "200.00"),
        (2, 1, "90.00"),
    ]
    stages = exported(bucket, tmp_path, "deal_stages")
    assert sorted((stage["from_stage"] or "", stage["to_stage"], stage["probability"]) for stage in stages) == [
        ("", "Qualified", 10),
        ("Qualified", "Demo", 30),
    ]
    [account] = exported(bucket, tmp_path, "accounts")
    assert (account["name"], account["country"]) == ("Weyland", "GB")


def test_personal_fields_are_keyed_hashes_that_join_across_datasets(crm, bucket, tmp_path):
    export_tenant("tenant-a", NOW, PersonalFields.HASH, bucket)
    [contact] = exported(bucket, tmp_path, "contacts")
    assert contact["email"] == keyed_hash("ann@example.com")
    assert contact["last_name"] == keyed_hash("ripley")
    assert contact["phone"] == keyed_hash("+441134960000")
    assert contact["address"] is None  # none was given
    assert contact["account_id"] == crm["account"]
    [lead] = exported(bucket, tmp_path, "leads")
    assert lead["email"] == keyed_hash("hicks@example.com")
    assert lead["company"] == "Colonial"


def test_dropped_personal_fields_are_empty_and_the_rest_stays(crm, bucket, tmp_path):
    export_tenant("tenant-a", NOW, PersonalFields.DROP, bucket)
    [contact] = exported(bucket, tmp_path, "contacts")
    assert [contact[name] for name in ("first_name", "last_name", "email", "phone", "address")] == [None] * 5
    assert contact["id"] == crm["contact"]
    [account] = exported(bucket, tmp_path, "accounts")
    assert (account["address"], account["country"]) == (None, "GB")


def test_a_refresh_replaces_the_partition_so_erased_and_trashed_records_leave(crm, bucket, tmp_path):
    create("createContact", last_name="Bishop")
    export_tenant("tenant-a", NOW, PersonalFields.HASH, bucket)
    assert len(exported(bucket, tmp_path, "contacts")) == 2
    erased = call(
        "deleteContact", ADMIN, record_id=crm["contact"], query={"permanent": "true"}, headers={"If-Match": None}
    )
    assert erased.status == 204, erased.body
    trashed = call("deleteOrder", MANAGER, record_id=crm["order"], headers={"If-Match": None})
    assert trashed.status == 204, trashed.body
    export_tenant("tenant-a", NOW + timedelta(days=1), PersonalFields.HASH, bucket)
    assert [row["last_name"] for row in exported(bucket, tmp_path, "contacts")] == [keyed_hash("bishop")]
    assert exported(bucket, tmp_path, "orders") == []
    assert exported(bucket, tmp_path, "order_lines") == []
    assert list(bucket.keys("dataset=contacts/")) == ["dataset=contacts/tenant=tenant-a/dt=2026-12-01/data.parquet"]


def test_a_tenants_refresh_leaves_the_other_tenants_partitions(crm, bucket, tmp_path):
    create("createContact", OTHER_TENANT, last_name="Other")
    export_tenant("tenant-b", NOW, PersonalFields.HASH, bucket)
    export_tenant("tenant-a", NOW + timedelta(days=1), PersonalFields.HASH, bucket)
    assert [row["last_name"] for row in exported(bucket, tmp_path, "contacts", "tenant-b")] == [keyed_hash("other")]
    assert len(exported(bucket, tmp_path, "contacts")) == 1


def test_the_export_reads_a_page_with_one_query_and_never_scans(crm, bucket):
    with dynamodb_requests() as requests:
        export_tenant("tenant-a", NOW, PersonalFields.HASH, bucket)
    # one Query per dataset's page, and one per deal for its stage history: no Scan, no GetItem per record
    assert requests == ["Query"] * (len(DATASETS) + 1)


def test_the_hourly_schedule_exports_every_registered_tenant_as_its_settings_say(crm, bucket, tmp_path):
    from analytics_export.handler import lambda_handler

    create("createContact", OTHER_TENANT, last_name="Other", email="other@example.com")
    saved = call("putAnalyticsSettings", OTHER_TENANT, body={"personal_fields": "drop"}, headers={"If-Match": '"0"'})
    assert saved.status == 200, saved.body
    for tenant in ("tenant-a", "tenant-b"):
        register_tenant(tenant, "2026-11-30T09:00:00Z")
    answer = lambda_handler(scheduled("2026-11-30T10:00:00Z"), CONTEXT)
    assert answer == {"tenants": 2, "rows": 12 + 1}
    [other] = exported(bucket, tmp_path, "contacts", "tenant-b")
    assert (other["last_name"], other["email"]) == (None, None)
    [contact] = exported(bucket, tmp_path, "contacts")
    assert contact["email"] == keyed_hash("ann@example.com")


def test_the_kpi_report_serves_the_headline_figures_of_the_last_export(crm, bucket):
    before = call("getKpiReport", query={"period": "2026-11"})
    assert before.status == 200, before.body
    assert before.body == {
        "period": "2026-11",
        "revenue": "0.00",
        "orders": 0,
        "new_customers": 0,
        "lost_customers": 0,
        "deserting_customers": 0,
        "as_of": None,
    }
    export_tenant("tenant-a", NOW, PersonalFields.HASH, bucket)
    with dynamodb_requests() as requests:
        november = call("getKpiReport", query={"period": "2026-11"})
    assert requests == []  # one GetObject of the headline figures
    assert november.body == {
        "period": "2026-11",
        "revenue": "290.00",
        "orders": 1,
        "new_customers": 1,
        "lost_customers": 0,
        "deserting_customers": 0,
        "as_of": "2026-11-30T10:00:00Z",
    }
    assert call("getKpiReport", query={"period": "2026-10"}).body["revenue"] == "0.00"
    other = call("getKpiReport", OTHER_TENANT, query={"period": "2026-11"})
    assert (other.body["orders"], other.body["as_of"]) == (0, None)


def test_the_kpi_report_defaults_to_the_last_complete_month_and_refuses_a_bad_period(bucket):
    answer = call("getKpiReport", query={})
    assert answer.status == 200
    assert answer.body["period"] == last_complete_month(datetime.now(UTC).date())
    for period in ("2026-13", "2026-1", "november", ""):
        refused = call("getKpiReport", query={"period": period})
        assert refused.status == 400, (period, refused.body)
        assert refused.body["errors"][0]["field"].endswith("period"), refused.body
    unknown = call("getKpiReport", query={"month": "2026-11"})
    assert unknown.status == 400 and "month" in str(unknown.body)
