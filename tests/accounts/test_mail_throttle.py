"""At most one mail of each kind to one address per 15 minutes, whoever fills in the
forms: the note that an account exists, confirmation links and their re-sends, and reset
links. The person sending the form sees the same neutral page either way."""

import time

from tests.support import PASSWORD, post_form

FORM = {"display_name": "Sanna Ek", "password": PASSWORD, "confirm": PASSWORD, "accept_terms": "y"}


def test_registering_a_taken_address_five_times_sends_one_note(app, client, resident, mailbox):
    answers = [post_form(client, "/register", {"email": resident.email, **FORM}) for _ in range(5)]
    assert {a.status_code for a in answers} == {302}
    assert {a.location for a in answers} == {"/register/check-email"}
    assert len(mailbox.messages(resident.email)) == 1


def test_reset_links_go_out_once_per_quarter_hour(app, client, resident, mailbox):
    pages = []
    for _ in range(2):
        pages.append(post_form(client, "/password/forgot", {"email": resident.email}))
        time.sleep(1.1)  # links made in another second differ: no deduplication by key
    assert len({p.get_data() for p in pages}) == 1
    assert len(mailbox.messages(resident.email)) == 1


def test_a_reset_after_the_account_note_still_arrives(app, client, resident, mailbox):
    post_form(client, "/register", {"email": resident.email, **FORM})
    post_form(client, "/password/forgot", {"email": resident.email})
    subjects = [m["Subject"] for m in mailbox.messages(resident.email)]
    assert len(subjects) == 2 and "Välj ett nytt lösenord" in subjects


def test_verification_resends_are_limited(app, client, make_user, login, mailbox):
    person = make_user(verified=False)
    login(person)
    first = post_form(client, "/profile/resend-verification", {}, form_path="/profile")
    again = post_form(client, "/profile/resend-verification", {}, form_path="/profile")
    assert first.status_code == again.status_code == 302
    assert len(mailbox.messages(person.email)) == 1
    assert "15 minuter" in client.get("/profile").get_data(as_text=True)


def test_the_window_passes(app, client, resident, mailbox, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_MAIL_PER_ADDRESS", "1 per 2 seconds")
    post_form(client, "/password/forgot", {"email": resident.email})
    assert len(mailbox.messages(resident.email)) == 1
    time.sleep(2.2)
    post_form(client, "/password/forgot", {"email": resident.email})
    assert len(mailbox.messages(resident.email)) == 2
