"""The seeded world of the security harness: built once per module, rolled back at its end."""

import pytest

from tests.security import world as world_module


@pytest.fixture(scope="module")
def world(app, settings):
    with world_module.outer_transaction(app) as connection:
        seeded = world_module.build(app, connection)
        seeded.baseline = world_module.fingerprint(app)
        yield seeded
