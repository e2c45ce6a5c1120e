"""A customer's sign-in to the portal, by a one-time code mailed to them (no password): the customer pool's
triggers (Cognito custom authentication, which works on any Cognito feature plan).

A customer's user name in the pool is `<tenant slug>/<email>`: the portal page knows its tenant's slug, the
customer types their email. It names a customer while the tenant has a live contact holding that email (ONE Query
on the contacts' email index): every trigger asks again, so a contact trashed or erased since cannot sign up, be
sent a code, answer one or get a token (a refresh included).

- pre sign-up: only a live contact's email signs up, confirmed at once (the code they will answer proves the
  address);
- define: a code challenge, tokens once it is answered right, the attempt ended after three wrong answers;
- create: a fresh code, mailed to the contact's address directly through SES (not the notifier: a sign-in code
  must arrive within the challenge's three minutes, is no CRM notification a consent or template governs, and
  should not be logged on the customer's timeline);
- verify: the answer against the code, in constant time;
- pre token generation: the token's claims name the tenant and the contact (`custom:tenant_id`,
  `custom:contact_id`, rapport.auth), read now, never taken from anything the customer sent.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Mapping
from typing import Any, Protocol

from rapport.auth import CONTACT_CLAIM, TENANT_CLAIM, Customer
from rapport.contacts import store as contact_store
from rapport.dal import repository, tenancy
from rapport.tenants.models import SLUG_PATTERN
from rapport.tenants.service import tenant_of

CODE_DIGITS = 6
MAX_ANSWERS = 3
CHALLENGE = "CUSTOM_CHALLENGE"
CODE_PARAMETER = "code"
_USER_NAME = re.compile(r"^([^/]+)/(.+@.+)$")
Event = dict[str, Any]


class SignInRefused(Exception):
    """Cognito answers the sign-up or sign-in with this message (a UserLambdaValidationException)."""


class CodeMailer(Protocol):
    """Sends a customer their sign-in code."""

    def send_code(self, to: str, code: str) -> None: ...


def customer_named(user_name: str) -> tuple[Customer, str] | None:
    """The live contact (as a Customer) and its email that the user name `<tenant slug>/<email>` names, if any."""
    matched = _USER_NAME.fullmatch(user_name.strip())
    if matched is None or not re.fullmatch(SLUG_PATTERN, matched.group(1)):
        return None
    tenant_id = tenant_of(matched.group(1))
    if tenant_id is None:
        return None
    email = matched.group(2).lower()
    with tenancy.tenant_scope(tenant_id):
        page = repository.query(contact_store.by_email(tenant_id, email), limit=1)
    live = next((record for record in page.records if not record.deleted), None)
    return (Customer(tenant_id, live.id), email) if live is not None else None


def _named(event: Event) -> tuple[Customer, str]:
    found = customer_named(str(event.get("userName", "")))
    if found is None:
        raise SignInRefused("No customer of this business has that email.")
    return found


def pre_sign_up(event: Event) -> Event:
    _, email = _named(event)
    attributes: Mapping[str, str] = event["request"].get("userAttributes") or {}
    if attributes.get("email", "").lower() != email:
        raise SignInRefused("Sign up with the email in your user name.")
    event["response"].update(autoConfirmUser=True, autoVerifyEmail=True)
    return event


def define(event: Event) -> Event:
    session: list[Mapping[str, Any]] = event["request"].get("session") or []
    response = event["response"]
    response.update(issueTokens=False, failAuthentication=False)
    if customer_named(str(event.get("userName", ""))) is None or event["request"].get("userNotFound"):
        response["failAuthentication"] = True
    elif session and session[-1].get("challengeName") == CHALLENGE and session[-1].get("challengeResult"):
        response["issueTokens"] = True
    elif len(session) >= MAX_ANSWERS:
        response["failAuthentication"] = True
    else:
        response["challengeName"] = CHALLENGE
    return event


def create(event: Event, mailer: CodeMailer) -> Event:
    _, email = _named(event)
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    mailer.send_code(email, code)
    event["response"].update(
        publicChallengeParameters={"email": _masked(email)},
        privateChallengeParameters={CODE_PARAMETER: code},
        challengeMetadata="EMAIL_CODE",
    )
    return event


def verify(event: Event) -> Event:
    expected = str(event["request"].get("privateChallengeParameters", {}).get(CODE_PARAMETER, ""))
    answer = str(event["request"].get("challengeAnswer", ""))
    right = bool(expected) and hmac.compare_digest(answer.strip().encode(), expected.encode())
    event["response"]["answerCorrect"] = right and customer_named(str(event.get("userName", ""))) is not None
    return event


def pre_token_generation(event: Event) -> Event:
    customer, _ = _named(event)
    claims = {TENANT_CLAIM: customer.tenant_id, CONTACT_CLAIM: customer.contact_id}
    event["response"]["claimsOverrideDetails"] = {"claimsToAddOrOverride": claims}
    return event


def _masked(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def handle(event: Event, mailer: CodeMailer) -> Event:
    """The trigger `event.triggerSource` names."""
    source = str(event.get("triggerSource", ""))
    if source.startswith("PreSignUp_"):
        return pre_sign_up(event)
    if source == "DefineAuthChallenge_Authentication":
        return define(event)
    if source == "CreateAuthChallenge_Authentication":
        return create(event, mailer)
    if source == "VerifyAuthChallengeResponse_Authentication":
        return verify(event)
    if source.startswith("TokenGeneration_"):
        return pre_token_generation(event)
    raise SignInRefused(f"The portal's sign-in does not handle {source}.")
