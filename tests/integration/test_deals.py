from collections import Counter
from decimal import Decimal
from functools import partial

import pytest

from rapport.auth import caller_from_claims
from rapport.dal.repository import ParentMissing, UnitOfWork
from rapport.deals import store as sales_items
from rapport.deals.service import deals
from tests.integration.race import outcome, race
from tests.integration.sales import ADMIN, MANAGER, OTHER_TENANT, SALES, deal, move, patch, pipeline, set_rates
from tools.lambda_api import call, create
from tools.metering import dynamodb_requests

UNKNOWN = "01JD5Y7M7ZV1W4T5C9H2K3N4P5"


@pytest.fixture
def pipe():
    return pipeline()


def test_create_answers_201_with_the_pipelines_first_stage_and_defaults(pipe):
    body = {"name": "Acme renewal", "amount": "48000.5", "pipeline_id": pipe["id"], "close_date": "2026-12-15"}
    with dynamodb_requests() as requests:
        reply = call("createDeal", body=body, headers={"Idempotency-Key": None})
    assert requests == ["GetItem", "BatchGetItem", "TransactWriteItems"]  # the custom fields, pipeline and rates
    assert reply.status == 201, reply.body
    created = reply.body
    assert reply.headers["location"] == f"/deals/{created['id']}" and reply.etag == '"1"'
    assert (created["stage"], created["status"], created["probability"]) == ("Qualified", "open", 10)
    assert (created["amount"], created["currency"], created["owner_id"]) == ("48000.50", "USD", SALES.user)
    assert created["closed_at"] is None and created["rotting"] is False
    assert created["stage_entered_at"] == created["last_activity_at"] == created["created_at"]
    with dynamodb_requests() as requests:
        read = call("getDeal", record_id=created["id"])
    assert requests == ["GetItem"]
    assert read.body == created and read.etag == '"1"'


def test_a_retried_create_replays_the_first_response(pipe):
    body = {"name": "Once", "amount": "1.00", "pipeline_id": pipe["id"], "close_date": "2026-12-15"}
    first, again = call("createDeal", body=body), call("createDeal", body=body)
    assert (first.status, again.status) == (201, 201) and again.body == first.body
    assert again.headers["idempotency-replayed"] == "true"
    assert len(call("listDeals").body["items"]) == 1


def test_amounts_are_decimals_with_two_places_never_floats(pipe):
    assert deal(pipe["id"], amount=1250.5)["amount"] == "1250.50"
    for amount in ("12.345", 0.1 + 0.2, "-5", "lots"):
        body = {"name": "x", "amount": amount, "pipeline_id": pipe["id"], "close_date": "2026-12-15"}
        reply = call("createDeal", body=body, headers={"Idempotency-Key": None})
        assert reply.status == 422 and reply.body["errors"][0]["field"] == "amount", amount


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"pipeline_id": UNKNOWN}, "pipeline_id", "unknown_reference"),
        ({"stage": "Signed"}, "stage", "unknown_stage"),
        ({"stage": "Lost"}, "lost_reason", "missing"),
        ({"lost_reason": "Too expensive"}, "lost_reason", "not_lost"),
        ({"currency": "EUR"}, "currency", "no_rate"),
        ({"currency": "EURO"}, "currency", "string_too_long"),
        ({"contact_ids": ["a", "a"]}, "contact_ids", "value_error"),
        ({"contact_ids": ["a"], "contact_roles": {"b": "champion"}}, "contact_roles", "value_error"),
        ({"contact_ids": [f"c{n}" for n in range(11)]}, "contact_ids", "too_long"),
        ({"close_date": "next week"}, "close_date", "value_error"),
        ({"close_date": 1_765_756_800}, "close_date", "value_error"),
        ({"close_date": "2026-12-15T00:00:00Z"}, "close_date", "value_error"),
        ({"close_date": "9999-12-31"}, "close_date", "value_error"),
        ({"colour": "red"}, "colour", "extra_forbidden"),
    ],
)
def test_invalid_deals_are_422_naming_the_field(pipe, fields, field, code):
    body = {"name": "x", "amount": "1.00", "pipeline_id": pipe["id"], "close_date": "2026-12-15", **fields}
    reply = call("createDeal", body=body, headers={"Idempotency-Key": None})
    assert reply.status == 422, reply.body
    assert (reply.body["errors"][0]["field"], reply.body["errors"][0]["code"]) == (field, code)


def test_another_tenants_pipeline_account_or_contact_is_unknown(pipe):
    theirs = pipeline(OTHER_TENANT)
    account = create("createAccount", OTHER_TENANT, name="Theirs")
    contact = create("createContact", OTHER_TENANT, last_name="Theirs")
    mine = create("createContact", last_name="Mine")
    for fields, field in (
        ({"pipeline_id": theirs["id"]}, "pipeline_id"),
        ({"account_id": account["id"]}, "account_id"),
        ({"contact_ids": [mine["id"], contact["id"]]}, "contact_ids[1]"),
    ):
        body = {"name": "x", "amount": "1.00", "pipeline_id": pipe["id"], "close_date": "2026-12-15", **fields}
        reply = call("createDeal", body=body, headers={"Idempotency-Key": None})
        assert reply.status == 422, fields
        assert reply.body["errors"][0]["field"] == field
    assert sales_items.deal_summaries(SALES.tenant, mine["id"]) == []


def test_moving_a_deal_records_its_history_in_the_same_write(pipe):
    created = deal(pipe["id"])
    with dynamodb_requests() as requests:
        demo = move(created, "demo")
    assert requests == ["GetItem", "BatchGetItem", "TransactWriteItems"]
    assert (demo["stage"], demo["probability"], demo["version"]) == ("Demo", 30, 2)
    won = move(demo, "Won", MANAGER)
    with dynamodb_requests() as requests:
        history = call("listDealStageHistory", record_id=created["id"])
    assert requests == ["Query"]
    entries = history.body["items"]
    assert [(e["from_stage"], e["to_stage"], e["status"], e["probability"]) for e in entries] == [
        (None, "Qualified", "open", 10),
        ("Qualified", "Demo", "open", 30),
        ("Demo", "Won", "won", 100),
    ]
    assert entries[2]["by"] == MANAGER.user and entries[2]["at"] == won["stage_entered_at"]
    assert entries[0]["days_in_previous_stage"] is None
    assert all(isinstance(e["days_in_previous_stage"], float) for e in entries[1:])


def test_won_and_lost_set_closed_at_and_the_close_date_and_reopening_clears_them(pipe):
    created = deal(pipe["id"], close_date="2027-03-31")
    won = move(created, "Won")
    assert won["closed_at"] == won["stage_entered_at"] and won["close_date"] == won["closed_at"][:10]
    reasonless = patch(won, stage="Lost")
    assert reasonless.status == 422 and reasonless.body["errors"][0]["field"] == "lost_reason"
    lost = move(won, "Lost", lost_reason="Chose a competitor", close_date="2026-11-30")
    assert (lost["status"], lost["close_date"], lost["lost_reason"]) == ("lost", "2026-11-30", "Chose a competitor")
    reopened = move(lost, "Negotiation")
    assert (reopened["closed_at"], reopened["lost_reason"], reopened["status"]) == (None, None, "open")


def test_a_change_that_moves_nothing_is_one_read_and_one_write(pipe):
    created = deal(pipe["id"])
    with dynamodb_requests() as requests:
        reply = patch(created, name="Renamed", close_date="2027-01-31")
    assert requests == ["GetItem", "PutItem"]
    assert reply.status == 200 and reply.body["name"] == "Renamed"
    assert len(call("listDealStageHistory", record_id=created["id"]).body["items"]) == 1


def test_fields_a_deal_needs_cannot_be_cleared(pipe):
    created = deal(pipe["id"])
    reply = patch(created, stage=None, amount=None)
    assert reply.status == 422
    assert {error["field"] for error in reply.body["errors"]} == {"stage", "amount"}


def test_moving_to_another_pipeline_starts_at_its_first_stage(pipe):
    other = pipeline(
        name="Renewals",
        stages=[{"name": "Review", "probability": 50}, {"name": "Won", "probability": 100, "status": "won"}],
    )
    created = deal(pipe["id"], stage="Demo")
    moved = patch(created, pipeline_id=other["id"]).body
    assert (moved["pipeline_id"], moved["stage"], moved["probability"]) == (other["id"], "Review", 50)
    last = call("listDealStageHistory", record_id=created["id"]).body["items"][-1]
    assert (last["from_pipeline_id"], last["pipeline_id"], last["from_stage"]) == (pipe["id"], other["id"], "Demo")


def test_patch_needs_if_match_and_two_moves_of_one_deal_at_once_get_one_412(pipe):
    created = deal(pipe["id"])
    assert call("updateDeal", record_id=created["id"], headers={"If-Match": None}).status == 428
    caller = caller_from_claims({"sub": SALES.user, "custom:tenant_id": SALES.tenant, "cognito:groups": "sales"})
    moves = [partial(deals.update, caller, created["id"], {"stage": stage}, 1) for stage in ("Demo", "Proposal")]
    results = race(moves)
    assert Counter(map(outcome, results)) == {"Deal": 1, "PreconditionFailed": 1}
    [winner] = [result for result in results if not isinstance(result, Exception)]
    history = call("listDealStageHistory", record_id=created["id"]).body["items"]
    assert [entry["to_stage"] for entry in history] == ["Qualified", winner.stage]
    stale = patch(created, stage="Won")
    assert stale.status == 412


def test_contacts_get_a_summary_of_the_deal_kept_current_by_every_write(pipe):
    ada, alan, grace = (create("createContact", last_name=name) for name in ("Ada", "Alan", "Grace"))
    created = deal(pipe["id"], contact_ids=[ada["id"], alan["id"]], contact_roles={ada["id"]: "champion"})
    assert created["contact_roles"] == {ada["id"]: "champion"}
    [summary] = sales_items.deal_summaries(SALES.tenant, ada["id"])
    assert (summary.kind, summary.ref_id) == ("deal", created["id"])
    assert summary.data.as_dict() == {  # type: ignore[no-untyped-call]
        "name": "Deal",
        "amount": "1000.00",
        "currency": "USD",
        "stage": "Qualified",
        "status": "open",
        "close_date": "2026-11-20",
        "owner_id": SALES.user,
    }
    relinked = patch(created, contact_ids=[alan["id"], grace["id"]], amount="1500.00").body
    assert relinked["contact_roles"] == {}  # roles of contacts no longer linked go with them
    assert sales_items.deal_summaries(SALES.tenant, ada["id"]) == []
    for contact in (alan, grace):
        [summary] = sales_items.deal_summaries(SALES.tenant, contact["id"])
        assert summary.data["amount"] == "1500.00"
    call("deleteDeal", record_id=created["id"], headers={"If-Match": None})
    assert sales_items.deal_summaries(SALES.tenant, alan["id"]) == []
    restored = call("restoreDeal", MANAGER, record_id=created["id"], headers={"If-Match": None}).body
    assert len(sales_items.deal_summaries(SALES.tenant, grace["id"])) == 1
    unlinked = patch(restored, contact_ids=None, contact_roles=None).body
    assert (unlinked["contact_ids"], unlinked["contact_roles"]) == ([], {})
    assert sales_items.deal_summaries(SALES.tenant, grace["id"]) == []


def test_a_won_deal_adds_its_amount_in_the_tenant_currency_to_its_contacts_lifetime_value(pipe):
    assert set_rates("USD", {"EUR": "1.08"}).status == 200
    ada = create("createContact", last_name="Ada")
    first = deal(pipe["id"], amount="1000.00", currency="EUR", contact_ids=[ada["id"]])
    second = deal(pipe["id"], amount="250.50", contact_ids=[ada["id"]])
    move(first, "Won")
    won = move(second, "Won")
    assert sales_items.lifetime_value(SALES.tenant, ada["id"]) == (Decimal("1330.50"), "USD")
    move(won, "Negotiation")
    assert sales_items.lifetime_value(SALES.tenant, ada["id"]) == (Decimal("1080.00"), "USD")


def test_winning_in_a_currency_without_a_rate_is_409(pipe):
    assert set_rates("USD", {"EUR": "1.08"}).status == 200
    created = deal(pipe["id"], currency="EUR")
    assert set_rates("USD", {}).status == 200
    reply = patch(created, stage="Won")
    assert reply.status == 409 and reply.body["errors"][0]["field"] == "currency"


FILTERED = [
    ({}, ["a-open", "b-open", "b-won", "c-other"]),
    ({"owner_id": "ann"}, ["a-open", "b-won"]),
    ({"owner_id": "ann", "status": "open"}, ["a-open"]),
    ({"owner_id": "bob", "status": "open", "pipeline_id": "P"}, ["b-open"]),
    ({"pipeline_id": "P"}, ["a-open", "b-open", "b-won"]),
    ({"pipeline_id": "P", "stage": "demo"}, ["a-open"]),
    ({"status": "open"}, ["a-open", "b-open", "c-other"]),
    ({"status": "open", "pipeline_id": "P"}, ["a-open", "b-open"]),
    ({"status": "lost"}, []),
]


@pytest.mark.parametrize(("query", "names"), FILTERED)
def test_every_filter_combination_is_one_query(pipe, query, names):
    other = pipeline(name="Other")
    deal(pipe["id"], name="a-open", owner_id="ann", stage="Demo", close_date="2026-11-01")
    deal(pipe["id"], name="b-open", owner_id="bob", stage="Proposal", close_date="2026-11-02")
    won = deal(pipe["id"], name="b-won", owner_id="ann", close_date="2026-11-03")
    move(won, "Won", ADMIN, close_date="2026-11-03")  # ann's deals are hers and an admin's to change
    deal(other["id"], name="c-other", owner_id="bob", close_date="2026-11-04")
    trashed = deal(pipe["id"], name="trashed", owner_id="ann", stage="Demo")
    call("deleteDeal", ADMIN, record_id=trashed["id"], headers={"If-Match": None})
    query = {name: pipe["id"] if value == "P" else value for name, value in query.items()}
    with dynamodb_requests() as requests:
        reply = call("listDeals", query=query)
    assert requests == ["Query"]
    assert reply.status == 200, reply.body
    assert [item["name"] for item in reply.body["items"]] == names
    assert [item["name"] for item in call("listDeals", query={"deleted": "true"}).body["items"]] == ["trashed"]


@pytest.mark.parametrize(
    "query",
    [
        {"stage": "Demo"},
        {"owner_id": "ann", "pipeline_id": "P"},
        {"status": "open", "stage": "Demo"},
        {"deleted": "true", "status": "open"},
    ],
)
def test_other_filter_combinations_are_400_listing_the_ones_there_are(query):
    reply = call("listDeals", query=query)
    assert reply.status == 400
    assert "owner_id + status + pipeline_id" in reply.body["detail"]
    assert {error["field"] for error in reply.body["errors"]} == set(query)


def test_lists_page_with_cursors_bound_to_the_filters(pipe):
    for day in range(1, 6):
        deal(pipe["id"], name=f"d{day}", close_date=f"2026-11-0{day}")
    first = call("listDeals", query={"status": "open", "limit": "3"}).body
    rest = call("listDeals", query={"status": "open", "limit": "3", "cursor": first["next_cursor"]}).body
    assert [d["name"] for d in first["items"] + rest["items"]] == ["d1", "d2", "d3", "d4", "d5"]
    assert call("listDeals", query={"limit": "3", "cursor": first["next_cursor"]}).status == 400
    assert call("listDeals", query={"status": "maybe"}).status == 400


def test_a_deal_without_activity_for_the_pipelines_rotting_days_is_flagged_rotting():
    pipe = pipeline(rotting_days=7)
    created = deal(pipe["id"])
    work = UnitOfWork()
    work.update_item(
        *sales_items.touch_deal_activity(SALES.tenant, created["id"], "2026-01-05T10:00:00.000Z", SALES.user)
    )
    work.commit()
    read = call("getDeal", record_id=created["id"])
    assert read.body["rotting"] is True and read.body["last_activity_at"] == "2026-01-05T10:00:00Z"
    assert read.etag == '"2"'  # touching it is a change: a stale edit is a 412, not a lost update
    assert [d["rotting"] for d in call("listDeals", query={"pipeline_id": pipe["id"]}).body["items"]] == [True]
    fresh = move(read.body, "Demo")
    assert fresh["rotting"] is False
    unlimited = pipeline(name="No rot", rotting_days=None)
    calm = deal(unlimited["id"])
    work = UnitOfWork()
    work.update_item(*sales_items.touch_deal_activity(SALES.tenant, calm["id"], "2020-01-01T00:00:00.000Z", SALES.user))
    work.commit()
    assert call("getDeal", record_id=calm["id"]).body["rotting"] is False


def test_touching_an_unknown_or_trashed_deal_fails_as_a_missing_parent(pipe):
    created = deal(pipe["id"])
    call("deleteDeal", record_id=created["id"], headers={"If-Match": None})
    for deal_id in (created["id"], UNKNOWN):
        work = UnitOfWork()
        work.update_item(
            *sales_items.touch_deal_activity(SALES.tenant, deal_id, "2026-11-22T10:00:00.000Z", SALES.user)
        )
        with pytest.raises(ParentMissing):
            work.commit()


def test_trash_and_restore(pipe):
    created = deal(pipe["id"])
    assert call("deleteDeal", record_id=created["id"], headers={"If-Match": '"5"'}).status == 412
    with dynamodb_requests() as requests:
        assert call("deleteDeal", record_id=created["id"]).status == 204
    assert requests == ["GetItem", "PutItem"]
    trashed = call("getDeal", record_id=created["id"]).body
    assert trashed["deleted_by"] == SALES.user and call("listDeals").body["items"] == []
    assert patch(trashed, name="x").status == 409
    assert call("restoreDeal", record_id=created["id"], headers={"If-Match": None}).status == 403
    restored = call("restoreDeal", MANAGER, record_id=created["id"], headers={"If-Match": None})
    assert restored.status == 200 and restored.body["deleted_at"] is None
    assert call("restoreDeal", MANAGER, record_id=created["id"], headers={"If-Match": None}).status == 409
    assert [d["id"] for d in call("listDeals").body["items"]] == [created["id"]]


def test_only_admins_erase_and_erasing_leaves_nothing_behind(pipe):
    ada = create("createContact", last_name="Ada")
    created = move(deal(pipe["id"], contact_ids=[ada["id"]]), "Demo")
    erase = {"permanent": "true"}
    assert call("deleteDeal", MANAGER, record_id=created["id"], query=erase).status == 403
    reply = call("deleteDeal", ADMIN, record_id=created["id"], query=erase, headers={"If-Match": None})
    assert reply.status == 204
    assert call("getDeal", record_id=created["id"]).status == 404
    assert call("listDealStageHistory", record_id=created["id"]).status == 404
    assert sales_items.history_items(SALES.tenant, created["id"]) == []
    assert sales_items.deal_summaries(SALES.tenant, ada["id"]) == []


def test_roles(pipe):
    created = deal(pipe["id"])
    for groups in ("support", "marketing"):
        staff = SALES.as_(groups)
        assert call("getDeal", staff, record_id=created["id"]).status == 200
        assert call("createDeal", staff, headers={"Idempotency-Key": None}).status == 403
        assert call("updateDeal", staff, record_id=created["id"]).status == 403
        assert call("deleteDeal", staff, record_id=created["id"]).status == 403
    assert call("getDeal", None, record_id=created["id"]).status == 401


def test_unknown_and_other_tenants_deals_are_404_on_every_route(pipe):
    created = deal(pipe["id"])
    operations = ("getDeal", "updateDeal", "deleteDeal", "restoreDeal", "listDealStageHistory")
    for operation in operations:
        for staff, deal_id in ((OTHER_TENANT, created["id"]), (ADMIN, UNKNOWN)):
            reply = call(operation, staff, record_id=deal_id, headers={"If-Match": '"1"'})
            assert reply.status == 404, (operation, reply.body)
            assert reply.headers["content-type"] == "application/problem+json"
    assert call("listDeals", OTHER_TENANT).body["items"] == []


def test_history_pages_oldest_first(pipe):
    created = deal(pipe["id"])
    for stage in ("Demo", "Proposal", "Negotiation"):
        created = move(created, stage)
    first = call("listDealStageHistory", record_id=created["id"], query={"limit": "3"}).body
    rest = call(
        "listDealStageHistory", record_id=created["id"], query={"limit": "3", "cursor": first["next_cursor"]}
    ).body
    assert [e["to_stage"] for e in first["items"] + rest["items"]] == ["Qualified", "Demo", "Proposal", "Negotiation"]
    assert rest["next_cursor"] is None
    assert (
        call(
            "listDealStageHistory", OTHER_TENANT, record_id=created["id"], query={"cursor": first["next_cursor"]}
        ).status
        == 400
    )
