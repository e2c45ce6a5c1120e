from __future__ import annotations

import json
from typing import Any

import pytest

from local.runtime.template import CloudAssembly, Physical, Resolver, TemplateError, UnresolvedReference, flatten


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


def test_sub_takes_literals_inline_variables_and_attributes(resolver: Resolver) -> None:
    resolver.define("Fn", "fn", Arn="arn:aws:lambda:eu-west-1:123456789012:function:fn")
    assert resolver.resolve({"Fn::Sub": "${Table}/${Fn.Arn}/${AWS::Region}/${!Literal}"}) == (
        "stack-table/arn:aws:lambda:eu-west-1:123456789012:function:fn/eu-west-1/${Literal}"
    )
    assert resolver.resolve({"Fn::Sub": ["${x}-${Table}", {"x": {"Ref": "Fn"}}]}) == "fn-stack-table"
    assert resolver.resolve({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":states:::lambda:invoke"]]}) == (
        "arn:aws:states:::lambda:invoke"
    )


def test_what_is_unknown_is_named_with_its_type() -> None:
    resolver = Resolver("eu-west-1", "Stack", resources={"Role": {"Type": "AWS::IAM::Role"}})
    with pytest.raises(UnresolvedReference, match=r"Role \(AWS::IAM::Role\)"):
        resolver.resolve({"Fn::GetAtt": ["Role", "Arn"]})
    with pytest.raises(UnresolvedReference, match=r"Ghost \(not in the template\)"):
        resolver.resolve({"Fn::Sub": "${Ghost}"})


def test_assets_are_found_through_the_asset_manifest_without_metadata(assembly: CloudAssembly) -> None:
    assert assembly.asset_path("ThingsFunction") == assembly.directory / "asset.abc123"
    with pytest.raises(TemplateError, match="Table"):
        assembly.asset_path("Table")


def test_a_missing_assembly_says_to_synthesize(tmp_path) -> None:
    with pytest.raises(TemplateError, match="make synth"):
        CloudAssembly.load(tmp_path, "Stack")


NESTED: dict[str, Any] = {
    "Parameters": {"referencetoFunctionArn": {"Type": "String"}},
    "Resources": {
        "CDKMetadata": {"Type": "AWS::CDK::Metadata"},
        "Method": {
            "Type": "AWS::ApiGateway::Method",
            "Properties": {
                "Uri": {"Fn::Join": ["", ["arn:", {"Ref": "referencetoFunctionArn"}, "/invocations"]]},
                "Text": {"Fn::Sub": "${referencetoFunctionArn}:${AWS::Region}"},
                "Api": {"Ref": "RestApi"},
            },
        },
        "RestApi": {"Type": "AWS::ApiGateway::RestApi"},
    },
    "Outputs": {"RestApiRef": {"Value": {"Ref": "RestApi"}}},
}
PARENT: dict[str, Any] = {
    "Resources": {
        "CDKMetadata": {"Type": "AWS::CDK::Metadata"},
        "Function": {"Type": "AWS::Lambda::Function"},
        "ApiStack": {
            "Type": "AWS::CloudFormation::Stack",
            "Metadata": {"aws:asset:path": "ApiStack.nested.template.json"},
            "Properties": {"Parameters": {"referencetoFunctionArn": {"Fn::GetAtt": ["Function", "Arn"]}}},
        },
    },
    "Outputs": {"ApiId": {"Value": {"Fn::GetAtt": ["ApiStack", "Outputs.RestApiRef"]}}},
}


def test_a_nested_stack_is_read_into_its_parent_with_its_parameters_and_outputs_resolved(tmp_path) -> None:
    (tmp_path / "ApiStack.nested.template.json").write_text(json.dumps(NESTED))
    flat = flatten(tmp_path, PARENT)
    assert set(flat["Resources"]) == {"CDKMetadata", "Function", "Method", "RestApi"}
    method = flat["Resources"]["Method"]["Properties"]
    assert method["Uri"] == {"Fn::Join": ["", ["arn:", {"Fn::GetAtt": ["Function", "Arn"]}, "/invocations"]]}
    assert method["Text"] == {
        "Fn::Sub": [
            "${referencetoFunctionArn}:${AWS::Region}",
            {"referencetoFunctionArn": {"Fn::GetAtt": ["Function", "Arn"]}},
        ]
    }
    assert method["Api"] == {"Ref": "RestApi"}
    assert flat["Outputs"]["ApiId"] == {"Value": {"Ref": "RestApi"}}
    resolver = Resolver("eu-west-1", "Stack")
    resolver.define("Function", "fn", Arn="arn:fn")
    assert resolver.resolve(method["Text"]) == "arn:fn:eu-west-1"


def test_a_nested_stack_that_reuses_a_logical_id_of_its_parent_is_refused(tmp_path) -> None:
    clashing = {**NESTED, "Resources": {**NESTED["Resources"], "Function": {"Type": "AWS::SQS::Queue"}}}
    (tmp_path / "ApiStack.nested.template.json").write_text(json.dumps(clashing))
    with pytest.raises(TemplateError, match="Function"):
        flatten(tmp_path, PARENT)


def test_a_nested_stacks_own_nested_stacks_are_read_in_too_through_both_stacks_parameters(tmp_path) -> None:
    """The API's route stacks are nested in the API's stack: a method there names the parent's function through the
    API stack's parameter, and the API through the API stack's resource."""
    routes = {
        "Parameters": {"referencetoApiStackFunctionArn": {"Type": "String"}, "referencetoRestApi": {"Type": "String"}},
        "Resources": {
            "RouteMethod": {
                "Type": "AWS::ApiGateway::Method",
                "Properties": {"Uri": {"Ref": "referencetoApiStackFunctionArn"}, "Api": {"Ref": "referencetoRestApi"}},
            }
        },
    }
    api_stack = {
        **NESTED,
        "Resources": {
            **NESTED["Resources"],
            "Routes": {
                "Type": "AWS::CloudFormation::Stack",
                "Metadata": {"aws:asset:path": "Routes.nested.template.json"},
                "Properties": {
                    "Parameters": {
                        "referencetoApiStackFunctionArn": {"Ref": "referencetoFunctionArn"},
                        "referencetoRestApi": {"Ref": "RestApi"},
                    }
                },
            },
        },
    }
    (tmp_path / "ApiStack.nested.template.json").write_text(json.dumps(api_stack))
    (tmp_path / "Routes.nested.template.json").write_text(json.dumps(routes))
    flat = flatten(tmp_path, PARENT)
    assert set(flat["Resources"]) == {"CDKMetadata", "Function", "Method", "RestApi", "RouteMethod"}
    assert flat["Resources"]["RouteMethod"]["Properties"] == {
        "Uri": {"Fn::GetAtt": ["Function", "Arn"]},
        "Api": {"Ref": "RestApi"},
    }
