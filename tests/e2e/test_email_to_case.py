"""Email-to-case on the local runtime: `rapport mail receive` delivers raw emails as SES would, through the
template's receipt rule (the bucket, then the inbound mail worker): a customer writes in, a case opens (its photo
downloaded by staff and by the customer in the portal, through its presigned URL from the local AWS endpoint),
staff reply, the customer's answer lands on the same case; an auto-reply and an email no rule receives change
nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import requests

from tests.e2e.conftest import Client, LocalRuntime, Staff, Target, customer_token

RAPPORT = str(Path(sys.executable).with_name("rapport"))
SAMPLES = Path(__file__).resolve().parents[2] / "events" / "mail"
DOMAIN = "inbound.dev.rapport.example"


def _receive(runtime: LocalRuntime, raw: bytes, *to: str) -> subprocess.CompletedProcess[bytes]:
    recipients = [argument for address in to for argument in ("--to", address)]
    arguments = [RAPPORT, "mail", "receive", "-", *recipients, "--data-dir", str(runtime.data_dir)]
    return subprocess.run(arguments, input=raw, capture_output=True, timeout=120, check=False)  # noqa: S603


def _outcome(received: subprocess.CompletedProcess[bytes]) -> dict[str, str]:
    assert received.returncode == 0, received.stderr
    [answer] = json.loads(received.stdout)["received"]
    [outcome] = answer["outcomes"]
    return dict(outcome)


def _attached(raw: bytes) -> bytes:
    email = message_from_bytes(raw, policy=policy.default)
    assert isinstance(email, EmailMessage)
    [attachment] = email.iter_attachments()
    return bytes(attachment.get_content())


def _download(url: str) -> requests.Response:
    """What a browser gets for the URL: no token, the URL signs itself."""
    answer = requests.get(url, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer


def test_a_customer_writes_in_staff_reply_and_the_answer_lands_on_the_same_case(
    local_runtime: LocalRuntime, target: Target, staff: Staff, tenant: str
) -> None:
    slug = f"s{tenant.removeprefix('e2e-')}"
    admin, agent = staff("admin"), staff("support", user="agent-1")
    assert admin.put("/tenant-settings", json={"slug": slug}, headers={"If-Match": '"0"'}).status_code == 200
    support = f"support+{slug}@{DOMAIN}"
    first = (SAMPLES / "new_case.eml").read_bytes()
    opened = _outcome(_receive(local_runtime, first, support))
    assert opened["outcome"] == "opened" and opened["tenant_id"] == tenant
    case = agent.get(f"/cases/{opened['case_id']}").json()
    assert (case["channel"], case["subject"]) == ("email", "My order arrived broken")
    contact = agent.get(f"/contacts/{case['contact_id']}").json()
    assert (contact["email"], contact["consent"]) == ("rita@customer.example", None)
    [written] = agent.get(f"/cases/{case['id']}/messages").json()["items"]
    [photo] = written["attachments"]
    assert photo["filename"] == "cracked shade.png" and photo["url"].startswith(local_runtime.aws_endpoint)
    downloaded = _download(photo["url"])
    assert downloaded.content == _attached(first) and downloaded.headers["Content-Type"] == "image/png"
    assert downloaded.headers["Content-Disposition"].startswith('attachment; filename="cracked shade.png"')
    rita = Client(target.url, customer_token(target, tenant, case["contact_id"]))
    [in_portal] = rita.get(f"/portal/cases/{case['id']}/messages").json()["items"][0]["attachments"]
    assert set(in_portal) == {"filename", "content_type", "size", "url"}
    assert _download(in_portal["url"]).content == _attached(first)
    reply = {"body": "Sorry! A new shade is on its way.", "visibility": "public"}
    assert agent.post(f"/cases/{case['id']}/messages", json=reply).status_code == 201

    answer = (SAMPLES / "reply.eml").read_bytes().replace(b"[CS-1]", f"[{case['number']}]".encode())
    added = _outcome(_receive(local_runtime, answer, support))
    assert (added["outcome"], added["case_id"]) == ("added", case["id"])
    again = _outcome(_receive(local_runtime, answer, support))
    assert (again["outcome"], again["message_id"]) == ("duplicate", added["message_id"])
    auto = _outcome(_receive(local_runtime, (SAMPLES / "auto_reply.eml").read_bytes(), support))
    assert auto["outcome"] == "ignored"
    conversation = agent.get(f"/cases/{case['id']}/messages").json()["items"]
    assert [(message["author"], message["visibility"]) for message in conversation] == [
        ("customer", "public"),
        ("staff", "public"),
        ("customer", "public"),
    ]
    assert len(agent.get("/cases").json()["items"]) == 1


def test_an_email_no_receipt_rule_receives_is_refused_and_said_why(local_runtime: LocalRuntime) -> None:
    refused = _receive(local_runtime, (SAMPLES / "new_case.eml").read_bytes(), "support+acme@elsewhere.example")
    assert refused.returncode == 1
    assert b"no receipt rule" in refused.stderr and b"Traceback" not in refused.stderr


def test_rapport_mail_receive_without_a_running_runtime_says_so(tmp_path: Path) -> None:
    arguments = [RAPPORT, "mail", "receive", str(SAMPLES / "new_case.eml"), "--data-dir", str(tmp_path)]
    refused = subprocess.run(arguments, capture_output=True, text=True, timeout=60, check=False)  # noqa: S603
    assert refused.returncode == 1 and "rapport local is not running" in refused.stderr
