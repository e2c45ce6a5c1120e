"""Ownership over HTTP: a rep cannot reassign or trash another rep's deal, the team's manager can; a manager
cannot redirect an admin's notifications by changing their email or phone."""

from __future__ import annotations

from tests.e2e.conftest import Staff, one_team, problem, sample


def test_a_rep_changes_only_their_own_deals_and_their_team_s_manager_all_of_them(staff: Staff) -> None:
    ana, ben, manager = staff("sales", user="ana"), staff("sales", user="ben"), staff("manager", user="boss")
    pipeline = manager.create("pipelines", **sample("createPipeline"))
    deal = ana.create("deals", **sample("createDeal", pipeline_id=pipeline["id"], owner_id="ana"))
    path, version = f"/deals/{deal['id']}", {"If-Match": '"1"'}
    taken = problem(ben.patch(path, json={"owner_id": "ben"}, headers=version), 403)
    assert "ana's" in taken["detail"]
    assert problem(ben.delete(path, headers=version), 403)
    assert problem(manager.patch(path, json={"owner_id": "ben"}, headers=version), 403)  # not yet ana's manager
    one_team(staff, "ana", "ben", "boss")
    handed = manager.patch(path, json={"owner_id": "ben"}, headers=version)
    assert (handed.status_code, handed.json()["owner_id"]) == (200, "ben"), handed.text
    assert ben.delete(path, headers={"If-Match": '"2"'}).status_code == 204


def test_only_the_user_or_an_admin_changes_a_user_s_contact_details(staff: Staff) -> None:
    admin, manager = staff("admin", user="root"), staff("manager", user="boss")
    profile = {"name": "Root", "email": "root@seller.example", "phone": "+44 20 7946 0100"}
    created = admin.put("/users/root", json=profile)
    assert created.status_code == 201, created.text
    redirect = manager.put(
        "/users/root", json={**profile, "email": "boss@elsewhere.example"}, headers={"If-Match": '"1"'}
    )
    assert [error["field"] for error in problem(redirect, 403)["errors"]] == ["email"]
    own = admin.put("/users/root", json={**profile, "phone": "+44 20 7946 0101"}, headers={"If-Match": '"1"'})
    assert own.status_code == 200, own.text
