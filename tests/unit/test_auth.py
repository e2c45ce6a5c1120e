import pytest

from rapport.auth import Action, Role, caller_from_claims, parse_groups
from rapport.errors import Forbidden, Unauthenticated

CLAIMS = {"sub": "u-1", "custom:tenant_id": "tenant-a", "cognito:groups": "sales", "email": "rep@example.com"}


@pytest.mark.parametrize("raw", ["sales,manager", "[sales manager]", ["sales", "manager"], "sales manager"])
def test_groups_parse_in_every_shape_cognito_sends(raw):
    assert parse_groups(raw) == {Role.SALES, Role.MANAGER}


def test_unknown_groups_grant_nothing():
    assert parse_groups("superuser,root") == frozenset()


def test_tenant_and_caller_come_from_the_claims():
    caller = caller_from_claims(CLAIMS)
    assert (caller.tenant_id, caller.user_id, caller.email) == ("tenant-a", "u-1", "rep@example.com")


@pytest.mark.parametrize(
    "claims",
    [
        None,
        {},
        {**CLAIMS, "custom:tenant_id": ""},
        {**CLAIMS, "custom:tenant_id": "a#b"},
        {**CLAIMS, "custom:tenant_id": "tenant-a\n"},
        {**CLAIMS, "sub": ""},
    ],
)
def test_missing_or_malformed_identity_is_unauthenticated(claims):
    with pytest.raises(Unauthenticated):
        caller_from_claims(claims)


@pytest.mark.parametrize(
    ("groups", "resource", "action", "allowed"),
    [
        ("support", "accounts", Action.DELETE, False),
        ("support", "accounts", Action.UPDATE, True),
        ("sales", "accounts", Action.DELETE, True),
        ("sales", "contacts", Action.ERASE, False),
        ("manager", "contacts", Action.ERASE, False),
        ("admin", "contacts", Action.ERASE, True),
        ("marketing", "contacts", Action.DELETE, False),
        ("sales", "contacts", Action.RESTORE, False),
        ("manager", "accounts", Action.RESTORE, True),
        ("", "accounts", Action.READ, False),
        ("sales", "pipelines", Action.READ, True),
        ("sales", "pipelines", Action.CREATE, False),
        ("manager", "pipelines", Action.UPDATE, True),
        ("admin", "pipelines", Action.DELETE, False),  # an action a resource does not list: nobody
        ("sales", "deals", Action.UPDATE, True),
        ("support", "deals", Action.UPDATE, False),
        ("sales", "deals", Action.RESTORE, False),
        ("support", "forecast", Action.READ, False),
        ("sales", "reports", Action.READ, True),
        ("manager", "currency_rates", Action.UPDATE, False),
        ("admin", "currency_rates", Action.UPDATE, True),
    ],
)
def test_permissions_per_role(groups, resource, action, allowed):
    caller = caller_from_claims({**CLAIMS, "cognito:groups": groups})
    if allowed:
        caller.require(resource, action)
    else:
        with pytest.raises(Forbidden):
            caller.require(resource, action)
