"""The field history worker in the template is what infra/constructs/field_history.py declares: its rule sends it
every record's life-cycle events, the ones it keeps and the erasure that deletes a record's history."""

from __future__ import annotations

import pytest

from infra.constructs import field_history as construct
from rapport import field_history
from rapport.events.publisher import LIFECYCLE
from tests.infra.conftest import Synthesis

pytestmark = pytest.mark.slow


def test_the_rule_sends_the_worker_every_life_cycle_event_it_keeps_or_erases(dev: Synthesis) -> None:
    assert construct.LIFECYCLE == LIFECYCLE
    assert set(LIFECYCLE) == {*field_history.KEPT, field_history.ERASED}
    [rule] = [
        r for r in dev.of_type("AWS::Events::Rule").values() if "FieldHistoryEvents" in r["Metadata"]["aws:cdk:path"]
    ]
    assert rule["Properties"]["EventPattern"]["detail-type"] == [{"suffix": f".{verb}"} for verb in LIFECYCLE]
    [target] = rule["Properties"]["Targets"]
    assert "fieldhistory" in str(target["Arn"]) and "field_history" in dev.functions()
