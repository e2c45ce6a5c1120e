"""Builds the CDK app: the stage's stack, checked by the cdk-nag AwsSolutions and Serverless packs.

No AWS calls: the stack is environment-agnostic, so it synthesizes offline and without credentials.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

from infra.config import stage_config
from infra.stacks.rapport_stack import RapportStack


def build_app(context: Mapping[str, Any], outdir: str | None = None) -> App:
    """The app; `context` holds defaults (cdk.json's), which the CDK CLI's `-c` values override."""
    app = App(context=dict(context), outdir=outdir)
    stage = stage_config(app)
    RapportStack(app, f"Rapport-{stage.name}", stage=stage, description=f"Rapport CRM ({stage.name})")
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
    return app
