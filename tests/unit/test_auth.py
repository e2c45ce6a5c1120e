from collections.abc import Collection, Mapping

import pytest

from rapport.auth import (
    Action,
    Caller,
    Customer,
    Ownership,
    Role,
    caller_from_claims,
    identity_from_claims,
    parse_groups,
)
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


def test_a_token_with_a_contact_is_a_customer_of_the_tenant_and_any_other_a_staff_member():
    customer = {"sub": "c-sub", "custom:tenant_id": "tenant-a", "custom:contact_id": "contact-1"}
    assert identity_from_claims(customer) == Customer(tenant_id="tenant-a", contact_id="contact-1")
    assert identity_from_claims({**customer, "cognito:groups": "admin"}) == Customer("tenant-a", "contact-1")
    assert isinstance(identity_from_claims(CLAIMS), Caller)
    with pytest.raises(Forbidden):
        caller_from_claims(customer)


@pytest.mark.parametrize(
    "claims",
    [
        {"custom:tenant_id": "tenant-a", "custom:contact_id": ""},
        {"custom:tenant_id": "tenant-a", "custom:contact_id": "a#b"},
        {"custom:tenant_id": "tenant-a", "custom:contact_id": ["contact-1"]},
        {"custom:contact_id": "contact-1"},
    ],
)
def test_a_customer_token_without_a_valid_tenant_and_contact_is_unauthenticated(claims):
    with pytest.raises(Unauthenticated):
        identity_from_claims(claims)


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


# Who owns the record, seen from the caller `me` (team "emea"): `mate` is in emea, `other` in amer.
OWNERS = {
    "mine": frozenset({"me"}),
    "nobody's": frozenset(),
    "a teammate's": frozenset({"mate"}),
    "another team's": frozenset({"other"}),
    "mine and another team's": frozenset({"me", "other"}),
}
CHANGES = (Action.UPDATE, Action.DELETE, Action.RESTORE, Action.ERASE, Action.REASSIGN)
OWN = {"mine", "nobody's", "mine and another team's"}
TEAM = OWN | {"a teammate's"}
EVERY = set(OWNERS)
# What each role may do to contacts, by whose they are (the spec; README "Who may do what").
NOTHING: set[str] = set()
MAY: dict[str, dict[Action, set[str]]] = {
    "admin": dict.fromkeys(CHANGES, EVERY),
    "manager": {**dict.fromkeys(CHANGES, TEAM), Action.ERASE: NOTHING},
    "sales": {**dict.fromkeys(CHANGES, OWN), Action.RESTORE: NOTHING, Action.ERASE: NOTHING},
    "support": {**dict.fromkeys(CHANGES, NOTHING), Action.UPDATE: EVERY, Action.REASSIGN: OWN},
    "marketing": {**dict.fromkeys(CHANGES, NOTHING), Action.UPDATE: EVERY, Action.REASSIGN: OWN},
}


class FakeTeams:
    def __init__(self) -> None:
        self.asked: list[set[str]] = []

    def teams_of(self, tenant_id: str, user_ids: Collection[str]) -> Mapping[str, str | None]:
        self.asked.append(set(user_ids))
        return {user_id: {"me": "emea", "mate": "emea", "other": "amer"}.get(user_id) for user_id in user_ids}


@pytest.mark.parametrize("role", list(MAY))
@pytest.mark.parametrize("action", CHANGES)
@pytest.mark.parametrize("whose", list(OWNERS))
def test_who_may_change_a_record_by_role_ownership_and_action(role, action, whose):
    caller = caller_from_claims({**CLAIMS, "sub": "me", "cognito:groups": role})
    teams = FakeTeams()
    ownership = Ownership(teams)
    if whose in MAY[role][action]:
        ownership.require(caller, "contacts", action, OWNERS[whose])
    else:
        with pytest.raises(Forbidden) as refused:
            ownership.require(caller, "contacts", action, OWNERS[whose], field="owner_id")
        says = refused.value.detail
        assert f"this one is {', '.join(sorted(OWNERS[whose]))}'s" in says if MAY[role][action] else "role" in says
    assert all(role == "manager" and asked == {"me", *OWNERS[whose]} for asked in teams.asked)
    assert len(teams.asked) <= 1, "at most one read of the teams"


def test_the_widest_role_wins_and_a_manager_without_a_team_manages_only_their_own():
    both = caller_from_claims({**CLAIMS, "sub": "me", "cognito:groups": "sales,support"})
    Ownership(FakeTeams()).require(both, "contacts", Action.UPDATE, frozenset({"other"}))  # as support
    with pytest.raises(Forbidden):
        Ownership(FakeTeams()).require(both, "contacts", Action.DELETE, frozenset({"other"}))  # as sales
    loner = caller_from_claims({**CLAIMS, "sub": "nobody-knows", "cognito:groups": "manager"})
    with pytest.raises(Forbidden) as refused:
        Ownership(FakeTeams()).require(loner, "deals", Action.UPDATE, frozenset({"mate"}))
    assert "no team" in refused.value.detail


def test_a_refused_reassignment_names_the_field():
    rep = caller_from_claims({**CLAIMS, "sub": "me", "cognito:groups": "sales"})
    with pytest.raises(Forbidden) as refused:
        Ownership(FakeTeams()).require(rep, "deals", Action.REASSIGN, frozenset({"other"}), field="owner_id")
    assert [error.field for error in refused.value.errors] == ["owner_id"]
