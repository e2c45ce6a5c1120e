"""moto's SES, made to hold to a sending quota as SES does: each patch replaces one moto behaviour, is named after
it, and has its own test (tests/local/test_sesquota.py). They act only while a rate is set (`set_max_send_rate`:
`rapport local --ses-max-send-rate N`, `make bench`); unset, the default, moto's SES behaves as moto's.

- `send_quota_is_one_a_second`: moto's GetSendQuota answers a MaxSendRate of 1 whatever the account is meant to
  be, so that a sender pacing itself by it (rapport.campaigns.sending) can only be watched at a sandbox's pace.
  Here it answers the rate set (Max24HourSend and SentLast24Hours stay moto's: the daily quota is not enforced).
- `sends_are_never_throttled`: moto's SES takes every send at any pace, so that a sender's pacing and its back-off
  on `Throttling` are never put to the test. Here a send whose recipients would make more than the rate in the
  last second (in the last 1/rate seconds below one a second) is refused as SES refuses it: `Throttling`,
  "Maximum sending rate exceeded.", HTTP 400, nothing sent. Recipients count as SES counts them (each address of
  a message, each destination of a bulk send), per account and region, across SendEmail, SendTemplatedEmail,
  SendBulkTemplatedEmail and SendRawEmail (and SES v2's SendEmail, which moto sends through them). The refusals
  are counted (`throttled()`). botocore retries a `Throttling` answer itself (up to 4 times in its default mode),
  so a client sees `Throttled` only once its retries ran out; each attempt counts here. `Throttling` is one of
  AWS's common errors, not in SES's service model: moto's warning that it is not is silenced.
"""

from __future__ import annotations

import email
import functools
import inspect
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.utils import getaddresses
from typing import Any

from moto.ses.exceptions import SesError
from moto.ses.models import SESBackend, SESQuota

MESSAGE = "Maximum sending rate exceeded."
clock: Callable[[], float] = time.monotonic  # tests may replace it


class Throttling(SesError):
    """SES's answer to a send above the account's maximum sending rate."""

    code = "Throttling"

    def __init__(self) -> None:
        super().__init__(MESSAGE)


class _Quota:
    """At most `rate` recipients in any second (`window`), per account and region."""

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError(f"a maximum send rate is above 0 a second, not {rate}")
        self.rate = rate
        self.window = max(1.0, 1.0 / rate)
        self.limit = rate * self.window
        self.throttled = 0
        self._sent: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, backend: SESBackend, recipients: int) -> float:
        """Take room for `recipients` now (the time they are counted at), or raise `Throttling`."""
        with self._lock:
            now = clock()
            sent = self._sent.setdefault((backend.account_id, backend.region_name), deque())
            while sent and sent[0] <= now - self.window:
                sent.popleft()
            if sent and len(sent) + recipients > self.limit:  # an empty window takes a message of any size
                self.throttled += 1
                raise Throttling()
            sent.extend([now] * recipients)
            return now

    def give_back(self, backend: SESBackend, at: float, recipients: int) -> None:
        """The send taken at `at` did not go (moto refused it otherwise): its recipients do not count."""
        with self._lock:
            sent = self._sent.get((backend.account_id, backend.region_name), deque())
            for _ in range(recipients):
                if at in sent:
                    sent.remove(at)


_quota: _Quota | None = None


def set_max_send_rate(rate: float | None) -> None:
    """SES's maximum send rate (recipients a second) from now on, answered and enforced; None: moto's SES as it is.
    A new rate starts with an empty second and no refusals counted."""
    global _quota
    _patch()
    _quota = None if rate is None else _Quota(rate)


def max_send_rate() -> float | None:
    return None if _quota is None else _quota.rate


def throttled() -> int:
    """The sends refused since the rate was set."""
    return 0 if _quota is None else _quota.throttled


@contextmanager
def send_quota(rate: float) -> Iterator[None]:
    """The rate set for the block; the one before after it."""
    before = _quota
    set_max_send_rate(rate)
    try:
        yield
    finally:
        _set(before)


def _set(quota: _Quota | None) -> None:
    global _quota
    _quota = quota


# send_quota_is_one_a_second


def _answering_the_rate(get_send_quota: Callable[[SESBackend], SESQuota]) -> Callable[[SESBackend], SESQuota]:
    @functools.wraps(get_send_quota)
    def call(backend: SESBackend) -> SESQuota:
        quota = get_send_quota(backend)
        if _quota is not None:
            quota.max_send_rate = _quota.rate  # type: ignore[assignment] # SES answers a double (moto sets an int)
        return quota

    call.__rapport_patched__ = True  # type: ignore[attr-defined]
    return call


# sends_are_never_throttled


def _recipients_of_destinations(destinations: Any) -> int:
    """SendEmail's and SendTemplatedEmail's Destination: its To, Cc and Bcc addresses."""
    return sum(len(addresses) for addresses in (destinations or {}).values())


def _recipients_of_bulk(destinations: Any) -> int:
    return sum(_recipients_of_destinations(destination.get("Destination")) for destination in destinations or [])


def _recipients_of_raw(destinations: Any, raw_data: str) -> int:
    """SendRawEmail's: the given Destinations and, as moto sends to them too, the message's To, Cc and Bcc."""
    message = email.message_from_string(raw_data)
    headers = [message[name] for name in ("TO", "CC", "BCC") if name in message]
    return len(destinations or []) + sum(1 for _, address in getaddresses(headers) if address)


_RECIPIENTS: dict[str, Callable[[dict[str, Any]], int]] = {  # the send's arguments by name -> its recipients
    "send_email": lambda given: _recipients_of_destinations(given["destinations"]),
    "send_templated_email": lambda given: _recipients_of_destinations(given["destinations"]),
    "send_bulk_templated_email": lambda given: _recipients_of_bulk(given["destinations"]),
    "send_raw_email": lambda given: _recipients_of_raw(given["destinations"], given["raw_data"]),
}


def _throttled(name: str, send: Callable[..., Any]) -> Callable[..., Any]:
    count, signature = _RECIPIENTS[name], inspect.signature(send)

    @functools.wraps(send)
    def call(backend: SESBackend, *arguments: Any, **named: Any) -> Any:
        quota = _quota
        if quota is None:
            return send(backend, *arguments, **named)
        recipients = count(signature.bind(backend, *arguments, **named).arguments)
        at = quota.admit(backend, recipients)
        try:
            return send(backend, *arguments, **named)
        except BaseException:
            quota.give_back(backend, at, recipients)
            raise

    call.__rapport_patched__ = True  # type: ignore[attr-defined]
    return call


def _patch() -> None:
    """Idempotent: applies the patches above to moto's SES backend (in-process mocks and moto's server alike)."""
    if getattr(SESBackend.get_send_quota, "__rapport_patched__", False):
        return
    warnings.filterwarnings("ignore", f"Exception\\({Throttling.__name__}\\) with code {Throttling.code} ", UserWarning)
    SESBackend.get_send_quota = _answering_the_rate(  # type: ignore[method-assign,assignment]
        SESBackend.get_send_quota
    )
    for name in _RECIPIENTS:
        setattr(SESBackend, name, _throttled(name, getattr(SESBackend, name)))
