"""What API Gateway answers itself over HTTP: the Cognito authorizer, unknown routes, CORS preflight."""

from __future__ import annotations

import base64
import json

import pytest
import requests

from local.runtime.runtime import REGION
from local.runtime.store import DataDir
from local.runtime.tokens import TokenIssuer
from tests.e2e.conftest import LocalRuntime, Staff, Target


def _unauthorized(response: requests.Response, detail: str = "Unauthorized") -> None:
    assert response.status_code == 401, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == detail


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer not.a.token", "Basic dXNlcjpwYXNz"])
def test_no_or_a_malformed_token_is_a_401(target: Target, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    _unauthorized(requests.get(f"{target.url}/accounts", headers=headers, timeout=30))
    _unauthorized(requests.post(f"{target.url}/contacts", json={"last_name": "X"}, headers=headers, timeout=30))


def test_a_token_with_edited_claims_is_a_401(target: Target, tenant: str) -> None:
    header, payload, signature = target.token(tenant, "mallory", "sales").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["cognito:groups"] = ["admin"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    response = requests.get(
        f"{target.url}/accounts", headers={"Authorization": f"Bearer {header}.{forged}.{signature}"}, timeout=30
    )
    _unauthorized(response)


def test_an_expired_token_is_a_401(local_runtime: LocalRuntime, tenant: str) -> None:
    issuer = TokenIssuer.of(DataDir(local_runtime.data_dir), REGION)
    expired = issuer.mint(tenant=tenant, user="ada", groups=["sales"], lifetime=-60)
    response = requests.get(f"{local_runtime.url}/accounts", headers={"Authorization": f"Bearer {expired}"}, timeout=30)
    _unauthorized(response, "The incoming token has expired")


def test_a_route_outside_the_stack_is_a_404(staff: Staff) -> None:
    sales = staff("sales")
    for method, path in (("GET", "/widgets"), ("GET", "/accounts/x/y/z"), ("GET", "/")):
        response = sales.request(method, path)
        assert response.status_code == 404, (method, path, response.text)
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.json()["type"] == "urn:rapport:problem:not-found"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/accounts", "GET, OPTIONS, POST"),
        ("POST", "/accounts/01J00000000000000000000000", "DELETE, GET, OPTIONS, PATCH"),
        ("DELETE", "/currency-rates", "GET, OPTIONS, PUT"),
        ("GET", "/public/leads", "OPTIONS, POST"),
    ],
)
def test_a_known_path_asked_with_another_method_is_a_405_with_allow(target: Target, method, path, allowed) -> None:
    response = requests.request(method, f"{target.url}{path}", json={}, timeout=30)
    assert response.status_code == 405, response.text
    assert response.headers["Allow"] == allowed
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert (problem["type"], problem["status"]) == ("urn:rapport:problem:method-not-allowed", 405)
    assert path.split("/")[1] in problem["detail"]


def test_gateway_errors_are_problems_of_the_functions_types(staff: Staff, target: Target) -> None:
    unauthorized = requests.get(f"{target.url}/accounts", timeout=30).json()
    assert (unauthorized["type"], unauthorized["status"]) == ("urn:rapport:problem:unauthenticated", 401)
    missing = staff("manager").get("/forecast")
    assert missing.status_code == 400, missing.text
    problem = missing.json()
    assert problem["type"] == "urn:rapport:problem:bad-request"
    assert [entry["in"] for entry in problem["errors"]] == ["query"]
    assert "period" in problem["errors"][0]["message"] + problem["detail"]


STAFF_PREFLIGHT = {
    "Access-Control-Allow-Origin": "http://localhost:5173",
    "Vary": "Origin",
    "Access-Control-Allow-Methods": "DELETE,GET,PATCH,POST,PUT",
    "Access-Control-Allow-Headers": "Authorization,Content-Type,If-Match,Idempotency-Key",
    "Access-Control-Expose-Headers": "ETag,Location",
    "Access-Control-Max-Age": "600",
}
WEB_TO_LEAD_PREFLIGHT = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST,OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type,X-Api-Key",
    "Access-Control-Max-Age": "600",
}
OPEN_PREFLIGHT = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET,POST,OPTIONS",
    "Access-Control-Allow-Headers": "If-None-Match",
    "Access-Control-Expose-Headers": "ETag,Cache-Control",
    "Access-Control-Max-Age": "600",
}


@pytest.mark.parametrize(
    ("path", "origin", "requested", "expected"),
    [
        ("/accounts/01J00000000000000000000000", "http://localhost:5173", "PATCH", STAFF_PREFLIGHT),
        ("/accounts", "http://localhost:5173", "POST", STAFF_PREFLIGHT),
        ("/public/leads", "https://www.tenant.example", "POST", WEB_TO_LEAD_PREFLIGHT),
        ("/public/acme/kb/articles/a-slug", "https://help.tenant.example", "GET", OPEN_PREFLIGHT),
        ("/public/unsubscribe/a-token", "https://mail.example", "POST", OPEN_PREFLIGHT),
    ],
)
def test_cors_preflight_is_answered_without_a_token_with_the_paths_headers(
    target: Target, path: str, origin: str, requested: str, expected: dict[str, str]
) -> None:
    """Each path's ANY mock answers its preflight: no OPTIONS method, the same answer as CDK's preflight gave."""
    headers = {"Origin": origin, "Access-Control-Request-Method": requested}
    response = requests.options(f"{target.url}{path}", headers=headers, timeout=30)
    assert response.status_code == 204, response.text
    assert {name: response.headers.get(name) for name in expected} == expected
    assert response.content == b""
    if expected["Access-Control-Allow-Origin"] == "*":
        assert "Vary" not in response.headers


def test_a_preflight_of_a_path_with_no_route_is_a_404(target: Target) -> None:
    response = requests.options(f"{target.url}/public", headers={"Origin": "https://www.tenant.example"}, timeout=30)
    assert response.status_code == 404, response.text


def test_each_response_carries_a_request_id(staff: Staff) -> None:
    first, second = staff("sales").get("/accounts"), staff("sales").get("/accounts")
    assert first.headers["x-amzn-RequestId"] != second.headers["x-amzn-RequestId"]


def test_the_docs_serve_swagger_ui_over_the_committed_document(local_runtime: LocalRuntime) -> None:
    page = requests.get(f"{local_runtime.url}/docs", timeout=30)
    assert page.status_code == 200
    assert "swagger-ui-bundle.js" in page.text
    document = requests.get(f"{local_runtime.url}/docs/openapi.json", timeout=30).json()
    assert "/accounts/{record_id}" in document["paths"]
    assert requests.get(f"{local_runtime.url}/docs/swagger-ui-bundle.js", timeout=30).status_code == 200
    assert requests.get(f"{local_runtime.url}/docs/../../pyproject.toml", timeout=30).status_code == 404
