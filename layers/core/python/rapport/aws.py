"""The function's AWS clients, all made from one botocore session.

A botocore session loads what its clients need (partitions, endpoint rules, service models) once, and every new
session loads it again: about 50 ms of CPU on a cold start each (`python -m tools.coldstart`). PynamoDB makes a
session per table connection and `boto3.client` one of its own, so a request that read two tables, assumed its
tenant's role and put an event on the bus paid for four. Every client of the layer and the functions comes from
`client()`, and the table models' connections use `session()` (rapport.dal.connection).

S3's presigned URLs come from a client of their own (`s3_presigning()`): botocore presigns with SigV2 by default,
which an object encrypted with a KMS key refuses, and at the global address, which redirects a new bucket's
requests (a redirect breaks the signature). SigV4 at the bucket's regional address; an endpoint of our own (the
local runtime's, an IP address) keeps path-style addresses.

Made per thread, as PynamoDB makes its sessions, because making clients from one session is not thread-safe;
Lambda runs one thread, so a function has one session. `reset()` forgets them: code that points the SDK at
another endpoint (a test, the local runtime's tools) calls it.
"""

from __future__ import annotations

import threading
from typing import Any

from botocore.config import Config  # type: ignore[import-untyped]
from botocore.session import Session, get_session  # type: ignore[import-untyped]

_S3_PRESIGNING = Config(signature_version="s3v4", s3={"addressing_style": "virtual"})


class _State(threading.local):
    def __init__(self) -> None:
        self.generation = -1
        self.session: Session | None = None
        self.clients: dict[str, Any] = {}


_state = _State()
_generation = 0


def session() -> Session:
    """This thread's botocore session, made on first use after the last `reset()`."""
    if _state.session is None or _state.generation != _generation:
        _state.session, _state.clients, _state.generation = get_session(), {}, _generation
    return _state.session


def client(service: str) -> Any:
    """This thread's client of `service` (a botocore client: boto3's client API without its resources)."""
    return _client(service, service, None)


def s3_presigning() -> Any:
    """This thread's S3 client for presigned URLs (SigV4, the bucket's regional address)."""
    return _client("s3:presigning", "s3", _S3_PRESIGNING)


def _client(name: str, service: str, config: Config | None) -> Any:
    current = session()
    made = _state.clients.get(name)
    if made is None:
        made = _state.clients[name] = current.create_client(service, config=config)
    return made


def reset() -> None:
    """Every thread makes its session and clients afresh on next use (from the environment as it is then)."""
    global _generation
    _generation += 1
