from __future__ import annotations

import copy
import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# Property tests check behaviour, not speed (`make bench` measures speed): on a loaded machine an example may take
# longer than Hypothesis' default 200 ms deadline, and generating one longer than its health check allows.
settings.register_profile("rapport", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("rapport")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest tests first: `make test` runs the slow suite on two workers a file at a time in this order, so
    the rest runs beside them rather than after them."""
    items.sort(key=lambda item: item.get_closest_marker("longest") is None)


@pytest.fixture(autouse=True)
def fresh_config() -> Iterator[None]:
    """Each test reads the environment as it sets it (rapport.config reads it once per process otherwise)."""
    from rapport import config

    config.reload()
    yield
    config.reload()


@pytest.fixture
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit tests do no I/O: any attempt to open a socket fails the test."""

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("unit tests must not open sockets")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def _dynamodb() -> Any:
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]]


@pytest.fixture(scope="session")
def empty_tables() -> dict[str, Any]:
    """moto's single table and idempotency table, created once per test process from the PynamoDB models."""
    from moto import mock_aws

    from local.awsmock import patch_dynamodb
    from rapport.dal.models import TABLE_MODELS

    patch_dynamodb()
    with mock_aws():
        for model in TABLE_MODELS:
            model.create_table(wait=True)
        created: dict[str, Any] = copy.deepcopy(_dynamodb().tables)
    return created


@pytest.fixture
def tables(empty_tables: dict[str, Any]) -> Iterator[None]:
    """Fresh, empty tables under a fresh moto: a copy of the created ones (creating them anew costs 100 times more)."""
    from moto import mock_aws

    # boto3's default session is kept across tests: a new one loads every service's model anew (moto resets it
    # by default), while moto's backends, which hold the data, are fresh for each test all the same.
    with mock_aws(config={"core": {"reset_boto3_session": False}}):
        _dynamodb().tables = copy.deepcopy(empty_tables)
        yield
