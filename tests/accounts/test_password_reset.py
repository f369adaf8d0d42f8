from dialog.accounts.models import User
from tests.support import PASSWORD, first_link, post_form

NEW = "another long passphrase"


def _path(app, link):
    return link.replace(app.config["PUBLIC_URL"], "")


def test_reset_by_emailed_link_works_once_and_ends_sessions(app, client, resident, mailbox):
    other_device = app.test_client()
    post_form(other_device, "/login", {"email": resident.email, "password": PASSWORD})
    response = post_form(client, "/password/forgot", {"email": resident.email})
    assert response.status_code == 200
    link = _path(app, first_link(mailbox.last(resident.email)))
    assert client.get(link).status_code == 200
    done = post_form(client, link, {"password": NEW, "confirm": NEW})
    assert done.status_code == 302
    assert other_device.get("/profile").status_code == 302
    assert (
        post_form(client, "/login", {"email": resident.email, "password": NEW}).status_code == 302
    )
    assert client.get(link).status_code == 400  # single use


def test_an_unknown_address_gets_the_same_answer_and_no_email(client, mailbox):
    response = post_form(client, "/password/forgot", {"email": "nobody@example.org"})
    assert response.status_code == 200
    assert "Om det finns ett konto" in response.get_data(as_text=True)
    assert mailbox.messages("nobody@example.org") == []


def test_an_expired_reset_link_is_refused(app, client, resident, mailbox, monkeypatch):
    post_form(client, "/password/forgot", {"email": resident.email})
    link = _path(app, first_link(mailbox.last(resident.email)))
    monkeypatch.setitem(app.config, "PASSWORD_RESET_HOURS", -1)
    assert client.get(link).status_code == 400


def test_the_new_password_must_be_acceptable(app, client, resident, mailbox):
    post_form(client, "/password/forgot", {"email": resident.email})
    link = _path(app, first_link(mailbox.last(resident.email)))
    response = post_form(client, link, {"password": "short", "confirm": "short"})
    assert response.status_code == 200
    assert "minst 12 tecken" in response.get_data(as_text=True)
    assert (
        post_form(client, "/login", {"email": resident.email, "password": PASSWORD}).status_code
        == 302
    )
    assert User
