"""A refusal shows the way forward: "log in" links to the login page, which brings the
person back to where they were (never to another site), and an unconfirmed address gets
the reason and a button that really sends a new link, instead of a bare 403 page."""

from __future__ import annotations

import html
import re

import pytest

from dialog.core.errors import return_target
from tests.support import PASSWORD, csrf_token, first_link, log_in, post_form

PROPOSING = (("proposals", -1, 24), ("review", 24, 48))
RESEND = "/profile/resend-verification"


@pytest.fixture
def proposal(make_dialogue, make_proposal):
    return make_proposal(make_dialogue(phases=PROPOSING), title="Bänkar", body="Fler.")


def _login_links(page: str) -> list[str]:
    return [html.unescape(href) for href in re.findall(r'href="(/login\?next=[^"]*)"', page)]


def _resend_form(page: str) -> str:
    match = re.search(rf'<form method="post" action="{RESEND}".*?</form>', page, re.S)
    assert match, "no button to send the link again"
    return match.group(0)


def test_log_in_from_a_proposal_links_back_to_it(client, ctx, db, resident, proposal):
    page = client.get(f"/p/{proposal.id}?comments_page=1").get_data(as_text=True)
    assert "Du behöver logga in för att göra det här." in page
    links = _login_links(page)
    assert links and set(links) == {f"/login?next=/p/{proposal.id}?comments_page%3D1"}
    assert 'href="/register"' in page
    response = post_form(client, links[0], {"email": resident.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.location == f"/p/{proposal.id}?comments_page=1"


def test_the_list_of_proposals_links_to_the_login_and_back(client, ctx, db, proposal):
    page = client.get("/d/stadskarna/proposals").get_data(as_text=True)
    assert "/login?next=/d/stadskarna/proposals" in _login_links(page)


def test_a_form_sent_without_being_logged_in_leads_back_to_its_page(
    client, ctx, db, resident, proposal, settings
):
    response = client.post(
        f"/p/{proposal.id}/comments",
        data={"csrf_token": csrf_token(client, "/login"), "body": "Bra", "stance": "for"},
        headers={"Referer": f"{settings['PUBLIC_URL']}/p/{proposal.id}"},
    )
    assert response.status_code == 302
    assert response.location == f"/login?next=/p/{proposal.id}"
    # The form's own address answers only POST: it is never where a login returns to.
    log_in(client, resident.email)
    assert client.get(f"/p/{proposal.id}").status_code == 200


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/%2F%2Fevil.example/x", "/evil.example/x"), ("/p/1", "/p/1"), ("/p/1?a=b", "/p/1?a=b")],
)
def test_the_return_target_is_always_a_path_of_this_site(app, path, expected):
    with app.test_request_context(path):
        assert return_target() == expected


def test_a_form_from_another_site_does_not_choose_where_a_login_returns(app, settings):
    # The site is PUBLIC_URL's host: the host a request names (here localhost) is not.
    site = settings["PUBLIC_URL"]
    for referrer in ("https://evil.example/p/1", "http://localhost/p/1", f"{site}\\@evil.example/"):
        with app.test_request_context(
            "/p/1/comments", method="POST", headers={"Referer": referrer}
        ):
            assert return_target() == "/"
    with app.test_request_context(
        "/p/1/comments", method="POST", headers={"Referer": f"{site}/p/1?x=1"}
    ):
        assert return_target() == "/p/1?x=1"


def test_an_unconfirmed_person_opening_the_proposal_form_can_resend_the_link(
    client, ctx, db, make_user, login, mailbox, proposal
):
    person = make_user(verified=False, email="ny@example.org")
    login(person)
    form_path = "/d/stadskarna/proposals/new"
    response = client.get(form_path)
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Bekräfta din e-postadress först" in page and "ny@example.org" in page
    form = _resend_form(page)
    assert 'name="csrf_token"' in form and f'name="next" value="{form_path}"' in form
    assert "Skicka länken igen" in form
    sent = post_form(client, RESEND, {"next": form_path}, form_path=form_path)
    assert sent.status_code == 302 and sent.location == form_path
    assert "/verify/" in first_link(mailbox.last("ny@example.org"))
    again = client.get(form_path).get_data(as_text=True)
    assert "Vi har skickat en ny länk." in again and "Skicka länken igen" in again
    # The accounts' mail throttle: a second link moments later is not sent.
    post_form(client, RESEND, {"next": form_path}, form_path=form_path)
    assert len(mailbox.messages("ny@example.org")) == 1
    assert "Du kan be om en ny länk efter 15 minuter." in client.get(form_path).get_data(
        as_text=True
    )


def test_an_unconfirmed_person_sees_the_resend_button_where_they_would_comment(
    client, ctx, db, make_user, login, proposal
):
    login(make_user(verified=False))
    page = client.get(f"/p/{proposal.id}").get_data(as_text=True)
    form = _resend_form(page)
    assert f'name="next" value="/p/{proposal.id}"' in form


def test_resending_never_leads_to_another_site(client, ctx, db, make_user, login, proposal):
    login(make_user(verified=False))
    sent = post_form(client, RESEND, {"next": "//evil.example/"}, form_path="/profile")
    assert sent.status_code == 302 and sent.location == "/profile"
