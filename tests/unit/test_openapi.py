import json

from local import openapi


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


def test_public_operations_take_an_api_key_and_staff_ones_the_token():
    document = json.loads(openapi.DOCUMENT.read_text())
    assert document["security"] == [{"cognito": []}]
    public = {
        (method, path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "security" in operation
    }
    assert public == {("post", "/public/leads")}
    assert document["paths"]["/public/leads"]["post"]["security"] == [{"api_key": []}]
    assert document["components"]["securitySchemes"]["api_key"] == {
        "type": "apiKey",
        "in": "header",
        "name": "x-api-key",
    }
