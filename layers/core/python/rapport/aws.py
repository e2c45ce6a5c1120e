"""The function's AWS clients, all made from one botocore session.

A botocore session loads what its clients need (partitions, endpoint rules, service models) once, and every new
session loads it again: about 50 ms of CPU on a cold start each (`python -m tools.coldstart`). PynamoDB makes a
session per table connection and `boto3.client` one of its own, so a request that read two tables, assumed its
tenant's role and put an event on the bus paid for four. Every client of the layer and the functions comes from
`client()`, and the table models' connections use `session()` (rapport.dal.connection).

Made per thread, as PynamoDB makes its sessions, because making clients from one session is not thread-safe;
Lambda runs one thread, so a function has one session. `reset()` forgets them: code that points the SDK at
another endpoint (a test, the local runtime's tools) calls it.
"""

from __future__ import annotations

import threading
from typing import Any

from botocore.session import Session, get_session  # type: ignore[import-untyped]


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
    current = session()
    made = _state.clients.get(service)
    if made is None:
        made = _state.clients[service] = current.create_client(service)
    return made


def reset() -> None:
    """Every thread makes its session and clients afresh on next use (from the environment as it is then)."""
    global _generation
    _generation += 1
