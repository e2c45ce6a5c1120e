import json
from typing import Any

from tools import openapi


def test_the_committed_openapi_document_is_current():
    assert openapi.DOCUMENT.read_text() == openapi.render(), "functions/openapi.json is stale: run `make openapi`"


def test_every_operation_names_its_function_and_documents_its_problems():
    document = json.loads(openapi.DOCUMENT.read_text())
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation["x-rapport-function"] in openapi.AREAS, (method, path)
            problems = {status for status, response in operation["responses"].items() if status >= "400"}
            assert {"400", "401", "403", "404"} <= problems, (method, path)
            for status in problems:
                assert "application/problem+json" in operation["responses"][status]["content"]


def test_every_operation_has_a_sample_event_of_its_area_and_route():
    document = json.loads(openapi.DOCUMENT.read_text())
    events = openapi.ROOT / "events" / "apigw"
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            sample = events / operation["x-rapport-function"] / f"{operation['operationId']}.json"
            assert sample.is_file(), sample
            event = json.loads(sample.read_text())
            assert (event["httpMethod"], event["resource"]) == (method.upper(), path), sample


def test_public_operations_take_an_api_key_or_nothing_the_portal_s_a_customer_token_and_staff_ones_the_token():
    document = json.loads(openapi.DOCUMENT.read_text())
    assert document["security"] == [{"cognito": []}]
    public = {
        (method, path): operation["security"]
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "security" in operation
    }
    links = {("get", "/public/unsubscribe/{token}"), ("post", "/public/unsubscribe/{token}")}
    links |= {("get", "/public/preferences/{token}"), ("post", "/public/preferences/{token}")}
    links |= {("get", "/public/clicks/{token}"), ("get", "/public/opens/{token}")}
    kb = {("get", "/public/{tenant_slug}/kb/articles"), ("get", "/public/{tenant_slug}/kb/articles/{slug}")}
    portal = {key for key in public if key[1].startswith("/portal/")}
    assert len(portal) == 13 and all(public[key] == [{"customer": []}] for key in portal)
    expected: dict[tuple[str, str], list[dict[str, list[str]]]] = {
        ("post", "/public/leads"): [{"api_key": []}],
        **{key: [] for key in kb | links},
    }
    assert {key: security for key, security in public.items() if key not in portal} == expected
    assert document["components"]["securitySchemes"]["customer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    assert document["components"]["securitySchemes"]["api_key"] == {
        "type": "apiKey",
        "in": "header",
        "name": "x-api-key",
    }


def _links(document: dict[str, Any], operation_id: str, status: str) -> dict[str, Any]:
    [operation] = [o for item in document["paths"].values() for o in item.values() if o["operationId"] == operation_id]
    links: dict[str, Any] = operation["responses"][status].get("links", {})
    return links


def test_a_created_record_links_to_its_reads_changes_360_and_timeline_with_its_id_and_etag():
    document = json.loads(openapi.DOCUMENT.read_text())
    links = _links(document, "createContact", "201")
    assert {"getContact", "updateContact", "getContact360", "listContactTimeline", "deleteContact"} <= set(links)
    assert links["getContact360"]["parameters"] == {"path.record_id": "$response.body#/id"}
    assert links["updateContact"]["parameters"] == {
        "path.record_id": "$response.body#/id",
        "header.if-match": "$response.header.ETag",
    }
    assert {"convertLead", "updateLead", "listLeadTimeline"} <= set(_links(document, "createLead", "201"))
    assert "updateDeal" in _links(document, "getDeal", "200")


def test_a_conversion_links_to_what_it_made_by_their_ids_without_an_etag():
    document = json.loads(openapi.DOCUMENT.read_text())
    links = _links(document, "convertLead", "200")
    assert links["getContact360.contact_id"]["parameters"] == {"path.record_id": "$response.body#/contact_id"}
    assert links["updateDeal.deal_id"]["parameters"] == {"path.record_id": "$response.body#/deal_id"}
    assert "getAccount.account_id" in links


def test_every_link_names_an_operation_and_parameters_it_has():
    document = json.loads(openapi.DOCUMENT.read_text())
    operations = {o["operationId"]: o for item in document["paths"].values() for o in item.values()}
    linked = 0
    for operation in operations.values():
        for response in operation["responses"].values():
            for link in response.get("links", {}).values():
                target = operations[link["operationId"]]
                declared = {f"{p['in']}.{p['name']}" for p in target.get("parameters", [])}
                assert set(link["parameters"]) <= declared, (operation["operationId"], link)
                linked += 1
    assert linked > 100


def test_a_204_answer_is_documented_without_a_body():
    document = json.loads(openapi.DOCUMENT.read_text())
    deletes = [o for item in document["paths"].values() for o in item.values() if "204" in o["responses"]]
    assert deletes
    assert all("content" not in operation["responses"]["204"] for operation in deletes)


def test_models_of_one_name_in_two_areas_each_keep_their_own_schema():
    document = json.loads(openapi.DOCUMENT.read_text())
    schemas = document["components"]["schemas"]
    appointment_channel = schemas["Appointment"]["properties"]["channel"]["anyOf"][0]["$ref"].rpartition("/")[2]
    assert schemas[appointment_channel]["enum"] == ["in_person", "phone", "video"]
    template_channel = schemas["NotificationTemplate"]["properties"]["channel"]["$ref"].rpartition("/")[2]
    assert schemas[template_channel]["enum"] == ["email", "sms"]
