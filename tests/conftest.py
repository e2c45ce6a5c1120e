from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest


@pytest.fixture
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit tests do no I/O: any attempt to open a socket fails the test."""

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("unit tests must not open sockets")

    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture
def tables() -> Iterator[None]:
    """The single table and the idempotency table, created from the PynamoDB models under moto."""
    from moto import mock_aws

    from local.awsmock import patch_dynamodb
    from rapport.dal.models import TABLE_MODELS

    patch_dynamodb()
    with mock_aws():
        for model in TABLE_MODELS:
            model.create_table(wait=True)
        yield
