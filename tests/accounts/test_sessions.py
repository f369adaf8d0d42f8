from datetime import timedelta

from sqlalchemy import select, update

from dialog.accounts.models import UserSession
from dialog.core.db import utcnow
from tests.support import PASSWORD, csrf_token, post_form


def _sessions(app, user_id):
    from dialog.extensions import db

    with app.app_context():
        return db.session.scalars(select(UserSession).where(UserSession.user_id == user_id)).all()


def test_a_login_creates_a_server_side_session_holding_only_a_hash(app, client, resident, login):
    login(resident)
    [row] = _sessions(app, resident.id)
    cookie = client.get_cookie("dialog_session").value
    assert row.ended_at is None and len(row.token_hash) == 64
    assert row.token_hash not in cookie


def test_logout_ends_the_session_even_for_a_copied_cookie(app, client, resident, login):
    login(resident)
    stolen = client.get_cookie("dialog_session").value
    post_form(client, "/logout", {}, form_path="/profile")
    assert _sessions(app, resident.id)[0].ended_at is not None
    thief = app.test_client()
    thief.set_cookie("dialog_session", stolen)
    assert thief.get("/profile").status_code == 302


def test_changing_the_password_ends_other_sessions(app, client, resident, login):
    login(resident)
    other_device = app.test_client()
    post_form(other_device, "/login", {"email": resident.email, "password": PASSWORD})
    assert other_device.get("/profile").status_code == 200
    new = "a brand new passphrase"
    response = post_form(
        client, "/profile/password", {"current_password": PASSWORD, "password": new, "confirm": new}
    )
    assert response.status_code == 302
    assert client.get("/profile").status_code == 200
    assert other_device.get("/profile").status_code == 302


def test_a_wrong_current_password_changes_nothing(app, client, resident, login):
    login(resident)
    response = post_form(
        client,
        "/profile/password",
        {"current_password": "not my password", "password": "x" * 14, "confirm": "x" * 14},
    )
    assert response.status_code == 200
    assert "Det nuvarande lösenordet är fel." in response.get_data(as_text=True)


def _age_session(app, user_id, **fields):
    from dialog.extensions import db

    with app.app_context():
        db.session.execute(
            update(UserSession).where(UserSession.user_id == user_id).values(**fields)
        )
        db.session.commit()


def test_an_idle_session_times_out(app, client, resident, login):
    login(resident)
    idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1)
    _age_session(app, resident.id, last_seen_at=utcnow() - idle)
    assert client.get("/profile").status_code == 302
    assert _sessions(app, resident.id)[0].ended_at is not None


def test_a_session_ends_at_its_absolute_limit_however_active(app, client, resident, login):
    login(resident)
    age = timedelta(hours=app.config["SESSION_ABSOLUTE_HOURS"], minutes=1)
    _age_session(app, resident.id, created_at=utcnow() - age, last_seen_at=utcnow())
    assert client.get("/profile").status_code == 302


def test_activity_keeps_an_idle_session_alive(app, client, resident, login):
    login(resident)
    _age_session(app, resident.id, last_seen_at=utcnow() - timedelta(minutes=5))
    assert client.get("/profile").status_code == 200
    assert utcnow() - _sessions(app, resident.id)[0].last_seen_at < timedelta(minutes=1)


def test_the_csrf_token_from_before_login_is_dead_after_it(app, client, resident):
    before = csrf_token(client, "/login")
    client.post(
        "/login", data={"csrf_token": before, "email": resident.email, "password": PASSWORD}
    )
    assert client.get("/profile").status_code == 200
    stale = client.post("/logout", data={"csrf_token": before})
    assert stale.status_code == 400
    assert client.get("/profile").status_code == 200  # still logged in: nothing happened
    fresh = csrf_token(client, "/profile")
    assert fresh != before
    assert client.post("/logout", data={"csrf_token": fresh}).status_code == 302


def test_logout_gives_a_new_csrf_token_and_keeps_the_language(app, client, resident, login):
    client.get("/?lang=en")
    login(resident)
    logged_in = csrf_token(client, "/profile")
    client.post("/logout", data={"csrf_token": logged_in})
    assert client.post("/login", data={"csrf_token": logged_in}).status_code == 400
    assert "Log in" in client.get("/login").get_data(as_text=True)


def test_logging_in_again_ends_the_earlier_session(app, client, resident, make_user, login):
    login(resident)
    other = make_user()
    login(other)
    rows = _sessions(app, resident.id)
    assert len(rows) == 1 and rows[0].ended_at is not None
    assert other.display_name in client.get("/profile").get_data(as_text=True)
