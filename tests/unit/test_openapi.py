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
