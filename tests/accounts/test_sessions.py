from datetime import timedelta

import pytest
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


# The sessions page ---------------------------------------------------------------------

FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)


def _device(app, user, *, agent=FIREFOX_WINDOWS, address="203.0.113.77"):
    """Another client logged in as `user`, from a browser and address of its own."""
    device = app.test_client()
    post_form(
        device,
        "/login",
        {"email": user.email, "password": PASSWORD},
        headers={"User-Agent": agent},
        environ_base={"REMOTE_ADDR": address},
    )
    assert device.get("/profile").status_code == 200
    return device


def _live(app, user_id):
    return [row for row in _sessions(app, user_id) if row.ended_at is None]


def test_only_the_network_of_the_address_is_kept(app, client, resident):
    _device(app, resident, address="203.0.113.77")
    _device(app, resident, address="2001:db8:abcd:12:1:2:3:4")
    networks = sorted(row.ip_prefix for row in _sessions(app, resident.id))
    assert networks == ["2001:db8:abcd::/48", "203.0.113.0/24"]
    for row in _sessions(app, resident.id):
        stored = " ".join(str(getattr(row, c.key)) for c in row.__table__.columns)
        assert "203.0.113.77" not in stored and "1:2:3:4" not in stored


def test_network_of_truncates_and_refuses_garbage():
    from dialog.accounts.devices import network_of

    assert network_of("192.168.10.250") == "192.168.10.0/24"
    assert network_of("::ffff:198.51.100.9") == "198.51.100.0/24"
    assert network_of("2a00:1450:400f:80d::200e") == "2a00:1450:400f::/48"
    assert network_of("not an address") is None and network_of(None) is None


def test_devices_are_named_by_browser_and_system():
    from dialog.accounts.devices import describe

    assert describe(FIREFOX_WINDOWS) == ("Firefox", "Windows")
    assert describe(SAFARI_IPHONE) == ("Safari", "iOS")
    edge = "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/131.0 Safari/537.36 Edg/131.0"
    assert describe(edge) == ("Edge", "Windows")
    chrome_android = (
        "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36"
    )
    assert describe(chrome_android) == ("Chrome", "Android")
    assert describe("curl/8.5") == (None, None) and describe(None) == (None, None)


def test_the_page_lists_devices_and_marks_this_one(app, resident):
    this = _device(app, resident, agent=SAFARI_IPHONE, address="198.51.100.20")
    _device(app, resident, agent=FIREFOX_WINDOWS, address="203.0.113.77")
    page = this.get("/profile/sessions").get_data(as_text=True)
    assert "Safari på iOS" in page and "Firefox på Windows" in page
    assert "198.51.100.0/24" in page and "203.0.113.0/24" in page
    assert "203.0.113.77" not in page
    assert page.count("den här enheten") == 1
    assert page.index("Safari på iOS") < page.index("Firefox på Windows")
    english = this.get("/profile/sessions?lang=en").get_data(as_text=True)
    assert "Safari on iOS" in english and "(this device)" in english


def test_ending_another_session_logs_that_client_out(app, resident):
    this = _device(app, resident)
    other = _device(app, resident, agent=SAFARI_IPHONE)
    [other_row] = [r for r in _live(app, resident.id) if "iPhone" in r.user_agent]
    response = post_form(
        this, f"/profile/sessions/{other_row.id}/end", {}, form_path="/profile/sessions"
    )
    assert response.status_code == 302
    assert other.get("/profile").status_code == 302
    assert this.get("/profile").status_code == 200


def test_ending_this_session_logs_out_here(app, resident):
    this = _device(app, resident)
    [row] = _live(app, resident.id)
    response = post_form(this, f"/profile/sessions/{row.id}/end", {}, form_path="/profile/sessions")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert this.get("/profile").status_code == 302


def test_nobody_ends_someone_elses_session(app, resident, make_user):
    victim = make_user()
    victims_device = _device(app, victim)
    [row] = _live(app, victim.id)
    attacker = _device(app, resident)
    response = post_form(
        attacker, f"/profile/sessions/{row.id}/end", {}, form_path="/profile/sessions"
    )
    assert response.status_code == 404
    assert victims_device.get("/profile").status_code == 200


def test_log_out_everywhere_else(app, resident):
    this = _device(app, resident)
    others = [_device(app, resident, agent=SAFARI_IPHONE) for _ in range(2)]
    response = post_form(this, "/profile/sessions/end-others", {}, form_path="/profile/sessions")
    assert response.status_code == 302
    assert [device.get("/profile").status_code for device in others] == [302, 302]
    assert this.get("/profile").status_code == 200
    assert len(_live(app, resident.id)) == 1


def test_log_out_everywhere(app, resident):
    this = _device(app, resident)
    other = _device(app, resident)
    response = post_form(this, "/profile/sessions/end-all", {}, form_path="/profile/sessions")
    assert response.status_code == 302
    assert this.get("/profile").status_code == 302
    assert other.get("/profile").status_code == 302
    assert _live(app, resident.id) == []


def test_the_buttons_need_the_csrf_token(app, resident):
    this = _device(app, resident)
    other = _device(app, resident)
    assert this.post("/profile/sessions/end-others").status_code == 400
    assert other.get("/profile").status_code == 200


def test_last_use_is_written_at_most_every_few_minutes(app, client, resident, login):
    login(resident)
    assert app.config["SESSION_TOUCH_SECONDS"] >= 120
    shortly = utcnow() - timedelta(seconds=60)
    _age_session(app, resident.id, last_seen_at=shortly)
    assert client.get("/profile").status_code == 200
    assert _sessions(app, resident.id)[0].last_seen_at == shortly


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/profile/sessions"),
        ("post", "/profile/sessions/1/end"),
        ("post", "/profile/sessions/end-others"),
        ("post", "/profile/sessions/end-all"),
    ],
)
def test_anonymous_visitors_are_sent_to_log_in(client, method, path):
    from tests.support import csrf_token

    token = csrf_token(client, "/login")
    response = (
        client.get(path) if method == "get" else client.post(path, data={"csrf_token": token})
    )
    assert response.status_code == 302 and "/login" in response.headers["Location"]
