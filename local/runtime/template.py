"""The synthesized stack as the local runtime reads it: the cloud assembly, its resources, and intrinsics.

Everything that runs locally comes from the template in `cdk.out`, so what runs is what deploys. Intrinsic
functions (`Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`, `Fn::Select`) resolve to the local physical resources.
A nested stack (the API's: infra/stacks, and its route stacks nested in it: infra.constructs.api) is read into its
parent's resources, as one stack, its own nested stacks first: its parameters become the parent's values they are
given, and the parent's `Fn::GetAtt <nested>.Outputs.<name>` the output's value (`flatten`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ACCOUNT_ID = "123456789012"  # moto's default account
_SUB_VARIABLE = re.compile(r"\$\{(!?)([^}]*)\}")  # `${!Literal}` stands for `${Literal}`


class TemplateError(Exception):
    """The template asks for something the local runtime cannot provide."""


@dataclass(frozen=True)
class CloudAssembly:
    """One stack of a synthesized cloud assembly (`cdk.out`)."""

    directory: Path
    stack_name: str
    template: dict[str, Any]

    @classmethod
    def load(cls, directory: Path, stack_name: str) -> CloudAssembly:
        manifest_file = directory / "manifest.json"
        if not manifest_file.is_file():
            raise TemplateError(f"{directory} holds no cloud assembly: synthesize it first (make synth)")
        artifacts: dict[str, Any] = json.loads(manifest_file.read_text())["artifacts"]
        stacks = {name: spec for name, spec in artifacts.items() if spec["type"] == "aws:cloudformation:stack"}
        if stack_name not in stacks:
            raise TemplateError(f"no stack {stack_name!r} in {directory}; it has {sorted(stacks)}")
        template_file = directory / stacks[stack_name]["properties"]["templateFile"]
        return cls(directory, stack_name, flatten(directory, json.loads(template_file.read_text())))

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        resources: dict[str, dict[str, Any]] = self.template["Resources"]
        return resources

    def of_type(self, resource_type: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for logical_id, resource in self.resources.items():
            if resource["Type"] == resource_type:
                yield logical_id, resource

    def properties(self, logical_id: str) -> dict[str, Any]:
        properties: dict[str, Any] = self.resources[logical_id].get("Properties", {})
        return properties

    def asset_path(self, logical_id: str) -> Path:
        """Where the resource's code (a function's, a layer's) was staged in the assembly.

        The CDK CLI records it in the resource's metadata; without the CLI, the asset manifest maps the S3
        object the code deploys as back to the staged folder.
        """
        metadata = self.resources[logical_id].get("Metadata", {})
        if "aws:asset:path" in metadata:
            return self.directory / str(metadata["aws:asset:path"])
        properties = self.properties(logical_id)
        location = properties.get("Code") or properties.get("Content") or {}
        staged = self._staged_assets().get(str(location.get("S3Key")))
        if staged is None:
            raise TemplateError(f"{logical_id} has no staged asset in {self.directory}")
        return self.directory / staged

    def _staged_assets(self) -> dict[str, str]:
        """S3 object key -> staged folder, from `<stack>.assets.json`."""
        manifest = self.directory / f"{self.stack_name}.assets.json"
        files = json.loads(manifest.read_text()).get("files", {}) if manifest.is_file() else {}
        return {
            str(destination["objectKey"]): str(asset["source"]["path"])
            for asset in files.values()
            for destination in asset["destinations"].values()
        }

    def label(self, logical_id: str) -> str:
        """A short, readable name: the construct path without the stack and the trailing `Resource`."""
        path = str(self.resources[logical_id].get("Metadata", {}).get("aws:cdk:path", logical_id))
        parts = path.split("/")[1:] or [logical_id]
        return "/".join(part for part in parts if part != "Resource") or logical_id


NESTED_STACK = "AWS::CloudFormation::Stack"
CDK_METADATA = "AWS::CDK::Metadata"  # each stack's own (same logical id in each): the parent's stands for all


def nested_templates(directory: Path, template: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The templates of `template`'s nested stacks, by their logical ids, as synthesized beside it."""
    return {
        logical_id: json.loads((directory / str(resource["Metadata"]["aws:asset:path"])).read_text())
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == NESTED_STACK
    }


def flatten(directory: Path, template: dict[str, Any]) -> dict[str, Any]:
    """`template` with its nested stacks' resources in place of the nested stacks (recursively)."""
    nested = nested_templates(directory, template)
    resources = {key: value for key, value in template["Resources"].items() if key not in nested}
    outputs: dict[str, Any] = {}
    for stack_id, child in nested.items():
        flat = flatten(directory, child)
        given = template["Resources"][stack_id]["Properties"].get("Parameters", {})
        flat["Resources"] = {key: value for key, value in flat["Resources"].items() if value["Type"] != CDK_METADATA}
        clashes = sorted(resources.keys() & flat["Resources"].keys())
        if clashes:
            raise TemplateError(f"the nested stack {stack_id} has logical ids of its parent's: {clashes}")
        resources.update(_substitute(flat["Resources"], given))
        outputs.update(
            {
                f"{stack_id}.Outputs.{name}": _substitute(output["Value"], given)
                for name, output in flat.get("Outputs", {}).items()
            }
        )
    flat_template = {**template, "Resources": resources}
    return _with_outputs(flat_template, outputs) if outputs else flat_template


def _substitute(value: Any, parameters: Mapping[str, Any]) -> Any:
    """`value` with each `Ref` to one of `parameters` replaced by the value it is given."""
    if isinstance(value, list):
        return [_substitute(item, parameters) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"} and value["Ref"] in parameters:
        return parameters[value["Ref"]]
    if set(value) == {"Fn::Sub"}:
        text, variables = (value["Fn::Sub"], {}) if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"]
        named = {name for _, name in _SUB_VARIABLE.findall(str(text))} & parameters.keys()
        bound = {**{name: parameters[name] for name in named}, **_substitute(variables, parameters)}
        return {"Fn::Sub": [text, bound]} if bound else value
    return {key: _substitute(item, parameters) for key, item in value.items()}


def _with_outputs(value: Any, outputs: Mapping[str, Any]) -> Any:
    """`value` with each `Fn::GetAtt <nested stack>.Outputs.<name>` replaced by that output's value."""
    if isinstance(value, list):
        return [_with_outputs(item, outputs) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Fn::GetAtt"}:
        argument = value["Fn::GetAtt"]
        name = argument if isinstance(argument, str) else ".".join(str(part) for part in argument)
        if name in outputs:
            return outputs[name]
    return {key: _with_outputs(item, outputs) for key, item in value.items()}


@dataclass(frozen=True)
class Physical:
    """What a logical resource became locally: the value of its `Ref` and of its attributes."""

    ref: str
    attributes: Mapping[str, str] = field(default_factory=dict)


class UnresolvedReference(TemplateError):
    """A `Ref`, `Fn::GetAtt` or intrinsic function the local runtime cannot resolve."""


@dataclass
class Resolver:
    """Resolves intrinsic functions against the physical resources created so far: the runtime's (tables,
    secrets, functions) and the eventing's (buses, queues, topics, state machines). `resources` (the template's)
    names the type of what is unknown."""

    region: str
    stack_name: str
    physical: dict[str, Physical] = field(default_factory=dict)
    resources: Mapping[str, Any] = field(default_factory=dict)
    account: str = ACCOUNT_ID

    def pseudo(self) -> dict[str, str]:
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": self.stack_name,
        }

    def define(self, logical_id: str, ref: str, **attributes: str) -> None:
        self.physical[logical_id] = Physical(ref, attributes)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref" or key.startswith("Fn::"):
                return self._intrinsic(key, argument)
        return {key: self.resolve(item) for key, item in value.items()}

    def _intrinsic(self, key: str, argument: Any) -> Any:
        if key == "Ref":
            return self.ref(str(argument))
        if key == "Fn::GetAtt":
            logical_id, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
            return self.get_att(logical_id, self.resolve(attribute))
        if key == "Fn::Join":
            separator, parts = argument
            return str(separator).join(str(part) for part in self.resolve(parts))
        if key == "Fn::Select":
            index, items = self.resolve(argument)
            return items[int(index)]
        if key == "Fn::Sub":
            return self._sub(argument)
        raise UnresolvedReference(f"the local runtime does not resolve {key}")

    def ref(self, name: str) -> str:
        if name in self.pseudo():
            return self.pseudo()[name]
        if name not in self.physical:
            raise UnresolvedReference(f"Ref {name}: {self._unknown(name)}")
        return self.physical[name].ref

    def get_att(self, logical_id: str, attribute: str) -> str:
        physical = self.physical.get(logical_id)
        if physical is None or attribute not in physical.attributes:
            raise UnresolvedReference(f"Fn::GetAtt {logical_id}.{attribute}: {self._unknown(logical_id)}")
        return physical.attributes[attribute]

    def _unknown(self, logical_id: str) -> str:
        kind = self.resources.get(logical_id, {}).get("Type", "not in the template")
        return f"{logical_id} ({kind}) is not provided locally"

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        values = {name: str(self.resolve(value)) for name, value in variables.items()}

        def replace(match: re.Match[str]) -> str:
            literal, name = match.groups()
            if literal:
                return "${" + name + "}"
            if name in values:
                return values[name]
            if "." in name and name.split(".", 1)[0] in self.physical:
                return self.get_att(*name.split(".", 1))
            return self.ref(name)

        return _SUB_VARIABLE.sub(replace, str(text))
