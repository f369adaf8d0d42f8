"""Fixtures the core tests share."""

import pytest

from tests.support import BlackHole, threads_named, wait_for


@pytest.fixture
def black_hole():
    """A dependency that accepts connections and never answers; closed after the test."""
    hole = BlackHole()
    yield hole
    hole.close()
    # What waited on it has given up now: no probe thread outlives the hung dependency.
    wait_for(lambda: not threads_named("health-"), timeout=15)
