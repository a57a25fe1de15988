"""The pytest plugin registered under ``pytest11``: table parametrization and fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from smshooks.testing.conformance import parametrize_tables
from smshooks.testing.fake_api import FakeVendorAPI


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    parametrize_tables(metafunc)


@pytest.fixture
def fake_vendor_api() -> Iterator[FakeVendorAPI]:
    """A running fake of a vendor's HTTP API on loopback that records requests."""
    with FakeVendorAPI() as api:
        yield api
