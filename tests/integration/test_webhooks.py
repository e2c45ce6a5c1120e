"""Webhooks through the API (handlers in-process, moto) and the service with its resolver injected."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest

from rapport import config
from rapport.auth import caller_from_claims
from rapport.errors import InvalidInput
from rapport.webhooks.models import WebhookCreate
from rapport.webhooks.service import WebhookService
from tools.lambda_api import Staff, call
from tools.metering import dynamodb_requests

ADMIN = Staff(user="admin-1", groups=("admin",))
MANAGER = Staff(user="manager-1", groups=("manager",))
OTHER_TENANT = Staff(tenant="tenant-b", user="admin-9", groups=("admin",))
PUBLIC_IP = "93.184.215.14"  # a literal address: resolving it needs no network
URL = f"https://{PUBLIC_IP}/rapport"
UNKNOWN = "01JD5Y7M7ZV1W4T5C9H2K3N4P5"


def resolver(table: dict[str, Sequence[str]]) -> Any:
    def resolve(host: str, port: int) -> Sequence[str]:
        if host not in table:
            raise OSError(f"{host} does not resolve")
        return table[host]

    return resolve


def service(**hosts: Sequence[str]) -> WebhookService:
    return WebhookService(resolve=resolver({name.replace("_", "."): addrs for name, addrs in hosts.items()}))


def new_webhook(staff: Staff = ADMIN, **fields: Any) -> dict[str, Any]:
    reply = call("createWebhook", staff, body={"url": URL, "event_types": ["deal.*"], **fields})
    assert reply.status == 201, reply.body
    return dict(reply.body)


def caller_of(staff: Staff) -> Any:
    return caller_from_claims(staff.claims())


def test_an_admin_creates_a_webhook_and_sees_its_secret_once() -> None:
    reply = call("createWebhook", ADMIN, body={"url": URL, "event_types": ["deal.*", "contact.created"]})
    assert reply.status == 201, reply.body
    created = reply.body
    assert created["secret"].startswith("whsec_")
    assert reply.headers["location"] == f"/webhooks/{created['id']}"
    assert reply.etag == '"1"'
    assert created["active"] is True
    read = call("getWebhook", ADMIN, record_id=created["id"])
    assert read.status == 200
    assert "secret" not in read.body
    assert read.body["event_types"] == ["deal.*", "contact.created"]


def test_the_secret_is_stored_sealed_and_never_in_the_records_data() -> None:
    created = new_webhook()
    table = boto3.client("dynamodb").scan(TableName=config.current().table_name)
    assert created["secret"] not in str(table["Items"])
    assert created["secret"].removeprefix("whsec_") not in str(table["Items"])


@pytest.mark.parametrize("staff", [MANAGER, Staff(user="rep", groups=("sales",))])
def test_only_admins_may_see_or_set_up_webhooks(staff: Staff) -> None:
    webhook = new_webhook()
    assert call("createWebhook", staff, body={"url": URL, "event_types": ["deal.*"]}).status == 403
    assert call("listWebhooks", staff).status == 403
    assert call("getWebhook", staff, record_id=webhook["id"]).status == 403
    assert call("listWebhookDeliveries", staff, record_id=webhook["id"]).status == 403
    assert call("rotateWebhookSecret", staff, record_id=webhook["id"]).status == 403


def test_another_tenants_webhook_is_a_404() -> None:
    webhook = new_webhook()
    assert call("getWebhook", OTHER_TENANT, record_id=webhook["id"]).status == 404
    assert call("listWebhookDeliveries", OTHER_TENANT, record_id=webhook["id"]).status == 404
    assert call("rotateWebhookSecret", OTHER_TENANT, record_id=webhook["id"]).status == 404


def test_the_list_is_one_query() -> None:
    first, second = new_webhook(), new_webhook(event_types=["*"])
    with dynamodb_requests() as requests:
        reply = call("listWebhooks", ADMIN)
    assert reply.status == 200
    assert requests == ["Query"]
    assert [item["id"] for item in reply.body["items"]] == [first["id"], second["id"]]
    assert all("secret" not in item for item in reply.body["items"])


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://93.184.215.14/hook", "https"),
        ("ftp://93.184.215.14/hook", "https"),
        ("https:///hook", "host"),
        ("https://user:pw@93.184.215.14/hook", "user name"),
        ("https://10.0.0.8/hook", "private"),
        ("https://192.168.1.1/hook", "private"),
        ("https://127.0.0.1/hook", "loopback"),
        ("https://[::1]/hook", "loopback"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://[fe80::1]/hook", "link-local"),
        ("https://224.0.0.1/hook", "multicast"),
        ("https://240.0.0.1/hook", "reserved"),
        ("https://0.0.0.0/hook", "unspecified"),
        ("https://100.64.0.1/hook", "shared"),
        ("https://[::ffff:10.0.0.8]/hook", "private"),
        ("https://93.184.215.14:99999/hook", "valid URL"),
        ("https://localhost:8080/hook", "loopback"),
    ],
)
def test_a_url_that_is_not_https_to_a_public_address_is_a_422_naming_url(url: str, why: str) -> None:
    reply = call("createWebhook", ADMIN, body={"url": url, "event_types": ["deal.*"]})
    assert reply.status == 422, reply.body
    assert reply.body["errors"][0]["field"] == "url"
    assert why in reply.body["errors"][0]["message"]
    assert call("listWebhooks", ADMIN).body["items"] == []


@pytest.mark.parametrize(
    ("addresses", "why"),
    [
        (["10.1.2.3"], "private"),
        (["93.184.215.14", "127.0.0.1"], "loopback"),
        (["fd00::1"], "private"),
        ([], "resolve"),
    ],
)
def test_a_name_is_judged_by_every_address_it_resolves_to(addresses: list[str], why: str) -> None:
    webhooks = service(hooks_example_com=addresses)
    payload = WebhookCreate(url="https://hooks.example.com/rapport", event_types=["deal.*"])
    with pytest.raises(InvalidInput) as refused:
        webhooks.create_with_secret(caller_of(ADMIN), payload)
    assert refused.value.errors[0].field == "url"
    assert why in refused.value.errors[0].message


def test_a_name_that_does_not_resolve_is_refused_and_one_that_resolves_publicly_is_kept() -> None:
    webhooks = service(hooks_example_com=["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
    with pytest.raises(InvalidInput, match="does not resolve"):
        webhooks.create_with_secret(caller_of(ADMIN), WebhookCreate(url="https://nowhere.example/", event_types=["*"]))
    made = webhooks.create_with_secret(
        caller_of(ADMIN), WebhookCreate(url="https://Hooks.Example.com./rapport?x=1", event_types=["*"])
    )
    assert made.url == "https://Hooks.Example.com./rapport?x=1"


def test_http_localhost_is_allowed_only_by_the_local_runtimes_setting() -> None:
    payload = WebhookCreate(url="http://localhost:8080/hook", event_types=["*"])
    refused = WebhookService(resolve=resolver({"localhost": ["127.0.0.1"]}), allow_http_localhost=lambda: False)
    with pytest.raises(InvalidInput, match="https"):
        refused.create_with_secret(caller_of(ADMIN), payload)
    allowed = WebhookService(resolve=resolver({"localhost": ["127.0.0.1"]}), allow_http_localhost=lambda: True)
    assert allowed.create_with_secret(caller_of(ADMIN), payload).url == "http://localhost:8080/hook"
    other_host = WebhookCreate(url="http://127.0.0.1:8080/hook", event_types=["*"])
    with pytest.raises(InvalidInput, match="https"):
        allowed.create_with_secret(caller_of(ADMIN), other_host)
    elsewhere = WebhookService(resolve=resolver({"localhost": ["10.0.0.1"]}), allow_http_localhost=lambda: True)
    with pytest.raises(InvalidInput, match="private"):
        elsewhere.create_with_secret(caller_of(ADMIN), payload)


@pytest.mark.parametrize(
    ("patterns", "field"),
    [
        (["deal.exploded"], "event_types[0]"),
        (["deal.*", "unicorn.*"], "event_types[1]"),
        (["webhook.*"], "event_types[0]"),
        (["webhook.updated"], "event_types[0]"),
        (["deal.*", "deal.*"], "event_types"),
        ([], "event_types"),
        (["DEAL.*"], "event_types[0]"),
        (["deal"], "event_types[0]"),
    ],
)
def test_event_types_are_patterns_of_the_catalog(patterns: list[str], field: str) -> None:
    reply = call("createWebhook", ADMIN, body={"url": URL, "event_types": patterns})
    assert reply.status == 422, reply.body
    assert field in [error["field"] for error in reply.body["errors"]]


@pytest.mark.parametrize("patterns", [["*"], ["deal.*"], ["deal.won", "contact.created"]])
def test_catalog_patterns_are_accepted(patterns: list[str]) -> None:
    assert new_webhook(event_types=patterns)["event_types"] == patterns


@pytest.mark.parametrize("field", ["disabled_reason", "disabled_at", "failing_since", "secret_rotated_at", "secret"])
def test_what_rapport_sets_cannot_be_sent(field: str) -> None:
    reply = call("createWebhook", ADMIN, body={"url": URL, "event_types": ["*"], field: "x"})
    assert reply.status == 422
    assert reply.body["errors"][0]["field"] == field
    webhook = new_webhook()
    patched = call("updateWebhook", ADMIN, record_id=webhook["id"], body={field: "x"}, headers={"If-Match": '"1"'})
    assert patched.status == 422
    assert patched.body["errors"][0]["field"] == field


def test_a_patch_to_a_refused_url_changes_nothing() -> None:
    webhook = new_webhook()
    reply = call(
        "updateWebhook", ADMIN, record_id=webhook["id"], body={"url": "https://10.0.0.1/"}, headers={"If-Match": '"1"'}
    )
    assert reply.status == 422
    assert reply.body["errors"][0]["field"] == "url"
    read = call("getWebhook", ADMIN, record_id=webhook["id"])
    assert read.body["url"] == URL
    assert read.etag == '"1"'


def test_a_patch_changes_patterns_and_description_with_if_match() -> None:
    webhook = new_webhook()
    reply = call(
        "updateWebhook",
        ADMIN,
        record_id=webhook["id"],
        body={"event_types": ["contact.*"], "description": "CRM sync", "active": False},
        headers={"If-Match": '"1"'},
    )
    assert reply.status == 200, reply.body
    assert (reply.body["event_types"], reply.body["description"], reply.body["active"]) == (
        ["contact.*"],
        "CRM sync",
        False,
    )
    stale = call("updateWebhook", ADMIN, record_id=webhook["id"], body={"active": True}, headers={"If-Match": '"1"'})
    assert stale.status == 412


def test_trash_restore_and_erase() -> None:
    webhook = new_webhook()
    assert call("deleteWebhook", ADMIN, record_id=webhook["id"]).status == 204
    assert call("listWebhooks", ADMIN).body["items"] == []
    assert call("restoreWebhook", ADMIN, record_id=webhook["id"]).status == 200
    assert [item["id"] for item in call("listWebhooks", ADMIN).body["items"]] == [webhook["id"]]
    erased = call("deleteWebhook", ADMIN, record_id=webhook["id"], query={"permanent": "true"})
    assert erased.status == 204
    assert call("getWebhook", ADMIN, record_id=webhook["id"]).status == 404


def test_rotating_makes_a_new_secret_and_keeps_the_previous_one_signing_for_a_day() -> None:
    webhook = new_webhook()
    webhooks = service()
    reply = call("rotateWebhookSecret", ADMIN, record_id=webhook["id"], headers={"If-Match": '"1"'})
    assert reply.status == 200, reply.body
    rotated = reply.body["secret"]
    assert rotated.startswith("whsec_") and rotated != webhook["secret"]
    expires_at = datetime.fromisoformat(reply.body["previous_secret_expires_at"])
    now = datetime.now(UTC)
    assert timedelta(hours=23, minutes=59) < expires_at - now <= timedelta(hours=24)
    assert webhooks.secrets_in_use("tenant-a", webhook["id"], now) == [rotated, webhook["secret"]]
    assert webhooks.secrets_in_use("tenant-a", webhook["id"], expires_at + timedelta(seconds=1)) == [rotated]
    read = call("getWebhook", ADMIN, record_id=webhook["id"])
    assert read.etag == '"2"'
    assert read.body["secret_rotated_at"] is not None
    assert call("rotateWebhookSecret", ADMIN, record_id=webhook["id"], headers={"If-Match": '"1"'}).status == 412


def test_rotating_twice_drops_the_first_secret_at_once() -> None:
    webhook = new_webhook()
    first = call("rotateWebhookSecret", ADMIN, record_id=webhook["id"]).body["secret"]
    second = call("rotateWebhookSecret", ADMIN, record_id=webhook["id"]).body["secret"]
    assert service().secrets_in_use("tenant-a", webhook["id"], datetime.now(UTC)) == [second, first]


def test_a_trashed_webhook_cannot_rotate_its_secret() -> None:
    webhook = new_webhook()
    call("deleteWebhook", ADMIN, record_id=webhook["id"])
    assert call("rotateWebhookSecret", ADMIN, record_id=webhook["id"]).status == 409


def test_the_delivery_log_of_an_unknown_webhook_is_a_404_and_an_empty_one_is_one_query() -> None:
    assert call("listWebhookDeliveries", ADMIN, record_id=UNKNOWN).status == 404
    webhook = new_webhook()
    with dynamodb_requests() as requests:
        reply = call("listWebhookDeliveries", ADMIN, record_id=webhook["id"])
    assert reply.status == 200
    assert reply.body == {"items": [], "next_cursor": None}
    assert requests == ["Query"]
