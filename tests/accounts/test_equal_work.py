"""Registration and password reset do the same work for a new address as for one that has
an account: one password hash (or none) and as many SQL statements, so the time an answer
takes does not tell who has an account. Counted, not timed: timings are noisy in tests."""

import pytest
from argon2 import PasswordHasher

from tests.support import PASSWORD, csrf_token

FORM = {"display_name": "Sanna Ek", "password": PASSWORD, "confirm": PASSWORD, "accept_terms": "y"}


@pytest.fixture
def hashes(monkeypatch):
    """Counts the real Argon2 hasher's work (a pass-through spy on the library)."""
    calls = []
    for name in ("hash", "verify"):
        real = getattr(PasswordHasher, name)

        def spy(self, *args, _real=real, _name=name, **kwargs):
            calls.append(_name)
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(PasswordHasher, name, spy)
    return calls


def _work(client, path, data, count_queries, hashes):
    token = csrf_token(client, path)
    hashes.clear()
    with count_queries() as counted:
        response = client.post(path, data={"csrf_token": token, **data})
    return response, len(hashes), len(_app_statements(counted.statements))


def _app_statements(statements):
    # On the embedded defaults the Celery broker is a SQLite database too; its statements
    # (publishing after commit, made once per process) are not the page's work.
    return [s for s in statements if "kombu" not in s and not s.startswith("PRAGMA")]


def test_registration_costs_the_same_for_a_taken_address(
    app, client, make_user, count_queries, hashes
):
    taken = make_user()
    new, new_hashes, new_statements = _work(
        client, "/register", {"email": "new@example.org", **FORM}, count_queries, hashes
    )
    old, old_hashes, old_statements = _work(
        client, "/register", {"email": taken.email, **FORM}, count_queries, hashes
    )
    assert new.status_code == old.status_code == 302 and new.location == old.location
    assert new_hashes == old_hashes == 1
    assert new_statements == old_statements


def test_password_reset_costs_the_same_for_an_unknown_address(
    app, client, resident, count_queries, hashes
):
    known, known_hashes, known_statements = _work(
        client, "/password/forgot", {"email": resident.email}, count_queries, hashes
    )
    unknown, unknown_hashes, unknown_statements = _work(
        client, "/password/forgot", {"email": "nobody@example.org"}, count_queries, hashes
    )
    assert known.status_code == unknown.status_code == 200
    assert known.get_data() == unknown.get_data()
    assert known_hashes == unknown_hashes
    assert known_statements == unknown_statements
