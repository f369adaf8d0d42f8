"""A logged-in person's error pages answer themselves while the database is down or hung:
a 503 with its Retry-After, like every other page then; never a bare 500 (which gunicorn
would send without a request id)."""

from __future__ import annotations

import logging
import os
import sqlite3
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
needs_sqlite = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="SQLite's write lock and file"
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


def _on_a_copy(build_site, settings, folder, **environment):
    """A site on its own copy of the suite's SQLite file, which the test may take away."""
    folder.mkdir()
    copy = folder / "site.sqlite"
    source = sqlite3.connect(make_url(settings["DATABASE_URL"]).database)
    with sqlite3.connect(copy) as target:
        source.backup(target)
    source.close()
    target.close()
    site = build_site(DATABASE_URL=f"sqlite:///{copy}", **environment)
    site.config["TESTING"] = False
    site.config["PROPAGATE_EXCEPTIONS"] = False
    return site, copy


@needs_sqlite
@pytest.mark.parametrize("outage", ["locked", "gone"])
def test_error_pages_of_a_logged_in_person_answer_while_the_sqlite_file_is_unusable(
    app, committed_db, build_site, make_user, settings, tmp_path, outage
):
    """SQLite's two ways of being away: another connection holds the write lock past the
    busy timeout (every request that may write takes it first, at BEGIN IMMEDIATE), or
    the file cannot be opened (its volume gone) by a process whose pool opens it anew.
    The pages are asked with POST: with the lock held, reading pages still read."""
    from dialog.extensions import db

    resident = make_user()
    site, copy = _on_a_copy(build_site, settings, tmp_path / "volume", SQLITE_BUSY_TIMEOUT_MS="300")
    member = _logged_in(site, resident.email)
    holder = sqlite3.connect(copy, isolation_level=None)
    if outage == "locked":
        holder.execute("BEGIN IMMEDIATE")
    else:
        with site.app_context():
            db.engine.dispose()  # as in a fresh web worker
        copy.parent.rename(tmp_path / "unmounted")  # the holder only keeps it open
    asked = {"X-Request-ID": "fel-2"}
    answers = {
        "page": lambda: member.post("/no-such-page?lang=en", headers=asked),
        "api": lambda: member.post("/api/v1/nope", headers=asked),
        "csrf": lambda: member.post(
            "/profile?lang=en", data={"csrf_token": "bad", "display_name": "x"}, headers=asked
        ),
    }
    try:
        for what, ask in answers.items():
            started = time.monotonic()
            response = ask()
            took = time.monotonic() - started
            # The busy timeout (0.3 s) once: the error page does not wait for it again.
            assert response.status_code == 503 and took < 3, what
            assert response.headers["Retry-After"] == "60", what
            assert response.headers["X-Request-ID"] == "fel-2", what
            if what == "api":
                assert response.get_json()["error"]["status"] == 503
            else:
                assert "The service is temporarily unavailable" in response.get_data(as_text=True)
    finally:
        holder.close()  # and with it the write lock
        if outage == "gone":
            (tmp_path / "unmounted").rename(copy.parent)
    assert member.get("/profile").status_code == 200  # still logged in


@needs_postgres
def test_a_hang_at_the_session_touch_waits_one_deadline_and_answers_503(
    app, committed_db, build_site, proxy, make_user, settings
):
    # SQLite's touch that loses the write lock is skipped and the page answers 200
    # instead: test_hung_dependencies.py, ...skips_the_session_touch_while_sqlites_...
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
