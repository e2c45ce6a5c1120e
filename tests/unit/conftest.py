import pytest


@pytest.fixture(autouse=True)
def _no_io(no_sockets: None) -> None:
    """Every unit test runs with sockets off."""
