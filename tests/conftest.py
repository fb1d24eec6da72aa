"""Shared test set-up: a real PostGIS database (pytest-django) and the factories."""

import pytest


@pytest.fixture
def profile():
    """Return the jurisdiction profile the test database was made for."""
    from landinfo.profiles import get_profile

    return get_profile()
