"""CDK entry point (`cdk synth`, `cdk deploy`; pick the stage with `-c stage=prod`)."""

from infra.application import build_app
from infra.config import project_context

build_app(project_context()).synth()
