"""Replies on the proposal page: the first few under each comment, the rest from the
thread page or the fragment route; replying and deleting come back to the proposal, at
the comment; deleting asks first."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from dialog.accounts.models import User
from dialog.dialogues.models import Dialogue
from dialog.extensions import db
from dialog.moderation import services as moderation
from dialog.proposals import services
from dialog.proposals.models import Comment, Moderation, Proposal, Stance
from tests.factories import LIVE
from tests.support import post_form


@pytest.fixture
def discussed(make_dialogue, make_user, make_proposal, make_comment):
    """A proposal with a comment that has five replies."""
    dialogue = make_dialogue(phases=LIVE)
    writer = make_user()
    proposal = make_proposal(dialogue, title="Bänkar vid kanalen", body="Fler.")
    top = make_comment(proposal, writer, "Överst")
    replies = [
        make_comment(proposal, make_user(), f"Svar nummer {n}", parent=top) for n in range(5)
    ]
    return proposal, writer, top, replies


def test_the_first_three_replies_show_under_their_comment(client, ctx, db, discussed):
    proposal, _, top, _ = discussed
    page = client.get(f"/p/{proposal.id}").text
    shown = [n for n in range(5) if f"Svar nummer {n}" in page]
    assert shown == [0, 1, 2]
    link = re.search(
        r'<p class="more-replies"><a href="([^"]+)" data-more-replies="([^"]+)">([^<]+)', page
    )
    assert link.groups() == (f"/c/{top.id}", f"/c/{top.id}/replies?start=3", "Visa 2 svar till")


def test_the_fragment_brings_the_rest_with_what_the_live_region_says(client, ctx, db, discussed):
    _, _, top, _ = discussed
    response = client.get(f"/c/{top.id}/replies?start=3")
    assert response.status_code == 200
    fragment = response.text
    assert "<html" not in fragment and "Överst" not in fragment
    assert "Svar nummer 3" in fragment and "Svar nummer 4" in fragment
    assert "Svar nummer 2" not in fragment
    assert 'data-replies-loaded="2 svar till visas."' in fragment
    assert "more-replies" not in fragment  # nothing left to load


def test_the_fragment_is_paged_and_ignores_junk(
    client, ctx, db, make_user, make_comment, discussed
):
    proposal, _, top, _ = discussed
    for n in range(5, 20):
        make_comment(proposal, make_user(), f"Svar nummer {n}", parent=top)
    first = client.get(f"/c/{top.id}/replies?start=3").text
    assert "Svar nummer 12" in first and "Svar nummer 13" not in first
    assert f'data-more-replies="/c/{top.id}/replies?start=13"' in first
    assert "Visa 7 svar till" in first
    rest = client.get(f"/c/{top.id}/replies?start=13").text
    assert "Svar nummer 19" in rest and "more-replies" not in rest
    for junk in ("-1", "tre", "9" * 40, "٣"):
        response = client.get(f"/c/{top.id}/replies", query_string={"start": junk})
        assert response.status_code == 200 and "Svar nummer 0" in response.text
    assert client.get(f"/c/{top.id}/replies?start=900").status_code == 200


def test_the_fragment_follows_the_thread_pages_rules(
    client, ctx, db, login, make_user, make_comment, discussed
):
    proposal, writer, top, replies = discussed
    admin = db.session.get(User, make_user(role="admin").id)
    moderation.hide(db.session.get(Comment, replies[3].id), by=admin, reason="Reklam")
    db.session.commit()
    fragment = client.get(f"/c/{top.id}/replies?start=3").text
    assert "Svar nummer 3" not in fragment and "Svar nummer 4" in fragment
    assert "Dolt av" in fragment  # its place stays, without its words
    moderation.hide(db.session.get(Proposal, proposal.id), by=admin, reason="Reklam")
    db.session.commit()
    assert client.get(f"/c/{top.id}/replies").status_code == 404
    assert client.get("/c/999999/replies").status_code == 404


def test_a_pending_reply_is_loaded_only_for_its_author(
    client, ctx, db, login, make_user, make_comment, discussed
):
    proposal, _, top, _ = discussed
    dialogue = db.session.get(Proposal, proposal.id).dialogue
    db.session.get(Dialogue, dialogue.id).premoderate_comments = True
    db.session.commit()
    waiting_author = make_user()
    waiting = make_comment(proposal, waiting_author, "Väntande svar", parent=top)
    assert db.session.get(Comment, waiting.id).moderation is Moderation.pending
    assert "Väntande svar" not in client.get(f"/c/{top.id}/replies?start=3").text
    login(waiting_author)
    assert "Väntande svar" in client.get(f"/c/{top.id}/replies?start=3").text


def _landing(response):
    parts = urlsplit(response.headers["Location"])
    return parts.path, parse_qs(parts.query), parts.fragment


def test_a_reply_lands_on_the_proposal_page_at_the_reply(
    client, ctx, db, login, resident, discussed
):
    proposal, _, top, _ = discussed
    login(resident)
    response = post_form(
        client,
        f"/c/{top.id}/reply",
        {"body": "Mitt svar på plats", "stance": "for"},
        form_path=f"/p/{proposal.id}",
    )
    added = db.session.scalar(select(Comment).where(Comment.body == "Mitt svar på plats"))
    assert _landing(response) == (f"/p/{proposal.id}", {"open": [str(top.id)]}, f"c{added.id}")
    page = client.get(response.headers["Location"]).text
    assert f'id="c{added.id}"' in page  # the sixth reply: its comment is opened
    assert "Ditt svar är publicerat." in page


def test_a_reply_deep_in_a_later_page_opens_the_way_to_it(
    client, ctx, db, login, resident, make_user, make_comment, discussed
):
    proposal, _, top, replies = discussed
    later = [make_comment(proposal, make_user(), f"Senare {n}") for n in range(25)]
    parent = later[22]
    second = make_comment(proposal, make_user(), "Nivå två", parent=parent)
    for n in range(4):
        make_comment(proposal, make_user(), f"Fyllnad {n}", parent=parent)
    for n in range(3):
        make_comment(proposal, make_user(), f"Djup {n}", parent=second)
    login(resident)
    response = post_form(
        client,
        f"/c/{second.id}/reply",
        {"body": "Längst ner", "stance": "neutral"},
        form_path=f"/c/{second.id}",
    )
    added = db.session.scalar(select(Comment).where(Comment.body == "Längst ner"))
    path, query, anchor = _landing(response)
    assert query == {"open": [str(second.id), str(parent.id)], "comments_page": ["2"]}
    page = client.get(response.headers["Location"]).text
    assert f'id="c{added.id}"' in page and "Längst ner" in page
    assert top and replies


def test_a_new_comment_lands_on_the_page_it_is_on(
    client, ctx, db, login, resident, make_user, make_comment, discussed
):
    proposal, _, _, _ = discussed
    for n in range(20):
        make_comment(proposal, make_user(), f"Tidigare {n}")
    login(resident)
    response = post_form(
        client,
        f"/p/{proposal.id}/comments",
        {"body": "Den tjugoandra", "stance": "for"},
        form_path=f"/p/{proposal.id}",
    )
    added = db.session.scalar(select(Comment).where(Comment.body == "Den tjugoandra"))
    assert _landing(response) == (f"/p/{proposal.id}", {"comments_page": ["2"]}, f"c{added.id}")
    assert "Den tjugoandra" in client.get(response.headers["Location"]).text


def test_reply_errors_keep_what_was_typed(client, ctx, db, login, resident, discussed):
    _, _, top, _ = discussed
    login(resident)
    typed = "ö" * 2001
    response = post_form(
        client, f"/c/{top.id}/reply", {"body": typed, "stance": "for"}, form_path=f"/c/{top.id}"
    )
    assert response.status_code == 400
    assert typed in response.text and "högst 2 000 tecken" in response.text
    assert db.session.scalar(select(Comment).where(Comment.body == typed)) is None


def test_the_reply_link_opens_the_form_page_without_javascript(
    client, ctx, db, login, resident, discussed
):
    proposal, _, top, _ = discussed
    login(resident)
    page = client.get(f"/p/{proposal.id}").text
    assert f'<a href="/c/{top.id}#reply-form" data-reply-url="/c/{top.id}/reply">Svara' in page
    assert '<template id="reply-form-template">' in page
    thread = client.get(f"/c/{top.id}").text
    assert 'id="reply-form"' in thread


def test_deleting_asks_first_and_a_bare_post_only_asks(client, ctx, db, login, discussed):
    proposal, writer, top, _ = discussed
    login(writer)
    page = client.get(f"/p/{proposal.id}").text
    assert f'href="/c/{top.id}/delete"' in page
    confirm = client.get(f"/c/{top.id}/delete")
    assert confirm.status_code == 200
    assert "Ta bort din kommentar?" in confirm.text and "Överst" in confirm.text
    assert "5 svar på kommentaren finns kvar." in confirm.text
    assert f'href="/p/{proposal.id}#c{top.id}">Nej, behåll kommentaren' in confirm.text
    unconfirmed = post_form(client, f"/c/{top.id}/delete", {}, form_path=f"/c/{top.id}/delete")
    assert unconfirmed.status_code == 200 and "Ta bort din kommentar?" in unconfirmed.text
    db.session.expire_all()
    assert not db.session.get(Comment, top.id).is_deleted
    done = post_form(
        client, f"/c/{top.id}/delete", {"confirmed": "yes"}, form_path=f"/c/{top.id}/delete"
    )
    assert _landing(done) == (f"/p/{proposal.id}", {}, f"c{top.id}")
    db.session.expire_all()
    assert db.session.get(Comment, top.id).is_deleted
    after = client.get(done.headers["Location"]).text
    assert "Din kommentar är borttagen." in after
    assert "Den här kommentaren har tagits bort." in after and "Svar nummer 0" in after


def test_a_stale_delete_form_is_refused_with_a_message(client, ctx, db, login, discussed):
    _, writer, top, _ = discussed
    login(writer)
    response = client.post(f"/c/{top.id}/delete", data={"confirmed": "yes"})
    assert response.status_code == 400 and "Formuläret hade gått ut" in response.text
    db.session.expire_all()
    assert not db.session.get(Comment, top.id).is_deleted


def _grow(proposal_id: int, people: list[User], rounds: int) -> None:
    """More comments, each with replies and replies to replies."""
    for n in range(rounds):
        proposal = db.session.get(Proposal, proposal_id)
        top = services.add_comment(
            proposal, author=people[n % 5], body=f"Mer {n}", stance=Stance.for_
        )
        for m in range(5):
            reply = services.add_comment(
                proposal, author=people[m], body="S", stance=Stance.neutral, parent=top
            )
            services.add_comment(
                proposal, author=people[(m + 1) % 5], body="D", stance=Stance.against, parent=reply
            )
    db.session.commit()


@pytest.mark.parametrize("where", ["proposal", "opened", "fragment"])
def test_replies_cost_a_fixed_number_of_queries(
    client, ctx, db, login, resident, make_user, count_queries, discussed, where
):
    proposal, _, top, _ = discussed
    login(resident)
    target = {
        "proposal": f"/p/{proposal.id}",
        "opened": f"/p/{proposal.id}?open={top.id}",
        "fragment": f"/c/{top.id}/replies?start=1",
    }[where]
    db.session.expire_all()  # as after the commits below: nothing is read from memory
    with count_queries() as few:
        assert client.get(target).status_code == 200
    people = [db.session.get(User, make_user().id) for _ in range(5)]
    _grow(proposal.id, people, 15)
    parent = db.session.get(Comment, top.id)
    for n in range(12):
        reply = services.add_comment(
            db.session.get(Proposal, proposal.id),
            author=people[n % 5],
            body="Fler svar",
            stance=Stance.for_,
            parent=parent,
        )
        services.add_comment(
            db.session.get(Proposal, proposal.id),
            author=people[(n + 1) % 5],
            body="Djupt",
            stance=Stance.for_,
            parent=reply,
        )
    db.session.commit()
    db.session.expire_all()
    with count_queries() as many:
        assert client.get(target).status_code == 200
    assert many.count == few.count, (few.statements, many.statements)
