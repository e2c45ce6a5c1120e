"""Leads, scoring rules, web forms and the public web-to-lead route behind its API key, over HTTP."""

from __future__ import annotations

import uuid

import requests

from tests.e2e.conftest import Staff, Target, problem, sample


def test_a_lead_is_scored_worked_and_unique_by_email(staff: Staff) -> None:
    sales, manager = staff("sales"), staff("manager")
    created = sales.post("/leads", json=sample("createLead"))
    assert created.status_code == 201, created.text
    lead = created.json()
    assert (lead["status"], lead["email"]) == ("new", "grace@navy.example")
    assert isinstance(lead["score"], int)
    assert [item["id"] for item in sales.get("/leads").json()["items"]] == [lead["id"]]
    path = f"/leads/{lead['id']}"
    worked = sales.patch(path, json={"status": "working"}, headers={"If-Match": '"1"'})
    assert (worked.status_code, worked.json()["status"]) == (200, "working"), worked.text
    assert problem(sales.patch(path, json={"status": "new"}, headers={"If-Match": '"1"'}), 412)
    duplicate = problem(sales.post("/leads", json=sample("createLead", first_name="Amazing Grace")), 409)
    assert duplicate["existing"]["id"] == lead["id"]
    assert problem(sales.post("/leads", json={"email": "not-an-email"}), 422)
    assert problem(sales.get("/leads", params={"min_score": "lots"}), 400)
    assert problem(staff("support").patch(path, json={"notes": "x"}, headers={"If-Match": '"2"'}), 403)
    assert sales.delete(path).status_code == 204
    assert manager.post(f"{path}/restore").status_code == 200
    assert problem(staff("admin", tenant=f"other-{uuid.uuid4().hex[:8]}").get(path), 404)


def test_scoring_rules_are_marketings_and_managements_call(staff: Staff) -> None:
    marketing = staff("marketing")
    rules = marketing.get("/scoring-rules")
    assert rules.status_code == 200, rules.text
    stored = marketing.put(
        "/scoring-rules", json=sample("putScoringRules"), headers={"If-Match": rules.headers["ETag"]}
    )
    assert stored.status_code == 200, stored.text
    current = {"If-Match": stored.headers["ETag"]}
    assert problem(staff("sales").put("/scoring-rules", json=sample("putScoringRules"), headers=current), 403)
    assert problem(marketing.put("/scoring-rules", json={"fit": "everyone"}, headers=current), 422)
    assert problem(marketing.put("/scoring-rules", json=sample("putScoringRules")), 428)


def test_a_web_forms_api_key_lets_the_public_submit_leads_until_it_is_revoked(staff: Staff, target: Target) -> None:
    admin = staff("admin")
    created = admin.post("/web-forms", json=sample("createWebForm"))
    assert created.status_code == 201, created.text
    form = created.json()
    assert "api_key" not in admin.get(f"/web-forms/{form['id']}").json()
    assert [item["id"] for item in admin.get("/web-forms").json()["items"]] == [form["id"]]
    assert problem(staff("sales").post("/web-forms", json=sample("createWebForm")), 403)

    def submit(key: str | None) -> requests.Response:
        headers = {"x-api-key": key} if key else {}
        return requests.post(f"{target.url}/public/leads", json=sample("createPublicLead"), headers=headers, timeout=30)

    received = submit(form["api_key"])
    assert (received.status_code, received.json()) == (202, {"status": "received"}), received.text
    [lead] = admin.get("/leads").json()["items"]
    assert (lead["email"], lead["web_form_id"]) == ("katherine@orbit.example", form["id"])
    assert submit(None).status_code == 403
    assert submit("not-a-key").status_code == 403
    assert admin.delete(f"/web-forms/{form['id']}").status_code == 204
    assert submit(form["api_key"]).status_code == 403
