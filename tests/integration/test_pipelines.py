import json

import pytest

from tests.integration.sales import ADMIN, MANAGER, OTHER_TENANT, SALES, STAGES, deal, move, pipeline
from tools import openapi
from tools.lambda_api import call
from tools.metering import dynamodb_requests


def test_create_answers_201_with_location_etag_and_the_stages_in_order():
    with dynamodb_requests() as requests:
        reply = call("createPipeline", MANAGER, headers={"Idempotency-Key": None})
    assert requests == ["PutItem"]
    assert reply.status == 201, reply.body
    created = reply.body
    assert reply.headers["location"] == f"/pipelines/{created['id']}" and reply.etag == '"1"'
    assert [stage["name"] for stage in created["stages"]] == [
        "Qualified",
        "Demo",
        "Proposal",
        "Negotiation",
        "Won",
        "Lost",
    ]
    assert created["stages"][0] == {"name": "Qualified", "probability": 10, "status": "open", "follow_up_task": None}
    assert created["stages"][1]["follow_up_task"] == {"title": "Send the demo recap", "due_in_days": 1}
    assert created["rotting_days"] == 14
    assert call("getPipeline", record_id=created["id"]).body == created


def test_a_retried_create_replays_the_first_response():
    first, again = call("createPipeline", MANAGER), call("createPipeline", MANAGER)
    assert (first.status, again.status) == (201, 201)
    assert again.body == first.body and again.headers["idempotency-replayed"] == "true"
    assert len(call("listPipelines").body["items"]) == 1


def test_a_tenant_has_several_pipelines_listed_by_name_in_one_query():
    for name in ("Renewals", "New business", "Partners"):
        pipeline(name=name)
    with dynamodb_requests() as requests:
        page = call("listPipelines", query={"limit": "2"})
    assert requests == ["Query"]
    assert [p["name"] for p in page.body["items"]] == ["New business", "Partners"]
    rest = call("listPipelines", query={"limit": "2", "cursor": page.body["next_cursor"]}).body
    assert [p["name"] for p in rest["items"]] == ["Renewals"] and rest["next_cursor"] is None
    assert call("listPipelines", OTHER_TENANT).body["items"] == []


def test_everyone_reads_pipelines_only_admins_and_managers_set_them_up():
    created = pipeline(ADMIN)
    for groups in ("sales", "support", "marketing"):
        assert call("getPipeline", SALES.as_(groups), record_id=created["id"]).status == 200
        assert call("createPipeline", SALES.as_(groups), headers={"Idempotency-Key": None}).status == 403
        assert call("updatePipeline", SALES.as_(groups), record_id=created["id"]).status == 403
    assert call("updatePipeline", MANAGER, record_id=created["id"]).status == 200
    assert call("listPipelines", None).status == 401


@pytest.mark.parametrize(
    ("stages", "fields"),
    [
        ([{"name": "Demo", "probability": 10}, {"name": "DEMO ", "probability": 20}], {"stages[1].name"}),
        ([{"name": "Won", "probability": 100, "status": "won"}], {"stages"}),
        (
            [{"name": "A", "probability": 10}, {"name": "Won", "probability": 90, "status": "won"}],
            {"stages[1].probability"},
        ),
        (
            [{"name": "A", "probability": 101}, {"name": "", "probability": 1}],
            {"stages[0].probability", "stages[1].name"},
        ),
        ([{"name": "A", "probability": 5, "status": "maybe"}], {"stages[0].status"}),
        (
            [{"name": "A", "probability": 5, "follow_up_task": {"title": "Call", "due_in_days": -1}}],
            {"stages[0].follow_up_task.due_in_days"},
        ),
        ([], {"stages"}),
    ],
)
def test_invalid_stages_are_422_naming_the_field_at_fault(stages, fields):
    reply = call("createPipeline", MANAGER, body={"name": "P", "stages": stages}, headers={"Idempotency-Key": None})
    assert reply.status == 422, reply.body
    assert {error["field"] for error in reply.body["errors"]} == fields


def test_rotting_days_are_validated_and_a_merge_patch_clears_them():
    bad = call(
        "createPipeline",
        MANAGER,
        body={"name": "P", "stages": STAGES, "rotting_days": 0},
        headers={"Idempotency-Key": None},
    )
    assert bad.status == 422 and bad.body["errors"][0]["field"] == "rotting_days"
    created = pipeline(rotting_days=30)
    cleared = call("updatePipeline", MANAGER, record_id=created["id"], body={"rotting_days": None})
    assert cleared.status == 200 and cleared.body["rotting_days"] is None and cleared.body["name"] == "New business"
    assert cleared.etag == '"2"'


def test_patch_needs_if_match_and_refuses_a_stale_version():
    created = pipeline()
    assert call("updatePipeline", MANAGER, record_id=created["id"], headers={"If-Match": None}).status == 428
    assert call("updatePipeline", MANAGER, record_id=created["id"]).status == 200
    stale = call("updatePipeline", MANAGER, record_id=created["id"])
    assert stale.status == 412 and stale.body["type"] == "urn:rapport:problem:stale-version"


def test_unknown_and_other_tenants_pipelines_are_404():
    created = pipeline()
    for operation in ("getPipeline", "updatePipeline"):
        assert call(operation, OTHER_TENANT, record_id=created["id"]).status == 404
        assert call(operation, MANAGER, record_id="01JD5Y7M7ZV1W4T5C9H2K3N4P5").status == 404


def test_removing_a_stage_that_open_deals_are_in_is_409_saying_how_many():
    created = pipeline()
    for _ in range(3):
        deal(created["id"], stage="Demo")
    deal(created["id"], stage="Proposal")
    won = move(deal(created["id"], stage="Negotiation"), "Won")
    without = [stage for stage in STAGES if stage["name"] not in ("Demo", "Proposal", "Won")]
    with dynamodb_requests() as requests:
        reply = call("updatePipeline", MANAGER, record_id=created["id"], body={"stages": without})
    assert requests == ["GetItem", "Query"]
    assert reply.status == 409, reply.body
    assert (
        "'Demo' has 3 open deals" in reply.body["detail"] and "'Proposal' has 1 open deal;" not in reply.body["detail"]
    )
    assert "'Proposal' has 1 open deal" in reply.body["detail"]
    assert reply.body["errors"][0]["field"] == "stages"
    assert call("getPipeline", record_id=created["id"]).body["version"] == 1
    # A won stage holding only won deals may go: they keep their stage and status.
    keeps_open = [stage for stage in STAGES if stage["name"] != "Won"]
    assert call("updatePipeline", MANAGER, record_id=created["id"], body={"stages": keeps_open}).status == 200
    assert call("getDeal", record_id=won["id"]).body["stage"] == "Won"


def test_renaming_or_closing_a_used_stage_is_refused_changing_its_case_or_probability_is_not():
    created = pipeline()
    deal(created["id"], stage="Demo")
    renamed = [dict(stage, name="Product demo") if stage["name"] == "Demo" else stage for stage in STAGES]
    assert call("updatePipeline", MANAGER, record_id=created["id"], body={"stages": renamed}).status == 409
    closed = [dict(stage, status="lost", probability=0) if stage["name"] == "Demo" else stage for stage in STAGES]
    assert call("updatePipeline", MANAGER, record_id=created["id"], body={"stages": closed}).status == 409
    recased = [dict(stage, name="DEMO", probability=35) if stage["name"] == "Demo" else stage for stage in STAGES]
    assert call("updatePipeline", MANAGER, record_id=created["id"], body={"stages": recased}).status == 200


def test_a_stage_freed_of_its_deals_can_go():
    created = pipeline()
    moved = move(deal(created["id"], stage="Demo"), "Proposal")
    without_demo = [stage for stage in STAGES if stage["name"] != "Demo"]
    reply = call("updatePipeline", MANAGER, record_id=created["id"], body={"stages": without_demo})
    assert reply.status == 200, reply.body
    assert moved["stage"] == "Proposal"


def test_there_is_no_deleting_a_pipeline():
    document = json.loads(openapi.DOCUMENT.read_text())
    assert set(document["paths"]["/pipelines/{record_id}"]) == {"get", "patch"}
    assert set(document["paths"]["/pipelines"]) == {"get", "post"}
