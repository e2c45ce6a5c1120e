from __future__ import annotations

import pytest

from local.runtime.template import CloudAssembly, Physical, Resolver, TemplateError


@pytest.fixture
def resolver() -> Resolver:
    return Resolver(
        "eu-west-1",
        "Stack",
        {"Table": Physical("stack-table", {"Arn": "arn:aws:dynamodb:eu-west-1:123456789012:table/stack-table"})},
    )


def test_refs_and_attributes_resolve_to_the_local_resources(resolver: Resolver) -> None:
    assert resolver.resolve({"Ref": "Table"}) == "stack-table"
    assert resolver.resolve({"Fn::GetAtt": ["Table", "Arn"]}).endswith(":table/stack-table")
    assert resolver.resolve({"Fn::GetAtt": "Table.Arn"}).endswith(":table/stack-table")
    assert resolver.resolve({"Ref": "AWS::Region"}) == "eu-west-1"
    assert resolver.resolve({"Ref": "AWS::StackName"}) == "Stack"


def test_join_sub_and_select_compose(resolver: Resolver) -> None:
    assert resolver.resolve({"Fn::Join": ["/", ["a", {"Ref": "Table"}]]}) == "a/stack-table"
    assert resolver.resolve({"Fn::Sub": "${Table}@${AWS::Region}:${Table.Arn}"}).startswith(
        "stack-table@eu-west-1:arn:"
    )
    assert resolver.resolve({"Fn::Sub": ["${X}-${Table}", {"X": {"Ref": "AWS::AccountId"}}]}) == (
        "123456789012-stack-table"
    )
    assert resolver.resolve({"Fn::Select": [1, ["a", {"Ref": "Table"}]]}) == "stack-table"
    assert resolver.resolve({"Variables": [{"Ref": "Table"}, "plain"]}) == {"Variables": ["stack-table", "plain"]}


def test_what_is_not_provided_locally_fails_with_its_name(resolver: Resolver) -> None:
    with pytest.raises(TemplateError, match="Queue"):
        resolver.resolve({"Ref": "Queue"})
    with pytest.raises(TemplateError, match=r"Table\.StreamArn"):
        resolver.resolve({"Fn::GetAtt": ["Table", "StreamArn"]})
    with pytest.raises(TemplateError, match="Fn::ImportValue"):
        resolver.resolve({"Fn::ImportValue": "x"})


def test_assets_are_found_through_the_asset_manifest_without_metadata(assembly: CloudAssembly) -> None:
    assert assembly.asset_path("ThingsFunction") == assembly.directory / "asset.abc123"
    with pytest.raises(TemplateError, match="Table"):
        assembly.asset_path("Table")


def test_a_missing_assembly_says_to_synthesize(tmp_path) -> None:
    with pytest.raises(TemplateError, match="make synth"):
        CloudAssembly.load(tmp_path, "Stack")
