"""Write limits count per account, so people sharing one address (a library, a workshop)
each get their own; one address in all has a looser limit of its own."""

import html
import re

import pytest

from tests.support import csrf_token, log_in

WRITES_EN = "You have sent many changes in a short while. Wait a minute and try again."


@pytest.fixture
def limited(app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_WRITES", "2 per minute")
    monkeypatch.setitem(app.config, "RATELIMIT_WRITES_PER_IP", "5 per minute")


def _client_for(app, user):
    client = app.test_client()
    log_in(client, user.email)
    client.get("/?lang=en")
    return client


def _follow(client, action="follow"):
    token = csrf_token(client, "/d/stadskarna")
    return client.post(f"/d/stadskarna/{action}", data={"csrf_token": token})


def test_each_account_behind_one_address_has_its_own_limit(app, limited, make_user, make_dialogue):
    make_dialogue()
    first, second = (_client_for(app, make_user()) for _ in range(2))
    assert [_follow(first, a).status_code for a in ("follow", "unfollow")] == [302, 302]
    blocked = _follow(first)
    assert blocked.status_code == 429
    assert WRITES_EN in blocked.get_data(as_text=True)
    assert blocked.headers["Cache-Control"] == "no-store"
    # Same address, another account: still free to write.
    assert [_follow(second, a).status_code for a in ("follow", "unfollow")] == [302, 302]


def test_one_address_in_all_has_a_looser_limit(app, limited, make_user, make_dialogue):
    make_dialogue()
    clients = [_client_for(app, make_user()) for _ in range(3)]
    codes = [_follow(c, a).status_code for c in clients for a in ("follow", "unfollow")]
    assert codes == [302, 302, 302, 302, 302, 429]


def test_the_reason_is_in_swedish_by_default(app, limited, make_user, make_dialogue):
    make_dialogue()
    client = app.test_client()
    log_in(client, make_user().email)
    for action in ("follow", "unfollow"):
        _follow(client, action)
    blocked = _follow(client)
    assert blocked.status_code == 429
    assert "Du har skickat många ändringar på kort tid." in blocked.get_data(as_text=True)
    assert blocked.headers.get("Retry-After")


def test_a_limit_without_words_of_its_own_shows_the_general_reason(app, client, monkeypatch):
    from tests.support import post_form

    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN_PER_IP", "1 per minute")
    client.get("/?lang=en")
    # Asking for reset links is limited per address, with no message of its own.
    post_form(client, "/password/forgot", {"email": "a@example.org"})
    blocked = post_form(client, "/password/forgot", {"email": "b@example.org"})
    assert blocked.status_code == 429
    page = blocked.get_data(as_text=True)
    assert "Wait a moment and try again." in page
    assert "1 per 1 minute" not in page


def test_a_throttled_form_keeps_what_was_typed_and_sends_it_again(
    app, limited, make_user, make_dialogue, make_proposal
):
    from dialog.extensions import limiter

    proposal = make_proposal(make_dialogue(phases=(("proposals", -1, 24),)))
    client = _client_for(app, make_user())
    path = f"/p/{proposal.id}/comments"

    def comment(body: str):
        token = csrf_token(client, f"/p/{proposal.id}")
        return client.post(path, data={"csrf_token": token, "body": body, "stance": "for"})

    assert [comment(f"Kommentar {n}").status_code for n in range(2)] == [302, 302]
    long_text = "Ett långt och genomtänkt svar <om> bänkarna vid kanalen. " * 5
    blocked = comment(long_text)
    assert blocked.status_code == 429
    page = blocked.get_data(as_text=True)
    assert WRITES_EN in page and "What you wrote is kept" in page
    assert f'action="{path}"' in page and 'name="csrf_token"' in page
    assert "genomtänkt svar &lt;om&gt; bänkarna" in page  # kept, and escaped
    assert 'name="stance"' in page
    # A minute later (the limit reset here), "Send again" posts the kept form as it is.
    limiter.reset()
    kept = {
        name: html.unescape(value)
        for name, value in re.findall(
            r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', page, re.S
        )
    }
    assert kept == {"body": long_text, "stance": "for"}
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    again = client.post(path, data={"csrf_token": token, **kept})
    assert again.status_code == 302


def test_a_throttled_page_never_shows_a_password_again(app, client, monkeypatch):
    from tests.support import post_form

    monkeypatch.setitem(app.config, "RATELIMIT_WRITES", "1 per minute")
    form = {"email": "ny@example.org", "password": "hemligt lösenord 123", "display_name": "Ny"}
    post_form(client, "/register", form)
    blocked = post_form(client, "/register", {**form, "email": "ny2@example.org"})
    assert blocked.status_code == 429
    page = blocked.get_data(as_text=True)
    assert "ny2@example.org" in page and "hemligt lösenord" not in page
