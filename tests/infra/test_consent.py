"""The consent events worker in the template is what infra/constructs/consent.py declares: it handles the events its
rule sends it, and the links it mails go under the API's URL."""

from __future__ import annotations

import pytest
from consent_events.handler import HANDLED

from infra.constructs import consent as construct
from tests.infra.conftest import Synthesis

pytestmark = pytest.mark.slow


def test_the_rule_sends_the_worker_exactly_the_events_it_handles() -> None:
    assert set(construct.CONSENT_EVENTS) == set(HANDLED)


def test_the_worker_links_under_the_api_s_url(dev: Synthesis) -> None:
    [api] = dev.of_type("AWS::ApiGateway::RestApi")
    variables = dev.functions()["consent_events"]["Environment"]["Variables"]
    assert api in str(variables[construct.PUBLIC_URL])
