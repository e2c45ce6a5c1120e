"""Where a webhook may deliver: https to a public address, checked after DNS resolution.

The check runs when a webhook is created or its URL changes, and again before every attempt, on the addresses the
name resolves to then (a name may point somewhere else later: DNS rebinding); the attempt then connects to the
address it checked (rapport.webhooks.transport), not to a second resolution. Refused: private, loopback,
link-local, multicast, reserved, unspecified and shared (carrier-grade NAT) addresses, in IPv4 and IPv6, an IPv6
address that embeds an IPv4 one judged as that one. The resolver is a parameter, so tests need no network.

The local runtime's `--webhooks-allow-http-localhost` (the `WEBHOOKS_ALLOW_HTTP_LOCALHOST` variable, which no
deployed stage sets) lets `http://localhost:<port>` through, for a receiver on the same machine.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from typing import NamedTuple
from urllib.parse import SplitResult, urlsplit

from rapport import config

Resolve = Callable[[str, int], Sequence[str]]  # a host name and port to the addresses it resolves to
LOCALHOST = "localhost"
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refused(ValueError):
    """The URL may not receive deliveries; the message says why (for a field error on `url`)."""


class Target(NamedTuple):
    """A URL checked for delivery: where to connect (`address`), and the name and path to ask for."""

    url: str
    scheme: str
    host: str
    port: int
    address: str


def resolve_by_dns(host: str, port: int) -> Sequence[str]:
    """The system resolver's addresses for `host`."""
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})


def local_http_allowed() -> bool:
    return config.current().webhooks_allow_http_localhost == "true"


def check(url: str, resolve: Resolve, *, allow_http_localhost: bool = False) -> Target:
    """The URL's delivery target, after resolving its host; raises `Refused` naming what is wrong."""
    parts = _parts(url)
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise Refused("must name a host")
    local = allow_http_localhost and host == LOCALHOST
    if parts.scheme != "https" and not (local and parts.scheme == "http"):
        raise Refused("must be an https:// URL")
    if parts.username is not None or parts.password is not None:
        raise Refused("must not hold a user name or password")
    port = _port(parts)
    try:
        addresses = [ipaddress.ip_address(address) for address in resolve(host, port)]
    except (OSError, UnicodeError, ValueError) as error:
        raise Refused(f"the host {host} does not resolve") from error
    if not addresses:
        raise Refused(f"the host {host} does not resolve")
    for address in addresses:
        if not (local and address.is_loopback) and (why := _not_public(address)):
            raise Refused(f"the host {host} resolves to {address}, {why} address")
    return Target(url=url, scheme=parts.scheme, host=host, port=port, address=str(addresses[0]))


def _parts(url: str) -> SplitResult:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError as error:
        raise Refused("is not a valid URL") from error
    return parts


def _port(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


def _not_public(address: IPAddress) -> str | None:
    """What kind of non-public address `address` is, or None when it is public."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is not None:
            return _not_public(embedded)
    checks = (
        (address.is_loopback, "a loopback"),
        (address.is_link_local, "a link-local"),
        (address.is_multicast, "a multicast"),
        (address.is_unspecified, "an unspecified"),
        (address.is_reserved, "a reserved"),
        (address in _SHARED, "a shared (carrier-grade NAT)"),
        (address.is_private or not address.is_global, "a private"),
    )
    return next((kind for refused, kind in checks if refused), None)


_SHARED = ipaddress.ip_network("100.64.0.0/10")
