"""A customer signs up and in by a mailed code, and only while their tenant has a live contact with that email: the
customer pool's triggers (rapport.portal.sign_in), as Cognito calls them."""

from __future__ import annotations

from typing import Any

import pytest

from rapport.auth import CONTACT_CLAIM, TENANT_CLAIM
from rapport.portal import sign_in
from rapport.portal.sign_in import SignInRefused
from tools.lambda_api import Staff, call, create

ADMIN = Staff(user="boss", groups=("admin",))
SLUG = "acme-shop"
EMAIL = "ada@customer.example"
USER_NAME = f"{SLUG}/{EMAIL}"


class Outbox:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send_code(self, to: str, code: str) -> None:
        self.sent.append((to, code))


@pytest.fixture
def contact_id() -> str:
    reply = call("putTenantSettings", ADMIN, body={"slug": SLUG}, headers={"If-Match": '"0"'})
    assert reply.status == 200, reply.body
    return str(create("createContact", ADMIN, last_name="Lovelace", email=EMAIL)["id"])


def _event(source: str, user_name: str = USER_NAME, **request: Any) -> dict[str, Any]:
    return {"triggerSource": source, "userName": user_name, "request": request, "response": {}}


def _sign_up(user_name: str = USER_NAME, email: str = EMAIL) -> dict[str, Any]:
    event = _event("PreSignUp_SignUp", user_name, userAttributes={"email": email})
    return dict(sign_in.handle(event, Outbox())["response"])


def _trash(contact_id: str) -> None:
    assert call("deleteContact", ADMIN, record_id=contact_id, headers={"If-Match": None}).status == 204


def test_a_live_contact_s_email_signs_up_confirmed(contact_id: str) -> None:
    assert _sign_up() == {"autoConfirmUser": True, "autoVerifyEmail": True}
    assert _sign_up(f"{SLUG}/ADA@Customer.example", "ada@customer.example")["autoConfirmUser"] is True


@pytest.mark.parametrize(
    ("user_name", "email"),
    [
        (f"{SLUG}/someone@else.example", "someone@else.example"),
        (f"other-shop/{EMAIL}", EMAIL),
        (EMAIL, EMAIL),
        (f"{SLUG}/{EMAIL}", "mallory@evil.example"),
        (f"Bad Slug!/{EMAIL}", EMAIL),
    ],
    ids=["unknown email", "unknown tenant", "no tenant", "another address", "malformed slug"],
)
def test_anyone_else_cannot_sign_up(contact_id: str, user_name: str, email: str) -> None:
    with pytest.raises(SignInRefused):
        _sign_up(user_name, email)


def test_a_trashed_contact_cannot_sign_up(contact_id: str) -> None:
    _trash(contact_id)
    with pytest.raises(SignInRefused):
        _sign_up()


def _define(*results: bool) -> dict[str, Any]:
    session = [{"challengeName": "CUSTOM_CHALLENGE", "challengeResult": result} for result in results]
    return dict(sign_in.handle(_event("DefineAuthChallenge_Authentication", session=session), Outbox())["response"])


def test_the_code_is_mailed_to_the_contact_and_a_right_answer_gets_tokens_naming_them(contact_id: str) -> None:
    assert _define()["challengeName"] == "CUSTOM_CHALLENGE"
    outbox = Outbox()
    created = sign_in.handle(_event("CreateAuthChallenge_Authentication", session=[]), outbox)["response"]
    [(to, code)] = outbox.sent
    assert to == EMAIL and len(code) == 6 and code.isdigit()
    assert created["publicChallengeParameters"] == {"email": "a***@customer.example"}
    private = created["privateChallengeParameters"]

    def answered(answer: str) -> bool:
        event = _event(
            "VerifyAuthChallengeResponse_Authentication", privateChallengeParameters=private, challengeAnswer=answer
        )
        return bool(sign_in.handle(event, Outbox())["response"]["answerCorrect"])

    wrong = "000000" if code != "000000" else "111111"
    assert (answered(code), answered(f" {code} "), answered(wrong), answered("")) == (True, True, False, False)
    assert _define(False)["challengeName"] == "CUSTOM_CHALLENGE"
    assert _define(False, True)["issueTokens"] is True
    assert _define(False, False, False)["failAuthentication"] is True
    token = sign_in.handle(_event("TokenGeneration_Authentication"), Outbox())["response"]
    assert token["claimsOverrideDetails"]["claimsToAddOrOverride"] == {
        TENANT_CLAIM: ADMIN.tenant,
        CONTACT_CLAIM: contact_id,
    }


def test_a_contact_trashed_after_signing_up_gets_no_code_no_right_answer_and_no_token(contact_id: str) -> None:
    _sign_up()
    _trash(contact_id)
    assert _define()["failAuthentication"] is True
    assert _define(True)["failAuthentication"] is True and _define(True)["issueTokens"] is False
    with pytest.raises(SignInRefused):
        sign_in.handle(_event("CreateAuthChallenge_Authentication", session=[]), Outbox())
    verify = _event(
        "VerifyAuthChallengeResponse_Authentication",
        privateChallengeParameters={"code": "123456"},
        challengeAnswer="123456",
    )
    assert sign_in.handle(verify, Outbox())["response"]["answerCorrect"] is False
    with pytest.raises(SignInRefused):
        sign_in.handle(_event("TokenGeneration_RefreshTokens"), Outbox())


def test_an_erased_contact_cannot_sign_in_and_its_email_on_a_new_contact_names_the_new_one(contact_id: str) -> None:
    erased = call("deleteContact", ADMIN, record_id=contact_id, query={"permanent": "true"}, headers={"If-Match": None})
    assert erased.status == 204, erased.body
    with pytest.raises(SignInRefused):
        sign_in.handle(_event("TokenGeneration_Authentication"), Outbox())
    newcomer = str(create("createContact", ADMIN, last_name="Lovelace", email=EMAIL)["id"])
    token = sign_in.handle(_event("TokenGeneration_Authentication"), Outbox())["response"]
    assert token["claimsOverrideDetails"]["claimsToAddOrOverride"][CONTACT_CLAIM] == newcomer
