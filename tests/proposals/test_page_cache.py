"""Anonymous visitors get the proposal list from a short cache, never older than the
list's last change; logged-in people never."""

import pytest
from sqlalchemy import select

from dialog.accounts.models import User
from dialog.dialogues.models import Dialogue, DialogueState, Visibility
from dialog.moderation import services as moderation
from dialog.proposals import services
from dialog.proposals.models import Proposal
from tests.support import post_form

PROPOSING = (("proposals", -1, 24),)


def _list(client):
    return client.get("/d/stadskarna/proposals?sort=newest").get_data(as_text=True)


def test_anonymous_pages_are_cached_until_the_list_changes_and_logged_in_pages_never(
    app, client, ctx, db, resident, admin, login, monkeypatch, count_queries, make_dialogue
):
    monkeypatch.setitem(app.config, "ANONYMOUS_PAGE_CACHE_SECONDS", 60)
    from dialog.extensions import cache

    cache.clear()
    dialogue = make_dialogue(phases=PROPOSING)
    services.create_proposal(dialogue, author=None, title="Första", body="B")
    db.session.commit()
    assert "Första" in _list(client)
    with count_queries() as cached:
        page = _list(client)
    # Served from the cache, after the one statement that checks the dialogue may be seen.
    assert "Första" in page and cached.count == 1
    # A change to what the list shows (a new proposal, one a moderator hid) is never
    # served from the page cached before it: the key holds the listing version.
    services.create_proposal(dialogue, author=None, title="Andra", body="B")
    db.session.commit()
    assert "Andra" in _list(client)
    hidden = db.session.scalar(select(Proposal).where(Proposal.title == "Första"))
    moderation.hide(hidden, by=db.session.get(User, admin.id), reason="Reklam")
    db.session.commit()
    assert "Första" not in _list(client)
    english = client.get("/d/stadskarna/proposals?sort=newest&lang=en").get_data(as_text=True)
    assert "Andra" in english  # another language is another page
    login(resident)
    assert "Andra" in _list(client)  # logged in: always fresh
    post_form(client, "/logout", {}, form_path="/profile")
    assert db.session.scalar(select(Proposal).where(Proposal.title == "Andra"))


def test_a_page_with_a_message_is_not_cached(
    app, client, ctx, db, resident, login, monkeypatch, make_dialogue
):
    monkeypatch.setitem(app.config, "ANONYMOUS_PAGE_CACHE_SECONDS", 60)
    from dialog.extensions import cache

    cache.clear()
    make_dialogue(phases=PROPOSING)
    login(resident)
    post_form(client, "/logout", {}, form_path="/profile")  # leaves "Du är utloggad."
    first = client.get("/d/stadskarna/proposals?sort=newest").get_data(as_text=True)
    assert "Du är utloggad." in first
    second = client.get("/d/stadskarna/proposals?sort=newest").get_data(as_text=True)
    assert "Du är utloggad." not in second


def test_a_visitor_keeps_one_random_order(client, ctx, db, make_dialogue):
    dialogue = make_dialogue(phases=(("voting", -1, 24),))
    for n in range(12):
        services.create_proposal(dialogue, author=None, title=f"Förslag {n:02d}", body="B")
    db.session.commit()

    def order(page):
        return [line for line in page.split("\n") if "Förslag " in line and "<a href" in line]

    first = order(client.get("/d/stadskarna/proposals").get_data(as_text=True))
    assert first == order(client.get("/d/stadskarna/proposals").get_data(as_text=True))
    with client.session_transaction() as session:
        session["random_order"] = (session["random_order"] + 8) % 16
    assert order(client.get("/d/stadskarna/proposals").get_data(as_text=True)) != first


@pytest.mark.parametrize(
    "change",
    [{"state": DialogueState.draft}, {"visibility": Visibility.invited}],
    ids=["made-draft", "made-invite-only"],
)
def test_a_dialogue_hidden_after_its_list_was_cached_is_not_served_from_the_cache(
    app, client, ctx, db, monkeypatch, change, make_dialogue
):
    monkeypatch.setitem(app.config, "ANONYMOUS_PAGE_CACHE_SECONDS", 60)
    from dialog.extensions import cache

    cache.clear()
    dialogue = make_dialogue(phases=PROPOSING)
    services.create_proposal(dialogue, author=None, title="Första", body="B")
    db.session.commit()
    assert "Första" in _list(client)
    for name, value in change.items():
        setattr(db.session.get(Dialogue, dialogue.id), name, value)
    db.session.commit()
    response = client.get("/d/stadskarna/proposals?sort=newest")
    assert response.status_code == 404 and "Första" not in response.get_data(as_text=True)
