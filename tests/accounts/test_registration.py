from sqlalchemy import func, select

from dialog.accounts.models import User
from tests.support import PASSWORD, body, first_link, post_form

GOOD = {"display_name": "Sanna Ek", "password": PASSWORD, "confirm": PASSWORD, "accept_terms": "y"}


def _register(client, email, **changes):
    return post_form(client, "/register", {"email": email, **GOOD, **changes})


def _user(app, email):
    from dialog.extensions import db

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            db.session.expunge(user)
        return user


def test_registration_creates_an_unverified_account_and_sends_a_link(app, client, mailbox):
    response = _register(client, "Sanna.Ek@Example.org")
    assert response.status_code == 302 and response.location.endswith("/register/check-email")
    user = _user(app, "sanna.ek@example.org")
    assert user is not None and not user.is_verified
    assert user.terms_accepted_at is not None
    assert user.password_hash.startswith("$argon2id$")
    message = mailbox.last("sanna.ek@example.org")
    assert message["Subject"] == "Bekräfta ditt konto"
    link = first_link(message)
    assert "/verify/" in link

    assert client.get(link.replace(app.config["PUBLIC_URL"], "")).status_code == 302
    assert _user(app, "sanna.ek@example.org").is_verified


def test_registering_a_taken_address_looks_the_same_and_tells_the_owner(
    app, client, resident, mailbox
):
    response = _register(client, resident.email.upper())
    assert response.status_code == 302 and response.location.endswith("/register/check-email")
    from dialog.extensions import db

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
    note = mailbox.last(resident.email)
    assert "/password/forgot" in body(note)


def test_the_form_explains_every_problem_and_keeps_what_was_typed(client):
    response = _register(
        client,
        "not-an-email",
        display_name="Sanna",
        password="short",
        confirm="different",
        accept_terms="",
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "minst 12 tecken" in page
    assert "name@example.se" in page or "namn@exempel.se" in page
    assert 'value="not-an-email"' in page and 'value="Sanna"' in page
    assert 'aria-invalid="true"' in page and 'aria-describedby="email-error"' in page
    assert 'value="short"' not in page  # passwords are never sent back


def test_common_passwords_are_refused(client, app):
    response = _register(
        client, "common@example.org", password="password1234", confirm="password1234"
    )
    assert response.status_code == 200
    assert "vanligaste" in response.get_data(as_text=True)
    assert _user(app, "common@example.org") is None


def test_terms_must_be_accepted(client, app):
    response = _register(client, "terms@example.org", accept_terms="")
    assert response.status_code == 200
    assert _user(app, "terms@example.org") is None


def test_a_forged_or_expired_verification_link_is_refused(app, client, make_user, monkeypatch):
    user = make_user(verified=False)
    response = client.get("/verify/forged-token")
    assert response.status_code == 400
    assert "Länken fungerar inte" in response.get_data(as_text=True)
    from dialog.accounts import services

    with app.test_request_context():
        from dialog.extensions import db

        token = services._serializer("verify-email").dumps({"uid": user.id, "email": user.email})
        db.session.rollback()
    monkeypatch.setitem(app.config, "EMAIL_VERIFY_DAYS", -1)
    assert client.get(f"/verify/{token}").status_code == 400
    assert not _user(app, user.email).is_verified


def test_unverified_people_may_log_in_and_resend_the_link(client, make_user, login, mailbox):
    user = make_user(verified=False)
    assert login(user).status_code == 302
    page = client.get("/profile").get_data(as_text=True)
    assert "inte bekräftad" in page
    post_form(client, "/profile/resend-verification", {}, form_path="/profile")
    assert "/verify/" in first_link(mailbox.last(user.email))


def test_an_address_mail_cannot_reach_is_refused_with_the_reason(client, app):
    response = _register(client, "åsa@example.org", display_name="Åsa")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "å, ä eller ö" in page and 'value="åsa@example.org"' in page
    from dialog.extensions import db

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
    # A Swedish domain is fine: mail reaches it in its IDNA form.
    assert _register(client, "asa@åre.se", display_name="Åsa").status_code == 302
