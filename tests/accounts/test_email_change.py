from sqlalchemy import select

from dialog.accounts.models import User
from dialog.core.models import AuditEntry
from tests.support import PASSWORD, first_link, post_form


def _reload(app, user_id):
    from dialog.extensions import db

    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def test_changing_email_needs_the_new_address_confirmed(app, client, resident, login, mailbox):
    login(resident)
    response = post_form(
        client, "/profile/email", {"email": "New.Address@example.org", "current_password": PASSWORD}
    )
    assert response.status_code == 302
    pending = _reload(app, resident.id)
    assert pending.email == resident.email and pending.pending_email == "new.address@example.org"
    link = first_link(mailbox.last("new.address@example.org"))
    client.get(link.replace(app.config["PUBLIC_URL"], ""))
    changed = _reload(app, resident.id)
    assert changed.email == "new.address@example.org" and changed.pending_email is None
    assert mailbox.last(resident.email)["Subject"] == "Din e-postadress har ändrats"
    from dialog.extensions import db

    with app.app_context():
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "email_changed"))


def test_a_taken_address_is_not_revealed_and_not_taken(
    app, client, resident, make_user, login, mailbox
):
    other = make_user()
    login(resident)
    response = post_form(
        client, "/profile/email", {"email": other.email, "current_password": PASSWORD}
    )
    assert response.status_code == 302
    assert _reload(app, resident.id).pending_email is None
    assert "/password/forgot" in mailbox.last(other.email).get_body(("plain",)).get_content()


def test_the_current_password_is_required(app, client, resident, login):
    login(resident)
    response = post_form(
        client, "/profile/email", {"email": "x@example.org", "current_password": "wrong password"}
    )
    assert response.status_code == 200
    assert _reload(app, resident.id).pending_email is None
