"""What a hidden proposal takes out of sight with it (its threads, its image, its title
where others commented), what an author is told when their item waits, and the code of
conduct beside every form that posts content."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from dialog.accounts.models import User
from dialog.core import images
from dialog.dialogues import services as dialogue_services
from dialog.dialogues.models import Dialogue
from dialog.moderation import services
from dialog.moderation.models import Action
from dialog.proposals import permissions as proposal_permissions
from dialog.proposals.models import Comment, Moderation, Proposal
from tests.factories import LIVE
from tests.support import log_in, post_form

CONDUCT = 'href="/code-of-conduct"'


@pytest.fixture
def world(ctx, db, make_dialogue, make_user):
    dialogue = make_dialogue("dolda", phases=LIVE)
    planner = db.session.get(User, make_user(role="planner").id)
    dialogue_services.assign_planner(db.session.get(Dialogue, dialogue.id), planner, by=planner)
    db.session.commit()
    return db.session.get(Dialogue, dialogue.id), planner


def _get(db, model, item_id):
    db.session.expire_all()
    return db.session.get(model, item_id)


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, "PNG")
    return out.getvalue()


def test_a_hidden_proposal_takes_its_threads_image_and_title_out_of_sight(
    client, db, world, make_user, make_proposal, make_comment
):
    dialogue, planner = world
    author, commenter = make_user(), make_user()
    stored = images.store(_png(), "bild.png")
    db.session.commit()
    proposal = make_proposal(
        dialogue, author=author, title="Kränkande rubrik", body="Text", image_id=stored.id
    )
    comment = make_comment(proposal, commenter, body="Mitt svar i tråden")
    assert client.get(f"/p/{proposal.id}/image").status_code == 200
    assert "Kränkande rubrik" in client.get(f"/c/{comment.id}").get_data(as_text=True)

    services.hide(_get(db, Proposal, proposal.id), by=planner, reason="Kränkande")
    db.session.commit()
    thread = client.get(f"/c/{comment.id}")
    page = thread.get_data(as_text=True)
    assert thread.status_code == 200 and "Dolt av moderator: Kränkande" in page
    assert "Kränkande rubrik" not in page and "Mitt svar i tråden" not in page
    assert client.get(f"/p/{proposal.id}/image").status_code == 404

    assert log_in(client, commenter.email).status_code == 302
    own = client.get("/me").get_data(as_text=True)
    assert "Mitt svar i tråden" in own  # the commenter's own words
    assert "Kränkande rubrik" not in own and proposal.reference in own
    assert "Kränkande rubrik" not in client.get(f"/c/{comment.id}").get_data(as_text=True)

    # Its author and the dialogue's moderators still see it all.
    for person in (author, planner):
        assert log_in(client, person.email).status_code == 302
        assert client.get(f"/p/{proposal.id}/image").status_code == 200
        assert "Mitt svar i tråden" in client.get(f"/c/{comment.id}").get_data(as_text=True)


def test_an_author_is_told_their_proposal_comment_and_reply_wait_for_review(
    client, db, world, make_user, make_proposal, make_comment
):
    dialogue, _planner = world
    author = make_user()
    shown = make_proposal(dialogue, title="Redan publicerat", body="Text")
    parent = make_comment(shown, make_user(), body="Första kommentaren")
    dialogue = _get(db, Dialogue, dialogue.id)
    dialogue.premoderate_proposals = dialogue.premoderate_comments = True
    db.session.commit()
    assert log_in(client, author.email).status_code == 302

    created = post_form(
        client,
        "/d/dolda/proposals/new",
        {"title": "Ett väntande förslag", "body": "Om bänkar", "confirmed": "1"},
    )
    assert created.status_code == 302
    page = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "väntar på granskning: en moderator läser det innan andra kan se det" in page
    assert "är publicerat" not in page

    commented = post_form(
        client,
        f"/p/{shown.id}/comments",
        {"body": "Min kommentar", "stance": "for"},
        form_path=f"/p/{shown.id}",
    )
    assert commented.status_code == 302
    page = client.get(commented.headers["Location"]).get_data(as_text=True)
    assert "Din kommentar väntar på granskning" in page and "är publicerad" not in page

    replied = post_form(
        client,
        f"/c/{parent.id}/reply",
        {"body": "Mitt svar", "stance": "neutral"},
        form_path=f"/c/{parent.id}",
    )
    page = client.get(replied.headers["Location"]).get_data(as_text=True)
    assert "Din kommentar väntar på granskning" in page and "är publicerat" not in page


def test_an_edit_sent_back_to_review_says_so(
    client, db, world, make_user, make_proposal, make_comment
):
    dialogue, _planner = world
    author = make_user()
    proposal = make_proposal(dialogue, author=author, title="Bänkar", body="Text")
    comment = make_comment(proposal, author, body="Först var det lugnt")
    dialogue = _get(db, Dialogue, dialogue.id)
    dialogue.premoderate_comments = True
    db.session.commit()
    assert log_in(client, author.email).status_code == 302
    edited = post_form(
        client,
        f"/c/{comment.id}/edit",
        {"body": "Nu med nya ord", "stance": "for"},
    )
    assert edited.status_code == 302
    assert _get(db, Comment, comment.id).moderation is Moderation.pending
    page = client.get(edited.headers["Location"]).get_data(as_text=True)
    assert "sparad och väntar på granskning" in page


def test_redacting_a_hidden_item_keeps_it_hidden_with_its_reason(
    db, world, make_user, make_proposal
):
    dialogue, planner = world
    proposal = make_proposal(dialogue, author=make_user(), title="Hat", body="Ring 070-1")
    services.hide(_get(db, Proposal, proposal.id), by=planner, reason="Hat mot grupp")
    services.redact(
        _get(db, Proposal, proposal.id), by=planner, reason="Telefonnummer", body="Ring [bort]"
    )
    db.session.commit()
    found = _get(db, Proposal, proposal.id)
    assert (found.moderation, found.moderation_reason, found.body) == (
        Moderation.hidden,
        "Hat mot grupp",
        "Ring [bort]",
    )


def test_a_reviewer_reads_what_a_redaction_took_out_and_a_reversal_frees_the_text(
    client, db, world, make_user, make_comment, make_proposal, admin
):
    dialogue, planner = world
    author = make_user()
    proposal = make_proposal(dialogue, author=make_user(), title="Bänkar", body="Text")
    comment = make_comment(proposal, author, body="Ring Eva på 070-123")
    decision = services.redact(
        _get(db, Comment, comment.id), by=planner, reason="Nummer", body="Ring [borttaget]"
    )
    services.request_review(decision, by=_get(db, User, author.id), reason="Mitt eget nummer")
    db.session.commit()
    assert proposal_permissions.can_edit_comment(
        _get(db, User, author.id), _get(db, Comment, comment.id)
    ).reason == ("moderated")

    path = f"/moderation/items/c{comment.id}"
    assert log_in(client, admin.email).status_code == 302
    page = client.get(path).get_data(as_text=True)
    assert "Det som maskeringen tog bort" in page and "Ring Eva på 070-123" in page
    reviewed = post_form(
        client,
        path + "/review",
        {"review-outcome": "reverse", "review-reason": "Hans eget"},
        form_path=path,
    )
    assert reviewed.status_code == 302
    # The redaction no longer stands, so it no longer stops its author's edits.
    assert proposal_permissions.can_edit_comment(
        _get(db, User, author.id), _get(db, Comment, comment.id)
    )
    assert decision.action is Action.redact


def test_every_form_that_posts_content_links_to_the_code_of_conduct(
    client, db, world, make_user, make_proposal, make_comment
):
    dialogue, _planner = world
    author = make_user()
    proposal = make_proposal(dialogue, title="Fler träd i parken", body="Ekar")
    comment = make_comment(proposal, author, body="Gärna")
    assert log_in(client, author.email).status_code == 302
    pages = {
        "new proposal": client.get("/d/dolda/proposals/new"),
        "similar step": post_form(
            client, "/d/dolda/proposals/new", {"title": "Fler träd i parkerna", "body": "Lind"}
        ),
        "proposal page": client.get(f"/p/{proposal.id}"),
        "thread": client.get(f"/c/{comment.id}"),
        "comment edit": client.get(f"/c/{comment.id}/edit"),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        assert CONDUCT in response.get_data(as_text=True), name
    assert "Publicera mitt förslag ändå" in pages["similar step"].get_data(as_text=True)
    # Where a moderator reads comments first, the edit page says so too.
    dialogue = _get(db, Dialogue, dialogue.id)
    dialogue.premoderate_comments = True
    db.session.commit()
    edit = client.get(f"/c/{comment.id}/edit").get_data(as_text=True)
    assert "En moderator läser det innan det visas för andra" in edit
