"""Errors every body-taking route shares."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Staff


@pytest.mark.parametrize(("method", "path"), [("POST", "/accounts"), ("POST", "/contacts"), ("PATCH", "/accounts/x")])
def test_a_body_of_another_media_type_is_a_415(staff: Staff, method: str, path: str) -> None:
    response = staff("admin").request(
        method, path, data='{"name": "Acme"}', headers={"Content-Type": "text/plain", "If-Match": '"1"'}
    )
    assert response.status_code == 415, response.text
    assert response.headers["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(("method", "path"), [("POST", "/accounts"), ("PATCH", "/accounts/x")])
def test_multipart_without_a_boundary_is_a_4xx(staff: Staff, method: str, path: str) -> None:
    response = staff("admin").request(
        method, path, data='{"name": "Acme"}', headers={"Content-Type": "multipart/form-data", "If-Match": '"1"'}
    )
    assert response.status_code in (400, 415), response.text
    assert response.headers["Content-Type"] == "application/problem+json"
