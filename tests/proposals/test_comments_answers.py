import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from dialog.accounts.models import User
from dialog.core.models import AuditEntry
from dialog.dialogues import services as dialogue_services
from dialog.proposals.models import (
    AnswerStatus,
    Comment,
    OfficialAnswer,
    Proposal,
    ProposalFollow,
    Stance,
)
from tests.support import post_form

PROPOSING = (("proposals", -1, 24), ("review", 24, 48))
REVIEWING = (("proposals", -48, -1), ("review", -1, 24))


@pytest.fixture
def proposal_setup(make_dialogue, make_proposal):
    """A dialogue open for proposals and one proposal in it, entered for nobody."""

    def setup(phases=PROPOSING, **fields):
        dialogue = make_dialogue(phases=phases, **fields)
        return dialogue, make_proposal(dialogue, title="Bänkar", body="Fler.")

    return setup


def test_comment_with_stance_counts_and_follows(client, ctx, db, resident, login, proposal_setup):
    _, proposal = proposal_setup()
    login(resident)
    path = f"/p/{proposal.id}"
    response = post_form(
        client, f"{path}/comments", {"body": "Bra, men var?", "stance": "against"}, form_path=path
    )
    assert response.status_code == 302
    comment = db.session.scalar(select(Comment))
    assert (comment.stance, comment.depth, comment.by_municipality) == (Stance.against, 1, False)
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).comment_count == 1
    assert db.session.scalar(select(ProposalFollow).where(ProposalFollow.user_id == resident.id))
    page = client.get(path).get_data(as_text=True)
    assert "Bra, men var?" in page and "Emot" in page


def test_comment_errors_keep_the_text(client, ctx, db, resident, login, proposal_setup):
    _, proposal = proposal_setup()
    login(resident)
    long = "å" * 2001
    response = post_form(
        client,
        f"/p/{proposal.id}/comments",
        {"body": long, "stance": "for"},
        form_path=f"/p/{proposal.id}",
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "högst 2 000 tecken" in page and long in page
    assert db.session.scalar(select(Comment)) is None


def test_planners_comments_are_marked_as_the_municipalitys(
    client, ctx, db, make_user, login, proposal_setup
):
    dialogue, proposal = proposal_setup()
    planner = make_user(role="planner")
    dialogue_services.assign_planner(dialogue, db.session.get(User, planner.id), by=None)
    db.session.commit()
    login(planner)
    post_form(
        client,
        f"/p/{proposal.id}/comments",
        {"body": "Vi tittar på det.", "stance": "neutral"},
        form_path=f"/p/{proposal.id}",
    )
    assert db.session.scalar(select(Comment)).by_municipality
    assert "Kommunen" in client.get(f"/p/{proposal.id}").get_data(as_text=True)


def test_threads_go_three_levels_deep_and_replies_show_under_their_comment(
    client, ctx, db, resident, login, make_comment, proposal_setup
):
    _, proposal = proposal_setup()
    first = make_comment(proposal, resident, "Nivå 1")
    second = make_comment(proposal, resident, "Nivå 2", parent=first)
    third = make_comment(proposal, resident, "Nivå 3", parent=second)
    assert third.depth == 3
    login(resident)
    page = client.get(f"/p/{proposal.id}").get_data(as_text=True)
    assert page.index("Nivå 1") < page.index("Nivå 2") < page.index("Nivå 3")
    thread = client.get(f"/c/{first.id}").get_data(as_text=True)
    assert "Nivå 2" in thread and "Nivå 3" in thread
    refused = post_form(
        client,
        f"/c/{third.id}/reply",
        {"body": "Nivå 4", "stance": "for"},
        form_path=f"/c/{first.id}",
    )
    assert refused.status_code == 403
    assert "tre nivåer" in refused.get_data(as_text=True)
    ok = post_form(
        client,
        f"/c/{second.id}/reply",
        {"body": "Också nivå 3", "stance": "for"},
        form_path=f"/c/{second.id}",
    )
    assert ok.status_code == 302


def test_comments_are_shown_twenty_at_a_time(
    client, ctx, db, resident, make_comment, proposal_setup
):
    _, proposal = proposal_setup()
    for n in range(25):
        make_comment(proposal, resident, f"Kommentar nummer {n:02d}")
    first_page = client.get(f"/p/{proposal.id}").get_data(as_text=True)
    assert "Kommentar nummer 19" in first_page and "Kommentar nummer 20" not in first_page
    second = client.get(f"/p/{proposal.id}?comments_page=2").get_data(as_text=True)
    assert "Kommentar nummer 24" in second


def test_editing_for_fifteen_minutes_and_deleting_leaves_a_placeholder(
    client, ctx, db, resident, make_user, login, make_comment, proposal_setup
):
    _, proposal = proposal_setup()
    comment = make_comment(proposal, resident, "Först")
    reply = make_comment(proposal, make_user(), "Ett svar", parent=comment)
    login(resident)
    edited = post_form(client, f"/c/{comment.id}/edit", {"body": "Ändrat", "stance": "neutral"})
    assert edited.status_code == 302
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).body == "Ändrat"
    db.session.get(Comment, comment.id).created_at -= timedelta(minutes=16)
    db.session.commit()
    assert client.get(f"/c/{comment.id}/edit").status_code == 403
    assert (
        post_form(client, f"/c/{reply.id}/delete", {}, form_path=f"/c/{comment.id}").status_code
        == 403
    )
    post_form(client, f"/c/{comment.id}/delete", {"confirmed": "yes"}, form_path=f"/c/{comment.id}")
    thread = client.get(f"/c/{comment.id}").get_data(as_text=True)
    assert "Den här kommentaren har tagits bort." in thread and "Ett svar" in thread
    assert "Ändrat" not in thread


def test_official_answer_draft_then_published_with_audit(
    client, ctx, db, make_user, login, resident, proposal_setup
):
    dialogue, proposal = proposal_setup(phases=REVIEWING)
    planner = make_user(role="planner")
    dialogue_services.assign_planner(dialogue, db.session.get(User, planner.id), by=None)
    db.session.commit()
    login(planner)
    path = f"/p/{proposal.id}/answer"
    post_form(client, path, {"status": "under_review", "body": "Vi utreder.", "save_draft": "1"})
    answer = db.session.scalar(select(OfficialAnswer))
    assert answer.status is AnswerStatus.under_review and not answer.is_published
    post_form(client, "/logout", {}, form_path="/profile")
    login(resident)
    assert "Vi utreder." not in client.get(f"/p/{proposal.id}").get_data(as_text=True)
    post_form(client, "/logout", {}, form_path="/profile")
    login(planner)
    post_form(
        client, path, {"status": "accepted", "body": "Bänkarna kommer i maj.", "publish": "1"}
    )
    post_form(client, "/logout", {}, form_path="/profile")
    page = client.get(f"/p/{proposal.id}").get_data(as_text=True)
    assert "Kommunens svar: Genomförs" in page and "Bänkarna kommer i maj." in page
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.action.like("answer_%")).order_by(AuditEntry.id)
    ).all()
    assert actions == ["answer_saved", "answer_published"]


def test_only_the_dialogues_planners_answer(
    client, ctx, db, make_user, login, make_dialogue, proposal_setup
):
    _, proposal = proposal_setup()
    other_planner = make_user(role="planner")
    make_dialogue("annan")
    for person in (make_user(), other_planner):
        login(person)
        assert client.get(f"/p/{proposal.id}/answer").status_code == 403
        post_form(client, "/logout", {}, form_path="/profile")
    assert client.get(f"/p/{proposal.id}/answer").status_code == 302


def test_follow_and_unfollow_a_proposal(client, ctx, db, make_user, login, proposal_setup):
    _, proposal = proposal_setup()
    user = make_user(verified=False)
    login(user)
    post_form(client, f"/p/{proposal.id}/follow", {}, form_path=f"/p/{proposal.id}")
    assert db.session.scalar(select(ProposalFollow).where(ProposalFollow.user_id == user.id))
    post_form(client, f"/p/{proposal.id}/unfollow", {}, form_path=f"/p/{proposal.id}")
    assert (
        db.session.scalar(select(ProposalFollow).where(ProposalFollow.user_id == user.id)) is None
    )


def test_people_who_opt_out_do_not_follow_what_they_join(
    ctx, db, make_user, make_comment, proposal_setup
):
    _, proposal = proposal_setup()
    user = make_user(follow_what_i_join=False)
    make_comment(proposal, user)
    assert (
        db.session.scalar(select(ProposalFollow).where(ProposalFollow.user_id == user.id)) is None
    )


def test_xss_in_comments_and_answers_is_shown_as_text(
    client, ctx, db, resident, make_user, make_answer, make_comment, proposal_setup
):
    dialogue, proposal = proposal_setup()
    payload = '<img src=x onerror="alert(1)">'
    comment = make_comment(proposal, resident, payload)
    make_answer(proposal, make_user(role="planner"), status=AnswerStatus.accepted, body=payload)
    for path in (f"/p/{proposal.id}", f"/c/{comment.id}"):
        page = client.get(path).get_data(as_text=True)
        assert payload not in page and "&lt;img src=x" in page
    assert dialogue


def test_changes_to_a_published_answer_wait_as_a_draft_until_published(
    client, ctx, db, make_user, login, proposal_setup
):
    dialogue, proposal = proposal_setup(phases=REVIEWING)
    planner = make_user(role="planner")
    dialogue_services.assign_planner(dialogue, db.session.get(User, planner.id), by=None)
    db.session.commit()
    login(planner)
    path, page = f"/p/{proposal.id}/answer", f"/p/{proposal.id}"
    post_form(client, path, {"status": "under_review", "body": "Vi utreder.", "publish": "1"})
    post_form(client, path, {"status": "accepted", "body": "Bänkarna kommer.", "save_draft": "1"})
    form = client.get(path).get_data(as_text=True)
    assert "Bänkarna kommer." in form
    assert re.search(r'<option(?=[^>]*value="accepted")(?=[^>]*selected)', form)
    assert "Ändringar som inte är publicerade än: Genomförs" in client.get(page).get_data(
        as_text=True
    )
    post_form(client, "/logout", {}, form_path="/profile")
    public = client.get(page).get_data(as_text=True)
    assert "Kommunens svar: Utreds" in public and "Vi utreder." in public
    assert "Bänkarna kommer." not in public
    assert client.get(f"/api/v1/proposals/{proposal.id}").json["answer"]["body"] == "Vi utreder."
    login(planner)
    post_form(client, path, {"status": "accepted", "body": "Bänkarna kommer.", "publish": "1"})
    post_form(client, "/logout", {}, form_path="/profile")
    public = client.get(page).get_data(as_text=True)
    assert "Kommunens svar: Genomförs" in public and "Bänkarna kommer." in public
    assert db.session.scalar(select(OfficialAnswer.draft_body)) is None
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.action.like("answer_%")).order_by(AuditEntry.id)
    ).all()
    assert actions == ["answer_published", "answer_saved", "answer_published"]


def test_official_answers_wait_for_a_phase_that_gives_them(
    client, ctx, db, make_user, login, proposal_setup
):
    dialogue, proposal = proposal_setup()
    planner = make_user(role="planner")
    dialogue_services.assign_planner(dialogue, db.session.get(User, planner.id), by=None)
    db.session.commit()
    login(planner)
    page = client.get(f"/p/{proposal.id}").get_data(as_text=True)
    assert "Svara officiellt" not in page and "Officiella svar ges från" in page
    response = client.get(f"/p/{proposal.id}/answer")
    assert response.status_code == 403
    assert "Officiella svar ges från" in response.get_data(as_text=True)
    assert db.session.scalar(select(OfficialAnswer)) is None
