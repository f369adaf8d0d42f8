"""What withdrawing a proposal leaves possible, and when authors may revise."""

from sqlalchemy import select

from dialog.accounts.models import User
from dialog.dialogues import schedule
from dialog.dialogues import services as dialogue_services
from dialog.dialogues.models import Dialogue, DialogueState
from dialog.proposals import services
from dialog.proposals.models import Comment, Proposal, Stance, Vote, VoteValue
from tests.support import csrf_token, post_form

VOTING = (("proposals", -48, -1), ("voting", -1, 24))
PROPOSING = (("proposals", -1, 24),)
REVISING = (("proposals", -48, -1), ("dialogue", -1, 24))


def test_a_vote_on_a_withdrawn_proposal_can_be_taken_back(
    client, ctx, db, resident, make_user, login, make_dialogue, make_proposal
):
    dialogue = make_dialogue(phases=VOTING, votes_per_participant=1)
    author = make_user()
    withdrawn, other = (
        make_proposal(dialogue, author),
        make_proposal(dialogue, title="Träd"),
    )
    login(resident)
    post_form(client, f"/p/{withdrawn.id}/vote", {"value": "for"}, form_path=f"/p/{withdrawn.id}")
    services.withdraw_proposal(
        db.session.get(Proposal, withdrawn.id), by=db.session.get(User, author.id), reason="Klart"
    )
    db.session.commit()
    page = client.get(f"/p/{withdrawn.id}").get_data(as_text=True)
    assert "Förslaget har dragits tillbaka." in page and "Ta tillbaka min röst" in page
    response = post_form(client, f"/p/{withdrawn.id}/unvote", {}, form_path=f"/p/{withdrawn.id}")
    assert response.status_code == 302
    assert db.session.scalar(select(Vote)) is None
    post_form(client, f"/p/{other.id}/vote", {"value": "for"}, form_path=f"/p/{other.id}")
    assert db.session.scalar(select(Vote.proposal_id)) == other.id


def test_withdrawing_a_vote_after_voting_has_closed_is_refused(
    client, ctx, db, resident, login, make_dialogue, make_proposal
):
    dialogue = make_dialogue(phases=VOTING)
    proposal = make_proposal(dialogue)
    login(resident)
    post_form(client, f"/p/{proposal.id}/vote", {"value": "for"}, form_path=f"/p/{proposal.id}")
    token = csrf_token(client, f"/p/{proposal.id}")
    dialogue = db.session.get(Dialogue, dialogue.id)
    schedule.close_now(dialogue.current_phase, by=None, reason="Slut")
    db.session.commit()
    response = client.post(f"/p/{proposal.id}/unvote", data={"csrf_token": token})
    assert response.status_code == 403
    assert db.session.scalar(select(Vote.value)) is VoteValue.for_


def test_no_replies_on_a_withdrawn_proposal(
    client, ctx, db, resident, make_user, login, make_dialogue, make_proposal
):
    dialogue = make_dialogue(phases=PROPOSING)
    author = make_user()
    proposal = make_proposal(dialogue, author)
    comment = services.add_comment(
        proposal, author=db.session.get(User, resident.id), body="Bra", stance=Stance.for_
    )
    db.session.commit()
    login(resident)
    token = csrf_token(client, f"/c/{comment.id}")
    services.withdraw_proposal(
        db.session.get(Proposal, proposal.id), by=db.session.get(User, author.id), reason="Klart"
    )
    db.session.commit()
    response = client.post(
        f"/c/{comment.id}/reply",
        data={"csrf_token": token, "body": "Svar", "stance": "neutral"},
    )
    assert response.status_code == 403
    assert db.session.scalar(select(Comment).where(Comment.parent_id == comment.id)) is None


def test_in_a_revising_phase_the_author_edits_after_comments_but_not_after_votes(
    client, ctx, db, resident, make_user, login, make_dialogue, make_proposal
):
    dialogue = make_dialogue(phases=REVISING)
    proposal = make_proposal(dialogue, resident)
    services.add_comment(
        proposal, author=db.session.get(User, make_user().id), body="Hm", stance=Stance.neutral
    )
    db.session.commit()
    login(resident)
    response = post_form(
        client,
        f"/p/{proposal.id}/edit",
        {"title": "Bänkar och bord vid kanalen", "body": "Efter dialogen."},
    )
    assert response.status_code == 302
    assert db.session.get(Proposal, proposal.id).title == "Bänkar och bord vid kanalen"
    db.session.execute(
        Proposal.__table__.update().where(Proposal.id == proposal.id).values(votes_for=1)
    )
    db.session.commit()
    assert client.get(f"/p/{proposal.id}/edit").status_code == 403


def test_proposals_of_an_archived_dialogue_cannot_be_edited(
    client, ctx, db, resident, login, make_dialogue, make_proposal
):
    dialogue = make_dialogue(phases=PROPOSING)
    proposal = make_proposal(dialogue, resident)
    login(resident)
    assert client.get(f"/p/{proposal.id}/edit").status_code == 200
    dialogue_services.set_state(
        db.session.get(Dialogue, dialogue.id), DialogueState.archived, by=None
    )
    db.session.commit()
    response = client.get(f"/p/{proposal.id}/edit")
    assert response.status_code == 403
    assert "Dialogen är avslutad" in response.get_data(as_text=True)
