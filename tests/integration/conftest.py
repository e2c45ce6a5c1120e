import pytest


@pytest.fixture(autouse=True)
def _tables(tables: None) -> None:
    """Every integration test runs against fresh tables under moto."""
