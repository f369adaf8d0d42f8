"""Emailed links work once and only for the account as it was when they were sent.

The attack from the security review, through the real pages and real mail (SMTP): someone
registers a victim's address, asks to move the account to their own address and keeps
that link; the victim takes the account back with a password reset; the saved link must
then be dead, or it would hand the account (and its password reset) to the attacker.
"""

from sqlalchemy import select

from dialog.accounts.models import User
from tests.support import PASSWORD, first_link, post_form

VICTIM = "victim@example.org"
ATTACKER = "attacker@example.org"
VICTIMS_PASSWORD = "the victims own passphrase"
REGISTRATION = {
    "display_name": "Sanna Ek",
    "password": PASSWORD,
    "confirm": PASSWORD,
    "accept_terms": "y",
}


def _path(app, link: str) -> str:
    return link.replace(app.config["PUBLIC_URL"], "")


def _account(app, email: str) -> User | None:
    from dialog.extensions import db

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            db.session.expunge(user)
        return user


def test_a_saved_email_change_link_dies_when_the_owner_resets_the_password(app, db, smtp_inbox):
    attacker = app.test_client()
    post_form(attacker, "/register", {"email": VICTIM, **REGISTRATION})
    post_form(attacker, "/login", {"email": VICTIM, "password": PASSWORD})
    post_form(attacker, "/profile/email", {"email": ATTACKER, "current_password": PASSWORD})
    saved_link = _path(app, first_link(smtp_inbox.last(ATTACKER)))

    victim = app.test_client()
    post_form(victim, "/password/forgot", {"email": VICTIM})
    reset = _path(app, first_link(smtp_inbox.last(VICTIM)))
    post_form(victim, reset, {"password": VICTIMS_PASSWORD, "confirm": VICTIMS_PASSWORD})
    assert (
        post_form(victim, "/login", {"email": VICTIM, "password": VICTIMS_PASSWORD}).status_code
        == 302
    )

    assert attacker.get(saved_link).status_code == 400
    assert _account(app, VICTIM).pending_email is None
    assert _account(app, VICTIM) is not None and _account(app, ATTACKER) is None
    post_form(attacker, "/password/forgot", {"email": ATTACKER})
    assert smtp_inbox.to(ATTACKER)[-1]["Subject"] != "Välj ett nytt lösenord"
    assert victim.get("/profile").status_code == 200


def test_changing_the_password_cancels_an_address_change_under_way(
    app, client, resident, login, smtp_inbox
):
    login(resident)
    post_form(client, "/profile/email", {"email": ATTACKER, "current_password": PASSWORD})
    link = _path(app, first_link(smtp_inbox.last(ATTACKER)))
    new = "a brand new passphrase"
    post_form(
        client, "/profile/password", {"current_password": PASSWORD, "password": new, "confirm": new}
    )
    assert _account(app, resident.email).pending_email is None
    assert client.get(link).status_code == 400
    assert _account(app, ATTACKER) is None


def test_an_email_change_link_works_once(app, client, resident, login, smtp_inbox):
    login(resident)
    post_form(client, "/profile/email", {"email": "new@example.org", "current_password": PASSWORD})
    link = _path(app, first_link(smtp_inbox.last("new@example.org")))
    assert client.get(link).status_code == 302
    assert _account(app, "new@example.org") is not None
    assert client.get(link).status_code == 400


def test_a_newer_change_request_voids_the_earlier_link(app, client, resident, login, smtp_inbox):
    login(resident)
    post_form(
        client, "/profile/email", {"email": "first@example.org", "current_password": PASSWORD}
    )
    first = _path(app, first_link(smtp_inbox.last("first@example.org")))
    post_form(
        client, "/profile/email", {"email": "second@example.org", "current_password": PASSWORD}
    )
    assert client.get(first).status_code == 400
    assert _account(app, "first@example.org") is None


def test_a_verification_link_works_once(app, client, smtp_inbox):
    post_form(client, "/register", {"email": "new@example.org", **REGISTRATION})
    link = _path(app, first_link(smtp_inbox.last("new@example.org")))
    assert client.get(link).status_code == 302
    assert _account(app, "new@example.org").is_verified
    assert client.get(link).status_code == 400


def test_a_reset_link_dies_when_the_address_changes(app, client, resident, login, smtp_inbox):
    post_form(app.test_client(), "/password/forgot", {"email": resident.email})
    reset = _path(app, first_link(smtp_inbox.last(resident.email)))
    login(resident)
    post_form(
        client, "/profile/email", {"email": "moved@example.org", "current_password": PASSWORD}
    )
    client.get(_path(app, first_link(smtp_inbox.last("moved@example.org"))))
    assert _account(app, "moved@example.org") is not None
    assert app.test_client().get(reset).status_code == 400
