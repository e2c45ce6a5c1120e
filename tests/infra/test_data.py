"""The tables in the template: keys and indexes equal the PynamoDB models', and the durability settings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from pynamodb.attributes import TTLAttribute
from pynamodb.models import Model

from rapport.dal.models import FieldChangesItem, IdempotencyItem, Item, TenantSlugItem, WebFormKeyItem
from tests.infra.conftest import Synthesis

pytestmark = pytest.mark.slow


def _key_schema(keys: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    return [(key["AttributeName"], key["KeyType"]) for key in keys]


def _template_schema(table: dict[str, Any]) -> dict[str, Any]:
    properties = table["Properties"]
    return {
        "attributes": {(a["AttributeName"], a["AttributeType"]) for a in properties["AttributeDefinitions"]},
        "keys": _key_schema(properties["KeySchema"]),
        "indexes": {
            index["IndexName"]: (_key_schema(index["KeySchema"]), index["Projection"]["ProjectionType"])
            for index in properties.get("GlobalSecondaryIndexes", [])
        },
        "local_indexes": properties.get("LocalSecondaryIndexes", []),
    }


def _model_schema(model: type[Model]) -> dict[str, Any]:
    schema = model._get_schema()
    return {
        "attributes": {(a["AttributeName"], a["AttributeType"]) for a in schema["attribute_definitions"]},
        "keys": _key_schema(schema["key_schema"]),
        "indexes": {
            index["index_name"]: (_key_schema(index["key_schema"]), index["projection"]["ProjectionType"])
            for index in schema["global_secondary_indexes"]
        },
        "local_indexes": schema["local_secondary_indexes"],
    }


def test_single_table_schema_equals_the_models(dev: Synthesis) -> None:
    assert _template_schema(dev.one("AWS::DynamoDB::Table", "/Data/Table/Resource")) == _model_schema(Item)


def test_idempotency_table_schema_equals_the_model(dev: Synthesis) -> None:
    table = dev.one("AWS::DynamoDB::Table", "/Data/IdempotencyTable/Resource")
    assert _template_schema(table) == _model_schema(IdempotencyItem)


def test_web_form_keys_table_schema_equals_the_model_and_it_streams_nothing(dev: Synthesis) -> None:
    table = dev.one("AWS::DynamoDB::Table", "/Data/WebFormKeysTable/Resource")
    assert _template_schema(table) == _model_schema(WebFormKeyItem)
    assert "StreamSpecification" not in table["Properties"]


def test_tenant_slugs_table_schema_equals_the_model_and_it_streams_nothing(dev: Synthesis) -> None:
    table = dev.one("AWS::DynamoDB::Table", "/Data/TenantSlugsTable/Resource")
    assert _template_schema(table) == _model_schema(TenantSlugItem)
    assert "StreamSpecification" not in table["Properties"]


def test_idempotency_ttl_is_the_models_ttl_attribute(dev: Synthesis) -> None:
    table = dev.one("AWS::DynamoDB::Table", "/Data/IdempotencyTable/Resource")
    [ttl] = [a.attr_name for a in IdempotencyItem.get_attributes().values() if isinstance(a, TTLAttribute)]
    assert table["Properties"]["TimeToLiveSpecification"] == {"AttributeName": ttl, "Enabled": True}


def test_single_table_ttl_is_the_field_history_s_ttl_attribute(dev: Synthesis) -> None:
    table = dev.one("AWS::DynamoDB::Table", "/Data/Table/Resource")
    [ttl] = [a.attr_name for a in FieldChangesItem.get_attributes().values() if isinstance(a, TTLAttribute)]
    assert table["Properties"]["TimeToLiveSpecification"] == {"AttributeName": ttl, "Enabled": True}


def test_single_table_streams_both_images(dev: Synthesis) -> None:
    table = dev.one("AWS::DynamoDB::Table", "/Data/Table/Resource")
    assert table["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_tables_are_on_demand_with_pitr_and_the_rotating_customer_key(dev: Synthesis) -> None:
    [key_id] = dev.of_type("AWS::KMS::Key")
    assert dev.resources[key_id]["Properties"]["EnableKeyRotation"] is True
    for table in dev.of_type("AWS::DynamoDB::Table").values():
        properties = table["Properties"]
        assert properties["BillingMode"] == "PAY_PER_REQUEST"
        assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert properties["SSESpecification"] == {
            "SSEEnabled": True,
            "SSEType": "KMS",
            "KMSMasterKeyId": {"Fn::GetAtt": [key_id, "Arn"]},
        }


@pytest.mark.parametrize(("stage", "protected", "policy"), [("dev", False, "Delete"), ("prod", True, "Retain")])
def test_data_is_protected_outside_dev(stage: str, protected: bool, policy: str, request: pytest.FixtureRequest):
    synthesis: Synthesis = request.getfixturevalue(stage)
    for table in synthesis.of_type("AWS::DynamoDB::Table").values():
        assert table["Properties"]["DeletionProtectionEnabled"] is protected
        assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == policy
    for resource_type in ("AWS::KMS::Key", "AWS::Cognito::UserPool", "AWS::SecretsManager::Secret"):
        assert {r["DeletionPolicy"] for r in synthesis.of_type(resource_type).values()} == {policy}


def test_cursor_secret_is_a_generated_48_character_string_under_the_key(dev: Synthesis) -> None:
    [key_id] = dev.of_type("AWS::KMS::Key")
    [secret] = dev.of_type("AWS::SecretsManager::Secret").values()
    assert secret["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert secret["Properties"]["GenerateSecretString"]["PasswordLength"] == 48
