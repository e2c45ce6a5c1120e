"""A customer's sign-in to the portal, played locally as the customer pool plays it: moto's Cognito runs no triggers,
so the runtime calls the pool's own trigger function (the template's `LambdaConfig`) with the events Cognito sends.

`rapport portal sign-in --user-name <tenant slug>/<email>` (`POST /_local/portal/sign-in`) signs the customer up
(pre sign-up) and starts a custom authentication (define, then create: the code is mailed through SES, so it is in
the local outbox, `rapport mail outbox`); `rapport portal answer --session S --code C` (`POST
/_local/portal/answer`) answers it (verify, define) and, once right, prints the ID token the pool would issue, its
tenant and contact from the pre token generation trigger. Three wrong answers end the attempt, as Cognito's do.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from local.runtime.template import CloudAssembly
from local.runtime.tokens import TokenIssuer
from local.runtime.workers import FunctionError

CHALLENGE = "CUSTOM_CHALLENGE"
TENANT_CLAIM, CONTACT_CLAIM = "custom:tenant_id", "custom:contact_id"


class SignInRefused(Exception):
    """The pool refused the sign-up, the sign-in or the answer (its trigger's message)."""


@dataclass
class _Attempt:
    user_name: str
    email: str
    session: list[dict[str, Any]] = field(default_factory=list)
    private: dict[str, str] = field(default_factory=dict)


def trigger_function(assembly: CloudAssembly) -> str | None:
    """The function the template's customer pool calls to define its custom challenge (None: no such pool)."""
    for _, pool in assembly.of_type("AWS::Cognito::UserPool"):
        define = pool["Properties"].get("LambdaConfig", {}).get("DefineAuthChallenge")
        if isinstance(define, dict) and "Fn::GetAtt" in define:
            return str(define["Fn::GetAtt"][0])
    return None


def _new_session() -> str:
    """Opaque, as Cognito's is; hex, because `rapport portal answer --session S` would read one starting with
    `-` (a URL-safe token's first character, one time in 32) as an option."""
    return secrets.token_hex(24)


class CustomerSignIn:
    def __init__(self, function: str, invoke: Callable[[str, Any], Any], issuer: TokenIssuer) -> None:
        self._function = function
        self._invoke = invoke
        self._issuer = issuer
        self._attempts: dict[str, _Attempt] = {}
        self._lock = threading.Lock()

    def start(self, user_name: str) -> dict[str, Any]:
        """Sign up (again: a no-op for a known customer) and send a code; the session to answer it in."""
        email = user_name.partition("/")[2]
        self._call("PreSignUp_SignUp", user_name, userAttributes={"email": email})
        attempt = _Attempt(user_name, email)
        return self._challenge(_new_session(), attempt)

    def answer(self, session: str, code: str) -> dict[str, Any]:
        """A right code: the customer's ID token; a wrong one: a new code to answer (or, the third, the end)."""
        with self._lock:
            attempt = self._attempts.pop(session, None)
        if attempt is None:
            raise SignInRefused("No sign-in waits on this session: sign in again.")
        verified = self._call(
            "VerifyAuthChallengeResponse_Authentication",
            attempt.user_name,
            privateChallengeParameters=attempt.private,
            challengeAnswer=code,
        )
        attempt.session.append({"challengeName": CHALLENGE, "challengeResult": bool(verified["answerCorrect"])})
        if not verified["answerCorrect"]:
            return self._challenge(session, attempt)
        defined = self._call("DefineAuthChallenge_Authentication", attempt.user_name, session=attempt.session)
        if not defined.get("issueTokens"):
            raise SignInRefused("Sign-in failed: sign in again.")
        claims = self._call("TokenGeneration_Authentication", attempt.user_name)["claimsOverrideDetails"]
        named = claims["claimsToAddOrOverride"]
        token = self._issuer.mint_customer(
            tenant=named[TENANT_CLAIM], contact=named[CONTACT_CLAIM], email=attempt.email
        )
        return {"token": token, "tenant": named[TENANT_CLAIM], "contact": named[CONTACT_CLAIM]}

    def _challenge(self, session: str, attempt: _Attempt) -> dict[str, Any]:
        defined = self._call("DefineAuthChallenge_Authentication", attempt.user_name, session=attempt.session)
        if defined.get("failAuthentication") or defined.get("challengeName") != CHALLENGE:
            raise SignInRefused("Sign-in failed: sign in again.")
        created = self._call("CreateAuthChallenge_Authentication", attempt.user_name, session=attempt.session)
        attempt.private = dict(created["privateChallengeParameters"])
        with self._lock:
            self._attempts[session] = attempt
        return {"session": session, "sent_to": created["publicChallengeParameters"]["email"]}

    def _call(self, source: str, user_name: str, **request: Any) -> dict[str, Any]:
        event = {"triggerSource": source, "userName": user_name, "request": request, "response": {}}
        try:
            answer = self._invoke(self._function, event)
        except FunctionError as error:
            raise SignInRefused(error.message) from error
        response: dict[str, Any] = answer["response"]
        return response
