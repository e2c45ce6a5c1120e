"""Schemathesis against the committed OpenAPI document on the running API: valid and invalid requests to every
operation; no answer is a 5xx, and every answer is one the document allows (status, content type, schema).

The stateful test follows the document's links (tools/openapi.py derives them): it creates records, then reads,
changes (with the ETag it was given), converts, trashes and restores them and reads their 360 view and
timelines, in sequences hypothesis chooses, with the same checks at every step."""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import Flaky
from hypothesis.stateful import initialize
from schemathesis import GenerationMode, Response
from schemathesis.checks import not_a_server_error
from schemathesis.generation.stateful.state_machine import StepInput, StepOutput
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e.conftest import Target, customer_token, sample
from tools.openapi import DOCUMENT

TENANT = "schemathesis"
MAX_EXAMPLES = 25  # per operation: with some seventy operations, about two minutes on two cores
schema = schemathesis.openapi.from_path(DOCUMENT)
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


CUSTOMER_SECURITY: list[dict[str, list[str]]] = [{"customer": []}]


def _for_customers(case: schemathesis.Case[Any]) -> bool:
    """A portal operation: called with a customer's token (a staff one is refused at the gateway)."""
    return bool(case.operation.definition.raw.get("security") == CUSTOMER_SECURITY)


@cache
def _customer(target: Target, tenant: str) -> str:
    """A customer's token for a contact of `tenant` made for it (once per run)."""
    staff = {"Authorization": f"Bearer {target.token(tenant, 'schemathesis', 'admin')}"}
    body = sample("createContact", email=f"portal-{uuid.uuid4().hex[:12]}@acme.example", phone=None)
    created = requests.post(f"{target.url}/contacts", json=body, headers=staff, timeout=30)
    assert created.status_code == 201, created.text
    return customer_token(target, tenant, created.json()["id"])


def _headers(case: schemathesis.Case[Any], target: Target, tenant: str) -> dict[str, str]:
    token = _customer(target, tenant) if _for_customers(case) else target.token(tenant, "schemathesis", "admin")
    return {"Authorization": f"Bearer {token}"}


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_answer_honours_the_contract(case: schemathesis.Case[Any], target: Target) -> None:
    case.call_and_validate(base_url=target.url, headers=_headers(case, target, TENANT), checks=CHECKS)


STATEFUL_TENANT = "schemathesis-stateful"
STATEFUL_SCENARIOS = 25  # sequences of calls; with up to STATEFUL_STEPS calls each, about two minutes on two cores
STATEFUL_STEPS = 15
# Valid requests only: a chain goes on from what was created, and invalid ones are the test above's.
stateful_schema = schemathesis.openapi.from_path(DOCUMENT)
stateful_schema.config.generation.update(modes=[GenerationMode.POSITIVE])


def _known_records(unique: str) -> list[tuple[str, dict[str, Any]]]:
    """Valid creates from the sample events, made unique, in an order whose later ones link the earlier."""
    phone = f"+4420794{int(unique[:6], 16) % 100000:05d}"
    return [
        ("createAccount", sample("createAccount", domain=f"{unique}.example")),
        ("createContact", sample("createContact", email=f"ada-{unique}@acme.example", phone=phone)),
        ("createLead", sample("createLead", email=f"grace-{unique}@navy.example", phone=None)),
        ("createPipeline", sample("createPipeline", name=f"Pipeline {unique}")),
        ("createProduct", sample("createProduct", sku=f"SKU-{unique}")),
        ("createArticle", sample("createArticle", slug=f"article-{unique}")),
        ("createSegment", sample("createSegment", name=f"Segment {unique}")),
    ]


def _slot(unique: str) -> dict[str, str]:
    """A half hour that no earlier run booked for the attendee (a double booking is a 409)."""
    starts = datetime(2027, 1, 4, 9, tzinfo=UTC) + timedelta(hours=int(unique, 16) % 100_000)
    return {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(minutes=30)).isoformat()}


def _linked_records(created: dict[str, dict[str, Any]], unique: str) -> list[tuple[str, dict[str, Any]]]:
    contact, account, pipeline, product = (
        created["createContact"]["id"],
        created["createAccount"]["id"],
        created["createPipeline"],
        created["createProduct"],
    )
    line = {"sku": product["sku"], "quantity": 2}
    return [
        (
            "createDeal",
            sample("createDeal", pipeline_id=pipeline["id"], contact_ids=[contact], owner_id="schemathesis"),
        ),
        ("createTask", sample("createTask", contact_id=contact)),
        ("createActivity", sample("createActivity", contact_id=contact, account_id=account)),
        (
            "createAppointment",
            sample("createAppointment", contact_id=contact, attendee_ids=["schemathesis"], **_slot(unique)),
        ),
        (
            "createOrder",
            sample("createOrder", contact_id=contact, number=f"SO-{unique}", external_id=unique, lines=[line]),
        ),
    ]


def test_sequences_that_follow_the_links_honour_the_contract(target: Target) -> None:

    seeded: list[StepOutput] = []
    failures: list[str] = []

    class Workflows(stateful_schema.as_state_machine()):  # type: ignore[misc]
        @initialize()
        def start_from_valid_records(self) -> None:
            """Generated creates are mostly refused (the validators ask more than the document says): every
            scenario may start from records created once from the sample events, which the links lead on from."""
            if not seeded:
                created: dict[str, dict[str, Any]] = {}
                unique = uuid.uuid4().hex[:12]
                for operation_id, body in _known_records(unique):
                    created[operation_id] = self._create(operation_id, body, seeded)
                for operation_id, body in _linked_records(created, unique):
                    self._create(operation_id, body, seeded)
            for output in seeded:
                # Known to this scenario as if it had made the call, so links from it can be followed and told.
                self.recorder.record_case(case=output.case)
                self.recorder.record_response(case_id=output.case.id, response=output.response)
                self.control.record_step(StepInput.initial(output.case), self.recorder)
                bundle = self._get_target_for_result(output)
                if bundle is not None:
                    self._add_results_to_targets((bundle,), [output])

        def _create(self, operation_id: str, body: dict[str, Any], outputs: list[StepOutput]) -> dict[str, Any]:
            case = stateful_schema.find_operation_by_id(operation_id).Case(body=body)
            output = self.step(StepInput.initial(case))
            assert output.response.status_code == 201, (operation_id, output.response.text)
            outputs.append(output)
            created: dict[str, Any] = output.response.json()
            return created

        def get_call_kwargs(self, case: schemathesis.Case[Any]) -> dict[str, Any]:
            return {"base_url": target.url, "headers": _headers(case, target, STATEFUL_TENANT)}

        def validate_response(
            self, response: Response, case: schemathesis.Case[Any], additional_checks: Any = None, **kwargs: Any
        ) -> None:
            try:
                case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs, recorder=self.recorder)
            except Exception as failure:
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {failure}")
                raise

    # A scenario replayed against a store that has moved on (hypothesis replays what it generated to shrink or to
    # find new paths) may draw differently and end as Flaky; every answer any scenario got was checked all the
    # same, and each failure is in `failures`. Schemathesis' own runner treats a flaky replay the same way.
    with contextlib.suppress(Flaky):
        Workflows.run(
            settings=settings(
                max_examples=STATEFUL_SCENARIOS,
                stateful_step_count=STATEFUL_STEPS,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                phases=[Phase.generate],
            )
        )
    assert not failures, failures
