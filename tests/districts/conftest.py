import pytest

from tests.districts.support import only_districts

DISTRICTS = {"norr": "Norr", "soder": "Söder", "hol": "Hölö-Mörkö"}


@pytest.fixture
def districts(app, db):
    """Three districts and nothing else, rolled back with the test."""
    only_districts(app, DISTRICTS)
    return DISTRICTS


@pytest.fixture
def admin(make_user):
    """An administrator who reads the pages in English, as the tests' texts are."""
    return make_user(role="admin", locale="en")


@pytest.fixture
def admin_client(client, admin, login):
    login(admin)
    return client
