"""A logged-in person's error pages answer themselves while the database is down or hung:
a 503 with its Retry-After, like every other page then; never a bare 500 (which gunicorn
would send without a request id)."""

from __future__ import annotations

import logging
import os
import time

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from tests.resilience.journey import BOUND_SECONDS
from tests.support import log_in

needs_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL"), reason="the database hangs through a proxy: PostgreSQL"
)


def _behind_proxy(build_site, proxy, settings, **environment):
    url = make_url(settings["DATABASE_URL"])
    relay = proxy(url.port or 5432)
    site = build_site(
        DATABASE_URL=url.set(host="127.0.0.1", port=relay.port).render_as_string(False),
        **environment,
    )
    # As in production: an exception the handlers let through is a bare 500.
    site.config["TESTING"] = False
    site.config["PROPAGATE_EXCEPTIONS"] = False
    return site, relay


def _logged_in(site, email):
    member = site.test_client()
    assert log_in(member, email).status_code == 302
    return member


@needs_postgres
@pytest.mark.parametrize("outage", ["refuse", "hang"])
def test_error_pages_of_a_logged_in_person_answer_while_the_database_is_away(
    app, committed_db, build_site, proxy, make_user, settings, outage
):
    resident = make_user()
    site, relay = _behind_proxy(build_site, proxy, settings)
    member = _logged_in(site, resident.email)
    assert member.get("/profile").status_code == 200

    getattr(relay, outage)()
    asked = {"X-Request-ID": "fel-1"}
    answers = {
        "page": lambda: member.get("/no-such-page?lang=en", headers=asked),
        "api": lambda: member.get("/api/v1/nope", headers=asked),
        "csrf": lambda: member.post(
            "/profile", data={"csrf_token": "bad", "display_name": "x"}, headers=asked
        ),
    }
    for what, ask in answers.items():
        started = time.monotonic()
        response = ask()
        took = time.monotonic() - started
        assert response.status_code == 503 and took < BOUND_SECONDS, what
        assert response.headers["Retry-After"] == "60", what
        assert response.headers["X-Request-ID"] == "fel-1", what
        if what == "api":
            assert response.get_json()["error"]["status"] == 503
        else:
            assert "The service is temporarily unavailable" in response.get_data(as_text=True)

    relay.resume()
    assert member.get("/profile").status_code == 200  # still logged in


@needs_postgres
def test_a_hang_at_the_session_touch_waits_one_deadline_and_answers_503(
    app, committed_db, build_site, proxy, make_user, settings
):
    resident = make_user()
    site, relay = _behind_proxy(build_site, proxy, settings, SESSION_TOUCH_SECONDS="0")
    member = _logged_in(site, resident.email)
    assert member.get("/").status_code == 200
    armed = [True]

    def hang_at_the_touch(session):
        if armed:
            armed.clear()
            relay.hang()

    event.listen(Session, "before_commit", hang_at_the_touch)
    try:
        started = time.monotonic()
        response = member.get("/d/nothing-here")
        took = time.monotonic() - started
    finally:
        event.remove(Session, "before_commit", hang_at_the_touch)
        relay.resume()
    assert response.status_code == 503 and response.headers["Retry-After"] == "60"
    # One statement deadline (1 s, and the client's 2 s on top), not a second wait for a retry.
    assert took < 1 + 2 + 1.5


@pytest.fixture
def session_table_broken(app, db):
    """user_session's `ended_at` renamed inside the test's transaction (rolled back at
    the end), which every request shares: loading the logged-in person is a bug
    (ProgrammingError on PostgreSQL, OperationalError "no such column" on SQLite)."""
    with app.app_context():
        db.session.execute(text("ALTER TABLE user_session RENAME COLUMN ended_at TO gone"))
        # Released into the outer transaction. Left uncommitted, the savepoint is rolled
        # back when this app context ends, and the request finds the column again (200).
        db.session.commit()


@pytest.mark.parametrize("path", ["/profile?lang=en", "/no-such-page?lang=en"])
def test_a_bug_while_loading_the_logged_in_person_is_a_500_page_for_a_visitor(
    app, client, resident, login, caplog, path, request
):
    assert login(resident).status_code == 302
    request.getfixturevalue("session_table_broken")
    with caplog.at_level(logging.ERROR, logger="dialog.core.errors"):
        response = client.get(path)
    page = response.get_data(as_text=True)
    assert response.status_code == 500, page[:300]
    assert "Something went wrong on our side" in page
    assert "Retry-After" not in response.headers
    assert "Log in" in page  # as for a visitor: who is logged in could not be read
    logged = [each for each in caplog.records if each.name == "dialog.core.errors"]
    assert [each.levelname for each in logged] == ["ERROR"]  # once, with its traceback
    assert "gone" not in page and logged[0].exc_info is not None
