"""The local runtime plays the customer pool's sign-in: it calls the pool's trigger function with the events Cognito
sends, in Cognito's order, and mints the customer's token from the claims the function gives."""

from __future__ import annotations

from typing import Any

import pytest

from local.runtime.portal import CustomerSignIn, SignInRefused, trigger_function
from local.runtime.template import CloudAssembly
from local.runtime.tokens import TokenIssuer
from local.runtime.workers import FunctionError

ISSUER = TokenIssuer(b"k" * 32, "eu-west-1")
USER = "acme-shop/ada@customer.example"
CODE = "123456"


class Pool:
    """A trigger function that behaves as the portal's does for one customer, and records what it was called with."""

    def __init__(self, *, known: bool = True) -> None:
        self.known = known
        self.calls: list[str] = []

    def __call__(self, function: str, event: dict[str, Any]) -> dict[str, Any]:
        assert function == "SignInFunction" and event["userName"] == USER
        source, request, response = event["triggerSource"], event["request"], event["response"]
        self.calls.append(source)
        if not self.known:
            raise FunctionError("SignInRefused", "No customer of this business has that email.")
        if source == "DefineAuthChallenge_Authentication":
            session = request["session"]
            if session and session[-1]["challengeResult"]:
                response["issueTokens"] = True
            elif len(session) >= 3:
                response["failAuthentication"] = True
            else:
                response["challengeName"] = "CUSTOM_CHALLENGE"
        elif source == "CreateAuthChallenge_Authentication":
            response["privateChallengeParameters"] = {"code": CODE}
            response["publicChallengeParameters"] = {"email": "a***@customer.example"}
        elif source == "VerifyAuthChallengeResponse_Authentication":
            response["answerCorrect"] = request["challengeAnswer"] == request["privateChallengeParameters"]["code"]
        elif source == "TokenGeneration_Authentication":
            claims = {"custom:tenant_id": "acme", "custom:contact_id": "c-1"}
            response["claimsOverrideDetails"] = {"claimsToAddOrOverride": claims}
        return event


def test_a_right_code_gets_the_token_the_pool_would_issue() -> None:
    pool = Pool()
    sign_in = CustomerSignIn("SignInFunction", pool, ISSUER)
    started = sign_in.start(USER)
    assert started["sent_to"] == "a***@customer.example"
    assert pool.calls == [
        "PreSignUp_SignUp",
        "DefineAuthChallenge_Authentication",
        "CreateAuthChallenge_Authentication",
    ]
    wrong = sign_in.answer(started["session"], "000000")
    assert wrong["session"] == started["session"], "a wrong code: a new one to answer in the same session"
    signed_in = sign_in.answer(started["session"], CODE)
    claims = ISSUER.for_customers().verify(signed_in["token"])
    assert (claims["custom:tenant_id"], claims["custom:contact_id"], claims["email"]) == (
        "acme",
        "c-1",
        "ada@customer.example",
    )
    assert pool.calls[-3:] == [
        "VerifyAuthChallengeResponse_Authentication",
        "DefineAuthChallenge_Authentication",
        "TokenGeneration_Authentication",
    ]
    with pytest.raises(SignInRefused):
        sign_in.answer(started["session"], CODE)  # a session signs in once


def test_three_wrong_codes_end_the_attempt() -> None:
    sign_in = CustomerSignIn("SignInFunction", Pool(), ISSUER)
    session = sign_in.start(USER)["session"]
    sign_in.answer(session, "000000")
    sign_in.answer(session, "000001")
    with pytest.raises(SignInRefused, match="sign in again"):
        sign_in.answer(session, "000002")
    with pytest.raises(SignInRefused):
        sign_in.answer(session, CODE)


def test_what_the_trigger_refuses_is_refused_with_its_message() -> None:
    with pytest.raises(SignInRefused, match="No customer of this business has that email"):
        CustomerSignIn("SignInFunction", Pool(known=False), ISSUER).start(USER)


def test_the_trigger_function_is_the_one_the_customer_pool_names(assembly: CloudAssembly) -> None:
    assert trigger_function(assembly) is None  # the test stack has no user pool
    pool = {
        "Type": "AWS::Cognito::UserPool",
        "Properties": {"LambdaConfig": {"DefineAuthChallenge": {"Fn::GetAtt": ["SignInFunction", "Arn"]}}},
    }
    assembly.resources["CustomerPool"] = pool
    assert trigger_function(assembly) == "SignInFunction"


def test_a_session_is_a_value_the_command_line_takes() -> None:
    sign_in = CustomerSignIn("SignInFunction", Pool(), ISSUER)
    sessions = {sign_in.start(USER)["session"] for _ in range(200)}
    assert len(sessions) == 200
    starting_like_an_option = [session for session in sessions if not session.isalnum()]
    assert not starting_like_an_option, "`--session S` reads a leading '-' as an option"
