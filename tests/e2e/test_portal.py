"""The customer portal over HTTP, with a customer's token from `rapport token --customer`: a customer works their own
profile, consent and cases and sees staff replies but never internal notes; another customer, a staff token on the
portal and a customer token on a staff route all get nothing."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from pathlib import Path

from tests.e2e.conftest import Client, LocalRuntime, Staff, Target, customer_token, problem

RAPPORT = Path(sys.executable).parent / "rapport"


def _customer(target: Target, tenant: str, contact: str) -> Client:
    return Client(target.url, customer_token(target, tenant, contact))


def _contact(agent: Client, **fields: str) -> str:
    return str(agent.create("contacts", email=f"c-{uuid.uuid4().hex[:10]}@customer.example", **fields)["id"])


def test_a_customer_works_their_case_and_reads_only_the_public_answers(
    staff: Staff, target: Target, tenant: str
) -> None:
    agent = staff("support")
    ada = _customer(target, tenant, _contact(agent, last_name="Lovelace"))
    me = ada.get("/portal/me")
    assert me.status_code == 200, me.text
    changed = ada.patch("/portal/me", json={"phone": "+44 20 7946 0018"}, headers={"If-Match": me.headers["ETag"]})
    assert changed.status_code == 200 and changed.json()["phone"] == "+442079460018", changed.text
    assert (
        problem(ada.patch("/portal/me", json={"tags": ["vip"]}, headers={"If-Match": '"2"'}), 422)["errors"][0]["field"]
        == "tags"
    )
    consent = ada.put("/portal/me/consent", json={"channel": "email", "status": "opted_out"})
    assert consent.json()["email"]["source"] == "portal", consent.text

    opened = ada.post("/portal/cases", json={"subject": "My parcel is late", "type": "complaint"})
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["id"]
    for body, visibility in (("It ships today.", "public"), ("Refund if late again.", "internal")):
        reply = agent.post(f"/cases/{case_id}/messages", json={"body": body, "visibility": visibility})
        assert reply.status_code == 201, reply.text
    conversation = ada.get(f"/portal/cases/{case_id}/messages").json()["items"]
    assert [message["body"] for message in conversation] == ["It ships today."]
    assert ada.post(f"/portal/cases/{case_id}/messages", json={"body": "Thanks"}).status_code == 201
    closed = ada.post(f"/portal/cases/{case_id}/close")
    assert closed.json()["status"] == "closed", closed.text
    assert problem(ada.post(f"/portal/cases/{case_id}/messages", json={"body": "Hello?"}), 409)
    assert ada.post(f"/portal/cases/{case_id}/reopen").json()["status"] == "open"
    assert [case["id"] for case in ada.get("/portal/cases").json()["items"]] == [case_id]

    bob = _customer(target, tenant, _contact(agent, last_name="Babbage"))
    stranger = _customer(target, f"{tenant}-other", _contact(staff("admin", tenant=f"{tenant}-other"), last_name="X"))
    for other in (bob, stranger):
        for path in (f"/portal/cases/{case_id}", f"/portal/cases/{case_id}/messages"):
            problem(other.get(path), 404)
        problem(other.post(f"/portal/cases/{case_id}/close"), 404)
        assert other.get("/portal/cases").json()["items"] == []


def test_the_articles_linked_to_a_customer_s_cases_come_first_in_their_knowledge_base(
    staff: Staff, target: Target, tenant: str
) -> None:
    agent = staff("support")
    word = f"kb{uuid.uuid4().hex[:10]}"  # these articles alone are found by it
    public = {"body": "How to.", "visibility": "public", "status": "published"}
    alpha, zulu = (agent.create("kb/articles", title=f"{name} {word}", **public) for name in ("Alpha", "Zulu"))
    internal = agent.create("kb/articles", title=f"Internal {word}", body="Staff only.", status="published")
    ada_contact, bob_contact = _contact(agent, last_name="Lovelace"), _contact(agent, last_name="Babbage")
    case_id = agent.create("cases", subject="Returns", contact_id=ada_contact)["id"]
    for article in (zulu, internal):
        linked = agent.post(f"/cases/{case_id}/articles", json={"article_id": article["id"]})
        assert linked.status_code == 201, linked.text

    def titles(contact: str, **params: str) -> list[str]:
        reply = _customer(target, tenant, contact).get("/portal/kb/articles", params={"q": word, **params})
        assert reply.status_code == 200, reply.text
        return [item["title"] for item in reply.json()["items"]]

    assert titles(ada_contact) == [zulu["title"], alpha["title"]]
    assert titles(ada_contact, limit="1") == [zulu["title"]]
    assert titles(bob_contact) == [alpha["title"], zulu["title"]]
    assert agent.delete(f"/cases/{case_id}/articles/{zulu['id']}").status_code == 204
    assert titles(ada_contact) == [alpha["title"], zulu["title"]]


def test_each_pool_s_tokens_open_only_its_own_routes(staff: Staff, target: Target, tenant: str) -> None:
    agent = staff("support")
    ada = _customer(target, tenant, _contact(agent, last_name="Lovelace"))
    assert agent.get("/portal/me").status_code == 401
    assert ada.get("/contacts").status_code == 401
    assert Client(target.url, "").get("/portal/me").status_code == 401


def test_rapport_token_mints_a_customer_token(staff: Staff, target: Target, tenant: str, local_runtime: LocalRuntime):
    contact = _contact(staff("support"), last_name="Lovelace")
    minted = subprocess.run(  # noqa: S603
        [str(RAPPORT), "token", "--customer", "--tenant", tenant, "--contact", contact],
        capture_output=True,
        text=True,
        check=True,
        env={"RAPPORT_DATA_DIR": str(local_runtime.data_dir), "PATH": str(RAPPORT.parent)},
    ).stdout.strip()
    me = Client(target.url, minted).get("/portal/me")
    assert me.status_code == 200 and me.json()["id"] == contact, me.text
    refused = subprocess.run(  # noqa: S603
        [str(RAPPORT), "token", "--customer", "--tenant", tenant],
        capture_output=True,
        text=True,
        check=False,
        env={"RAPPORT_DATA_DIR": str(local_runtime.data_dir), "PATH": str(RAPPORT.parent)},
    )
    assert refused.returncode == 2 and "--contact" in refused.stderr


def _rapport(local_runtime: LocalRuntime, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [str(RAPPORT), *arguments],
        capture_output=True,
        text=True,
        check=False,
        env={"RAPPORT_DATA_DIR": str(local_runtime.data_dir), "PATH": str(RAPPORT.parent)},
    )


def test_a_customer_signs_in_with_the_code_mailed_to_them_and_only_a_live_contact_can(
    staff: Staff, target: Target, tenant: str, local_runtime: LocalRuntime
) -> None:
    admin = staff("admin")
    slug = f"p-{uuid.uuid4().hex[:12]}"
    saved = admin.put("/tenant-settings", json={"slug": slug, "name": "Acme"}, headers={"If-Match": '"0"'})
    assert saved.status_code == 200, saved.text
    email = f"ada-{uuid.uuid4().hex[:8]}@customer.example"
    contact = str(admin.create("contacts", last_name="Lovelace", email=email)["id"])

    def code_mailed() -> str:
        outbox = json.loads(_rapport(local_runtime, "mail", "outbox").stdout)["emails"]
        [body] = [mail["body"] for mail in outbox if mail["to"] == [email]][-1:]
        return re.search(r"\d{6}", body).group()  # type: ignore[union-attr]

    started = _rapport(local_runtime, "portal", "sign-in", "--user-name", f"{slug}/{email}")
    assert started.returncode == 0, started.stderr
    session = json.loads(started.stdout)["session"]
    wrong = "000000" if code_mailed() != "000000" else "111111"
    again = _rapport(local_runtime, "portal", "answer", "--session", session, "--code", wrong)
    assert again.returncode == 0 and json.loads(again.stdout)["session"] == session, again.stderr
    answered = _rapport(local_runtime, "portal", "answer", "--session", session, "--code", code_mailed())
    assert answered.returncode == 0, answered.stderr
    signed_in = json.loads(answered.stdout)
    assert (signed_in["tenant"], signed_in["contact"]) == (tenant, contact)
    me = Client(target.url, signed_in["token"]).get("/portal/me")
    assert me.status_code == 200 and me.json()["email"] == email, me.text

    for refused in (f"{slug}/nobody@customer.example", f"no-such-shop/{email}"):
        assert _rapport(local_runtime, "portal", "sign-in", "--user-name", refused).returncode == 1
    assert admin.delete(f"/contacts/{contact}").status_code == 204
    trashed = _rapport(local_runtime, "portal", "sign-in", "--user-name", f"{slug}/{email}")
    assert trashed.returncode == 1 and "No customer" in trashed.stderr
