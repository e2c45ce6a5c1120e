"""Synthesizes each stage once per session, through the same build_app as `cdk synth`, cdk-nag included."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack

from local.runtime.template import flatten, nested_templates

# What the CDK CLI adds to the context, so the template is the one `cdk synth` writes.
CLI_CONTEXT = {"aws:cdk:enable-path-metadata": True, "aws:cdk:enable-asset-metadata": True}


@dataclass(frozen=True)
class Synthesis:
    """`template`: the stack with its nested stacks' resources in place (as the local runtime reads it);
    `templates`: each stack's own template, as CloudFormation deploys it (the application stack's first, then the
    nested stacks, and theirs, by their logical ids)."""

    template: dict[str, Any]
    templates: dict[str, dict[str, Any]]
    report: dict[str, Any]
    error: str | None
    outdir: Path
    app: App

    @property
    def stack(self) -> Stack:
        """The synthesized stack, to read what the code declared (`stack.resolve` gives its template form)."""
        [stack] = [child for child in self.app.node.children if isinstance(child, Stack)]
        return stack

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        resources: dict[str, dict[str, Any]] = self.template["Resources"]
        return resources

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {name: resource for name, resource in self.resources.items() if resource["Type"] == resource_type}

    def functions(self) -> dict[str, dict[str, Any]]:
        """Each Lambda function's properties, by its area (`functions/<area>`)."""
        return {
            properties["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"].removeprefix("rapport-"): properties
            for properties in (f["Properties"] for f in self.of_type("AWS::Lambda::Function").values())
        }

    def api_functions(self) -> dict[str, dict[str, Any]]:
        """The functions serving the API areas of the OpenAPI document."""
        from infra.openapi import functions_of, load_routes

        areas = functions_of(load_routes())
        return {area: properties for area, properties in self.functions().items() if area in areas}

    def asset(self, logical_id: str) -> Path:
        """Where the resource's code (a function's, a layer's) was staged, as it is zipped and deployed."""
        return self.outdir / str(self.resources[logical_id]["Metadata"]["aws:asset:path"])

    def private_bucket(self, construct: str) -> dict[str, dict[str, Any]]:
        """The lifecycle rules, by id, of `construct`'s bucket, checked to be what `Data.private_bucket` makes:
        encrypted with the stack's key, never public, TLS only, unfinished uploads forgotten after a day."""
        bucket = self.one("AWS::S3::Bucket", f"/{construct}/Bucket/Resource")["Properties"]
        key = self.id_of("AWS::KMS::Key", "/Data/Key/Resource")
        [encryption] = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert encryption["ServerSideEncryptionByDefault"] == {
            "KMSMasterKeyID": {"Fn::GetAtt": [key, "Arn"]},
            "SSEAlgorithm": "aws:kms",
        }
        assert list(bucket["PublicAccessBlockConfiguration"].values()) == [True] * 4
        policy = self.one("AWS::S3::BucketPolicy", f"/{construct}/Bucket/Policy/Resource")["Properties"]
        denied = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
        assert [s["Condition"] for s in denied] == [{"Bool": {"aws:SecureTransport": "false"}}]
        rules = {rule["Id"]: rule for rule in bucket["LifecycleConfiguration"]["Rules"]}
        assert rules["Uploads"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
        return rules

    def id_of(self, resource_type: str, path_suffix: str) -> str:
        """The logical id of the resource of `resource_type` whose construct path ends with `path_suffix`."""
        [logical_id] = [
            name
            for name, resource in self.of_type(resource_type).items()
            if resource["Metadata"]["aws:cdk:path"].endswith(path_suffix)
        ]
        return logical_id

    def one(self, resource_type: str, path_suffix: str) -> dict[str, Any]:
        """The resource of `resource_type` whose construct path ends with `path_suffix`."""
        return self.resources[self.id_of(resource_type, path_suffix)]


FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


def worker_areas() -> list[str]:
    """The functions that serve no API area: the event workers (each a folder of `functions/` with a handler)."""
    from infra.openapi import functions_of, load_routes

    api = set(functions_of(load_routes()))
    return sorted(
        folder.name for folder in FUNCTIONS.iterdir() if (folder / "handler.py").is_file() and folder.name not in api
    )


def synthesize(stage: str, outdir: Path) -> Synthesis:
    from infra.application import build_app
    from infra.config import project_context

    app = build_app({**project_context(), **CLI_CONTEXT, "stage": stage}, outdir=str(outdir))
    error = None
    try:
        app.synth()
    except Exception as failure:  # a failing validation still writes the template and the report
        error = str(failure)
    template = json.loads((outdir / f"Rapport-{stage}.template.json").read_text())
    templates = {f"Rapport-{stage}": template, **_nested(outdir, template)}
    report = json.loads((outdir / "validation-report.json").read_text())
    return Synthesis(
        template=flatten(outdir, template), templates=templates, report=report, error=error, outdir=outdir, app=app
    )


def _nested(outdir: Path, template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The templates of `template`'s nested stacks and of theirs, by their logical ids."""
    found = {}
    for logical_id, child in nested_templates(outdir, template).items():
        found[logical_id] = child
        found.update(_nested(outdir, child))
    return found


@pytest.fixture(scope="session")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Synthesis:
    return synthesize("dev", tmp_path_factory.mktemp("cdk-dev"))


@pytest.fixture(scope="session")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Synthesis:
    return synthesize("prod", tmp_path_factory.mktemp("cdk-prod"))
