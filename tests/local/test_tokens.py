from __future__ import annotations

import base64
import json

import pytest

from local.runtime.tokens import EXPIRED, UNAUTHORIZED, InvalidToken, TokenIssuer, rest_api_claims

ISSUER = TokenIssuer(b"k" * 32, "eu-west-1")
NOW = 1_795_338_000


def _mint(**overrides) -> str:
    fields = {"tenant": "acme", "user": "ada", "groups": ["sales", "manager"], "now": NOW}
    return ISSUER.mint(**{**fields, **overrides})


def test_a_token_carries_the_claims_of_a_cognito_id_token() -> None:
    claims = ISSUER.verify(_mint(email="ada@acme.example"), now=NOW + 60)
    assert claims["custom:tenant_id"] == "acme"
    assert claims["sub"] == claims["cognito:username"] == "ada"
    assert claims["cognito:groups"] == ["sales", "manager"]
    assert claims["email"] == "ada@acme.example"
    assert claims["token_use"] == "id"
    assert claims["iss"] == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_RapportLocal"
    assert claims["exp"] - claims["iat"] == 3600


def test_an_expired_token_is_refused_as_api_gateway_says_it() -> None:
    with pytest.raises(InvalidToken, match=EXPIRED):
        ISSUER.verify(_mint(lifetime=60), now=NOW + 61)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not-a-jwt",
        "a.b.c",
        "é.é.é",
        TokenIssuer(b"other", "eu-west-1").mint(tenant="acme", user="ada", groups=["admin"], now=NOW),
        TokenIssuer(b"k" * 32, "us-east-1").mint(tenant="acme", user="ada", groups=["admin"], now=NOW),
    ],
)
def test_a_malformed_or_foreign_token_is_unauthorized(token: str) -> None:
    with pytest.raises(InvalidToken, match=UNAUTHORIZED):
        ISSUER.verify(token, now=NOW)


def test_a_token_whose_claims_were_edited_is_unauthorized() -> None:
    header, payload, signature = _mint().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["custom:tenant_id"] = "other"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidToken, match=UNAUTHORIZED):
        ISSUER.verify(f"{header}.{forged}.{signature}", now=NOW)


def test_the_authorizer_passes_claims_as_strings_like_a_rest_api() -> None:
    claims = rest_api_claims(ISSUER.verify(_mint(), now=NOW))
    assert claims["cognito:groups"] == "sales,manager"
    assert claims["email_verified"] == "true"
    assert claims["auth_time"] == str(NOW)
    assert claims["exp"] == "Sun Nov 22 10:00:00 UTC 2026"
    assert all(isinstance(value, str) for value in claims.values())


def test_a_customer_token_names_the_tenant_and_contact_and_only_the_customer_pool_accepts_it() -> None:
    token = ISSUER.mint_customer(tenant="acme", contact="c-1", email="ada@customer.example")
    claims = ISSUER.for_customers().verify(token)
    assert (claims["custom:tenant_id"], claims["custom:contact_id"], claims["email"]) == (
        "acme",
        "c-1",
        "ada@customer.example",
    )
    assert claims["iss"].endswith("_RapportLocalCustomers") and "cognito:groups" not in claims
    with pytest.raises(InvalidToken):
        ISSUER.verify(token)
    with pytest.raises(InvalidToken):
        ISSUER.for_customers().verify(_mint())


def test_the_customer_authorizer_s_name_is_the_stack_s() -> None:
    from infra import openapi
    from local.runtime import tokens

    assert tokens.CUSTOMER_AUTHORIZER == openapi.CUSTOMER_AUTHORIZER
