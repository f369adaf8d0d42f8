"""Flags: any confirmed account but the author reports an item once, with a reason; the
flag from the threshold's account holds it out of sight (lists, counts, search, the API,
the cached list) until a moderator decides."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from dialog.accounts.models import User
from dialog.core.models import AuditEntry
from dialog.core.permissions import Refused
from dialog.dialogues.models import Dialogue
from dialog.moderation import services
from dialog.moderation.models import Flag, FlagReason
from dialog.proposals.models import Moderation, Proposal
from tests.factories import LIVE
from tests.support import in_threads, log_in, post_form


def _flag(db, user, item, reason=FlagReason.spam, text=None):
    services.flag(item, by=db.session.get(User, user.id), reason=reason, text=text)
    db.session.commit()
    return "ok"


@pytest.fixture
def world(ctx, db, make_dialogue, make_user, make_proposal, make_comment):
    dialogue = make_dialogue("flaggor", phases=LIVE)
    author = make_user()
    proposal = make_proposal(dialogue, author=author, title="Reklam för bilhandlare", body="Köp!")
    comment = make_comment(proposal, make_user(), body="Ring mig på 070-1234567")
    return dialogue, author, proposal, comment


def test_flags_from_three_accounts_hold_a_proposal_and_a_fourth_cannot_flag_it(
    db, world, make_user
):
    dialogue, _author, proposal, _ = world
    flaggers = [make_user() for _ in range(4)]
    for flagger in flaggers[:2]:
        _flag(db, flagger, proposal)
    assert (proposal.open_flags, proposal.moderation) == (2, Moderation.shown)
    _flag(db, flaggers[2], proposal, FlagReason.offensive)
    assert (proposal.open_flags, proposal.moderation) == (3, Moderation.held)
    held = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "moderation.held_by_flags")
    )
    assert [entry.object_id for entry in held] == [str(proposal.id)]
    with pytest.raises(Refused) as refused:
        _flag(db, flaggers[3], proposal)
    assert refused.value.decision.reason == "flag_not_shown"


def test_one_account_flags_an_item_once_and_never_its_own(db, world):
    _dialogue, author, proposal, _ = world
    flagger = db.session.get(User, world[3].author_id)
    _flag(db, flagger, proposal)
    for who, reason in ((flagger, "flag_taken"), (author, "flag_own")):
        with pytest.raises(Refused) as refused:
            _flag(db, who, proposal)
        assert refused.value.decision.reason == reason
    assert db.session.scalar(select(func.count()).select_from(Flag)) == 1
    assert proposal.open_flags == 1


def test_an_unconfirmed_account_cannot_flag(db, world, make_user):
    with pytest.raises(Refused) as refused:
        _flag(db, make_user(verified=False), world[2])
    assert refused.value.decision.reason == "email_unverified"


def test_the_dialogues_threshold_counts_and_a_held_comment_leaves_the_counts(db, world, make_user):
    dialogue, _author, proposal, comment = world
    dialogue.flag_threshold = 1
    db.session.commit()
    assert proposal.comment_count == 1
    _flag(db, make_user(), comment, FlagReason.personal_data)
    db.session.refresh(proposal)
    assert comment.moderation is Moderation.held and proposal.comment_count == 0


def test_concurrent_flags_are_counted_once_each_and_hold_the_item_once(
    app, committed_db, make_dialogue, make_user, make_proposal
):
    db = committed_db
    dialogue = make_dialogue("samtidigt", phases=LIVE)
    proposal = make_proposal(dialogue, author=make_user(), title="Dubbelt", body="Text")
    with app.app_context():
        db.session.get(Dialogue, dialogue.id).flag_threshold = 6
        db.session.commit()
    flaggers = [make_user() for _ in range(6)]
    # Three flags from one account and one each from five others, all at once: six
    # counted, the sixth holds the proposal, once.
    work = [flaggers[0]] * 3 + flaggers[1:]

    def flag(index):
        return _flag(db, work[index], db.session.get(Proposal, proposal.id))

    outcomes = in_threads(app, len(work), flag)
    assert outcomes.count("ok") == 6
    # The two repeats are refused: as repeats, or as coming after the hold.
    assert set(outcomes) - {"ok"} <= {"flag_taken", "flag_not_shown"} and len(outcomes) == 8
    with app.app_context():
        stored = db.session.get(Proposal, proposal.id)
        assert (stored.open_flags, stored.moderation) == (6, Moderation.held)
        assert db.session.scalar(select(func.count()).select_from(Flag)) == 6
        holds = select(func.count()).where(AuditEntry.action == "moderation.held_by_flags")
        assert db.session.scalar(holds) == 1


def _hold(db, dialogue, item, make_user):
    dialogue.flag_threshold = 1
    db.session.commit()
    _flag(db, make_user(), item)


def test_a_held_proposal_leaves_the_list_the_cached_list_search_and_the_api(
    client, db, world, make_user
):
    dialogue, author, proposal, _ = world
    listing = "/d/flaggor/proposals"
    assert "Reklam för bilhandlare" in client.get(listing).get_data(as_text=True)  # cached
    _hold(db, dialogue, proposal, make_user)

    for path in (listing, listing + "?q=bilhandlare", "/api/v1/dialogues/flaggor/proposals"):
        assert "Reklam för bilhandlare" not in client.get(path).get_data(as_text=True), path
    page = client.get(f"/p/{proposal.id}").get_data(as_text=True)
    assert "Dolt medan en moderator granskar rapporter om det" in page
    assert "Köp!" not in page and "bilhandlare" not in page
    assert client.get(f"/api/v1/proposals/{proposal.id}").status_code == 404
    # Its author still reads it, told why nobody else does.
    assert log_in(client, author.email).status_code == 302
    own = client.get(f"/p/{proposal.id}").get_data(as_text=True)
    assert "Köp!" in own and "Dolt medan en moderator granskar rapporter om det" in own


def test_a_held_comment_keeps_its_place_in_the_thread_without_its_words(
    client, db, world, make_user
):
    dialogue, _author, proposal, comment = world
    _hold(db, dialogue, comment, make_user)
    page = client.get(f"/p/{proposal.id}?lang=en").get_data(as_text=True)
    assert "070-1234567" not in page and "0 comments" in page
    assert "Hidden while a moderator looks at reports about it" in page
    assert "070-1234567" not in client.get(f"/c/{comment.id}").get_data(as_text=True)
    [listed] = client.get(f"/api/v1/proposals/{proposal.id}").get_json()["comments"]
    assert (listed["id"], listed["body"], listed["author"], listed["hidden"]) == (
        comment.id,
        None,
        None,
        True,
    )


def test_the_report_form_flags_with_a_reason_and_asks_for_words_for_other(
    client, db, world, make_user
):
    _dialogue, _author, proposal, comment = world
    flagger = make_user()
    assert log_in(client, flagger.email).status_code == 302
    page = client.get(f"/p/{proposal.id}").get_data(as_text=True)
    assert f"/p/{proposal.id}/flag" in page and f"/c/{comment.id}/flag" in page

    refused = post_form(client, f"/c/{comment.id}/flag", {"reason": "other", "text": " "})
    assert refused.status_code == 400
    assert "Skriv vad som är fel när du väljer" in refused.get_data(as_text=True)
    kept = post_form(client, f"/c/{comment.id}/flag", {"reason": "other", "text": "Fel"})
    assert kept.status_code == 302
    [stored] = db.session.scalars(select(Flag))
    assert (stored.comment_id, stored.reason, stored.text) == (comment.id, FlagReason.other, "Fel")
    again = client.get(f"/c/{comment.id}/flag")
    assert again.status_code == 403
    assert "Du har redan rapporterat det här" in again.get_data(as_text=True)
