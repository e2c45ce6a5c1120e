"""cfn-lint on the synthesized templates."""

from __future__ import annotations

import json

import pytest
from cfnlint.api import lint

from tests.infra.conftest import Synthesis

pytestmark = pytest.mark.slow

REGIONS = ["us-east-1", "eu-west-1"]
# W3005: CDK makes each function depend on its role explicitly, beside the GetAtt; harmless and not ours to drop.
ACCEPTED_WARNINGS = {"W3005"}


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_template_is_cfn_lint_clean(stage: str, request: pytest.FixtureRequest) -> None:
    synthesis: Synthesis = request.getfixturevalue(stage)
    matches = [
        match for template in synthesis.templates.values() for match in lint(json.dumps(template), regions=REGIONS)
    ]
    problems = [
        f"{match.rule.id} {match.message}"
        for match in matches
        if match.rule.severity == "error" or match.rule.id not in ACCEPTED_WARNINGS
    ]
    assert problems == []
