"""Two-step login (TOTP and recovery codes) through the real views; pyotp computes codes."""

import re
import time

import pyotp
import pytest
from sqlalchemy import select

from dialog.accounts.models import RecoveryCode, TwoFactorCredential, UserSession
from dialog.core.models import AuditEntry
from tests.support import PASSWORD, PRODUCTION, csrf_token, post_form

SECRET_PATTERN = re.compile(r'<code id="totp-secret">([A-Z2-7]+)</code>')
RECOVERY_PATTERN = re.compile(r"<li><code>([a-z2-7]{5}-[a-z2-7]{5})</code></li>")


def _rows(app, model, **where):
    from dialog.extensions import db

    with app.app_context():
        query = select(model).filter_by(**where)
        return db.session.scalars(query).all()


def _audit(app, action):
    return _rows(app, AuditEntry, action=action)


def _log_in(client, user, password=PASSWORD, **kwargs):
    return post_form(client, "/login", {"email": user.email, "password": password}, **kwargs)


def _next_code(secret):
    """A code of the next time step: still accepted, and newer than one just used."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def _set_up(client):
    """Set up two-step login on the logged-in client; the secret and recovery codes."""
    page = client.get("/profile/two-factor/setup").get_data(as_text=True)
    secret = SECRET_PATTERN.search(page).group(1)
    response = post_form(client, "/profile/two-factor/setup", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200
    codes = RECOVERY_PATTERN.findall(response.get_data(as_text=True))
    return secret, codes


@pytest.fixture
def staff_with_2fa(app, client, planner):
    """A planner who has set up two-step login, logged out again."""
    _log_in(client, planner)
    secret, codes = _set_up(client)
    post_form(client, "/logout", {}, form_path="/profile")
    return planner, secret, codes


def test_setup_shows_the_key_and_an_inline_qr_code_and_needs_a_code(app, client, planner):
    _log_in(client, planner)
    page = client.get("/profile/two-factor/setup").get_data(as_text=True)
    secret = SECRET_PATTERN.search(page).group(1)
    assert "<svg" in page and "<script" not in page.split("<main", 1)[-1]
    wrong = post_form(client, "/profile/two-factor/setup", {"code": "000000"})
    assert wrong.status_code == 200 and "Koden stämmer inte" in wrong.get_data(as_text=True)
    [row] = _rows(app, TwoFactorCredential, user_id=planner.id)
    assert row.enabled_at is None
    # The key is stored encrypted, never as it is shown.
    assert secret not in row.secret_encrypted

    done = post_form(client, "/profile/two-factor/setup", {"code": pyotp.TOTP(secret).now()})
    codes = RECOVERY_PATTERN.findall(done.get_data(as_text=True))
    assert len(set(codes)) == 10
    assert _rows(app, TwoFactorCredential, user_id=planner.id)[0].enabled_at is not None
    stored = {r.code_hash for r in _rows(app, RecoveryCode, user_id=planner.id)}
    assert len(stored) == 10 and not stored & set(codes)
    assert _audit(app, "two_factor_enabled")
    # Once on, the key is never shown again.
    again = client.get("/profile/two-factor/setup")
    assert again.status_code == 302 and again.headers["Location"].endswith("/profile/two-factor")
    assert secret not in client.get("/profile/two-factor").get_data(as_text=True)


def test_login_asks_for_the_code_and_logs_in_only_after_it(app, client, staff_with_2fa):
    planner, secret, _codes = staff_with_2fa
    sessions_before = len(_rows(app, UserSession, user_id=planner.id))
    response = _log_in(client, planner)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login/code")
    # The password alone logs nobody in: no session row, no access.
    assert len(_rows(app, UserSession, user_id=planner.id)) == sessions_before
    assert client.get("/profile").status_code == 302

    wrong = post_form(client, "/login/code", {"code": "123456"})
    assert wrong.status_code == 200 and client.get("/profile").status_code == 302
    right = post_form(client, "/login/code", {"code": _next_code(secret)})
    assert right.status_code == 302
    assert client.get("/profile").status_code == 200
    assert len(_rows(app, UserSession, user_id=planner.id)) == sessions_before + 1


def test_the_code_step_keeps_the_next_page(app, client, staff_with_2fa):
    planner, secret, _codes = staff_with_2fa
    post_form(
        client,
        "/login?next=/profile/sessions",
        {"email": planner.email, "password": PASSWORD},
        form_path="/login",
    )
    response = post_form(client, "/login/code", {"code": _next_code(secret)})
    assert response.headers["Location"].endswith("/profile/sessions")


def test_a_replayed_code_is_refused(app, client, staff_with_2fa):
    planner, secret, _codes = staff_with_2fa
    code = _next_code(secret)
    _log_in(client, planner)
    assert post_form(client, "/login/code", {"code": code}).status_code == 302
    post_form(client, "/logout", {}, form_path="/profile")

    other = app.test_client()
    _log_in(other, planner)
    replay = post_form(other, "/login/code", {"code": code})
    assert replay.status_code == 200
    assert "Koden är fel eller har redan använts." in replay.get_data(as_text=True)
    assert other.get("/profile").status_code == 302
    # A code of an earlier step, still inside the clock window, is refused too.
    earlier = pyotp.TOTP(secret).at(time.time())
    assert post_form(other, "/login/code", {"code": earlier}).status_code == 200


def test_a_recovery_code_works_once(app, client, staff_with_2fa):
    planner, _secret, codes = staff_with_2fa
    _log_in(client, planner)
    response = post_form(client, "/login/code", {"code": codes[0].upper().replace("-", " ")})
    assert response.status_code == 302
    assert "9" in client.get("/profile").get_data(as_text=True)  # codes left, in the flash
    assert _audit(app, "recovery_code_used")
    post_form(client, "/logout", {}, form_path="/profile")

    _log_in(client, planner)
    again = post_form(client, "/login/code", {"code": codes[0]})
    assert again.status_code == 200 and client.get("/profile").status_code == 302
    assert post_form(client, "/login/code", {"code": codes[1]}).status_code == 302


def test_the_code_step_expires(app, client, staff_with_2fa, monkeypatch):
    planner, secret, _codes = staff_with_2fa
    _log_in(client, planner)
    monkeypatch.setitem(app.config, "TWO_FACTOR_PENDING_MINUTES", -1)
    response = client.get("/login/code")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    token = csrf_token(client, "/login")
    late = client.post("/login/code", data={"csrf_token": token, "code": _next_code(secret)})
    assert late.status_code == 302 and client.get("/profile").status_code == 302


def test_the_code_step_is_rate_limited_like_logins(app, client, staff_with_2fa):
    planner, secret, _codes = staff_with_2fa
    _log_in(client, planner)
    token = csrf_token(client, "/login/code")
    statuses = [
        client.post("/login/code", data={"csrf_token": token, "code": "000000"}).status_code
        for _ in range(6)
    ]
    assert statuses[:5] == [200] * 5 and statuses[5] == 429
    refused = client.post("/login/code", data={"csrf_token": token, "code": _next_code(secret)})
    assert refused.status_code == 429 and client.get("/profile").status_code == 302


def test_the_code_page_without_a_password_first_sends_to_login(client):
    response = client.get("/login/code")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")


def test_staff_must_set_it_up_first_when_required(app, client, planner, monkeypatch):
    monkeypatch.setitem(app.config, "REQUIRE_STAFF_2FA", True)
    _log_in(client, planner)
    for path in ("/profile", "/admin/users", "/"):
        response = client.get(path)
        assert response.status_code == 303
        assert response.headers["Location"].endswith("/profile/two-factor/setup")
    assert client.get("/profile/two-factor/setup").status_code == 200
    secret, _codes = _set_up(client)
    assert secret and client.get("/profile").status_code == 200


def test_admins_too_and_residents_never(app, client, admin, resident, monkeypatch):
    monkeypatch.setitem(app.config, "REQUIRE_STAFF_2FA", True)
    _log_in(client, admin)
    assert client.get("/admin/users").status_code == 303
    resident_client = app.test_client()
    _log_in(resident_client, resident)
    assert resident_client.get("/profile").status_code == 200


def test_not_required_by_default_in_testing_and_development(app, client, planner):
    import config

    assert config.load("testing").REQUIRE_STAFF_2FA is False
    assert config.load("development").REQUIRE_STAFF_2FA is False
    _log_in(client, planner)
    assert client.get("/profile").status_code == 200


def test_required_by_default_in_production(monkeypatch):
    import config

    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("REQUIRE_STAFF_2FA", raising=False)
    assert config.load("production").REQUIRE_STAFF_2FA is True
    monkeypatch.setenv("REQUIRE_STAFF_2FA", "off")
    assert config.load("production").REQUIRE_STAFF_2FA is False


def test_turning_it_off_needs_the_password_and_a_code_and_is_audited(app, client, staff_with_2fa):
    planner, secret, codes = staff_with_2fa
    _log_in(client, planner)
    post_form(client, "/login/code", {"code": _next_code(secret)})
    wrong = post_form(
        client,
        "/profile/two-factor/disable",
        {"off-current_password": "not the password", "off-code": "000000"},
        form_path="/profile/two-factor",
    )
    assert wrong.status_code == 400
    assert "Lösenordet är fel." in wrong.get_data(as_text=True)
    # The password alone (a stolen browser with a saved password) is not enough.
    no_code = post_form(
        client,
        "/profile/two-factor/disable",
        {"off-current_password": PASSWORD, "off-code": "000000"},
        form_path="/profile/two-factor",
    )
    assert no_code.status_code == 400
    assert "Koden är fel" in no_code.get_data(as_text=True)
    assert _rows(app, TwoFactorCredential, user_id=planner.id)
    right = post_form(
        client,
        "/profile/two-factor/disable",
        {"off-current_password": PASSWORD, "off-code": codes[0]},  # the phone is gone
        form_path="/profile/two-factor",
    )
    assert right.status_code == 302
    assert not _rows(app, TwoFactorCredential, user_id=planner.id)
    assert not _rows(app, RecoveryCode, user_id=planner.id)
    assert [e.actor_id for e in _audit(app, "two_factor_disabled")] == [planner.id]


def test_new_recovery_codes_replace_the_old(app, client, staff_with_2fa):
    planner, secret, codes = staff_with_2fa
    _log_in(client, planner)
    post_form(client, "/login/code", {"code": _next_code(secret)})
    response = post_form(
        client,
        "/profile/two-factor/recovery-codes",
        {"codes-current_password": PASSWORD},
        form_path="/profile/two-factor",
    )
    new = RECOVERY_PATTERN.findall(response.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(codes)
    post_form(client, "/logout", {}, form_path="/profile")
    _log_in(client, planner)
    assert post_form(client, "/login/code", {"code": codes[2]}).status_code == 200
    assert post_form(client, "/login/code", {"code": new[0]}).status_code == 302


def test_an_admin_resets_a_staff_members_two_step_login(app, client, staff_with_2fa, admin):
    planner, _secret, _codes = staff_with_2fa
    admin_client = app.test_client()
    _log_in(admin_client, admin)
    page = admin_client.get(f"/admin/users/{planner.id}/role").get_data(as_text=True)
    assert f"/admin/users/{planner.id}/two-factor/reset" in page
    response = post_form(
        admin_client,
        f"/admin/users/{planner.id}/two-factor/reset",
        {"reset-reason": "Lost phone"},
        form_path=f"/admin/users/{planner.id}/role",
    )
    assert response.status_code == 302
    [entry] = _audit(app, "two_factor_reset")
    assert entry.actor_id == admin.id and entry.object_id == str(planner.id)
    assert entry.reason == "Lost phone"
    # The password alone logs in again.
    response = _log_in(client, planner)
    assert not response.headers["Location"].endswith("/login/code")
    assert client.get("/profile").status_code == 200


def test_only_admins_reset_and_only_staff_set_up(app, client, staff_with_2fa, make_user):
    planner, _secret, _codes = staff_with_2fa
    other_planner = make_user(role="planner")
    _log_in(client, other_planner)
    token = csrf_token(client, "/profile")
    response = client.post(
        f"/admin/users/{planner.id}/two-factor/reset", data={"csrf_token": token}
    )
    assert response.status_code == 403
    assert _rows(app, TwoFactorCredential, user_id=planner.id)
    resident_client = app.test_client()
    _log_in(resident_client, make_user(role="resident"))
    assert resident_client.get("/profile/two-factor/setup").status_code == 403
    assert resident_client.get("/profile/two-factor").status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/profile/two-factor"),
        ("get", "/profile/two-factor/setup"),
        ("post", "/profile/two-factor/setup"),
        ("post", "/profile/two-factor/disable"),
        ("post", "/profile/two-factor/recovery-codes"),
        ("post", "/admin/users/1/two-factor/reset"),
    ],
)
def test_anonymous_visitors_are_sent_to_log_in(client, method, path):
    token = csrf_token(client, "/login")
    data = {"csrf_token": token, "code": "123456"}
    response = client.get(path) if method == "get" else client.post(path, data=data)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
