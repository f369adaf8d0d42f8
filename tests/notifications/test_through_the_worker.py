"""Ordinary events told through a real prefork worker to a real SMTP server: each person
hears of what concerns them, in their language, and nobody else hears anything. The
events come from the real services (a comment, a reply, an answer) and from the phase
scheduler's own code; the worker's outbox subscribers, fan-out and mail task do the rest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from dialog.accounts.models import User
from dialog.core.db import utcnow
from dialog.dialogues import scheduler
from dialog.dialogues import services as dialogue_services
from dialog.dialogues.models import Dialogue, Phase, PhaseKind
from dialog.extensions import db
from dialog.notifications import services
from dialog.notifications.models import Category, Frequency
from dialog.proposals import services as proposal_services
from dialog.proposals.models import AnswerStatus, Comment, Proposal, Stance, VoteValue
from tests.support import wait_for

pytestmark = pytest.mark.worker

# Voting now, comments allowed; the result phase starts when the test moves it to now.
PHASES = (
    ("proposals", -72, -1),
    ("voting", -1, 24, {"capability_overrides": {"comment": True}}),
    ("result", 24, None),
)


def test_each_event_reaches_the_people_it_concerns_in_their_language_and_nobody_else(
    app, committed_db, make_dialogue, make_user, make_proposal, sink, workers
):
    dialogue = make_dialogue("arbetaren", phases=PHASES, title="Kajen")
    author = make_user(email="ada@example.org", locale="sv")
    commenter = make_user(email="bo@example.org", locale="en")
    voter = make_user(email="cy@example.org", locale="sv")
    follower = make_user(email="di@example.org", locale="en")
    bystander = make_user(email="ek@example.org", locale="sv")
    planner = make_user(role="planner", email="pia@example.org")
    proposal = make_proposal(dialogue, author, title="Bänkar vid kajen")
    with app.app_context():
        for person in (author, commenter, voter, follower, bystander, planner):
            services.set_frequencies(
                db.session.get(User, person.id),
                {category: Frequency.immediately for category in Category},
            )
        dialogue_services.assign_planner(
            db.session.get(Dialogue, dialogue.id), db.session.get(User, planner.id), by=None
        )
        dialogue_services.follow(
            db.session.get(Dialogue, dialogue.id), db.session.get(User, follower.id)
        )
        proposal_services.cast_vote(
            db.session.get(User, voter.id), db.session.get(Proposal, proposal.id), VoteValue.for_
        )
        db.session.commit()
    workers()

    with app.app_context():
        on_it = proposal_services.add_comment(
            db.session.get(Proposal, proposal.id),
            author=db.session.get(User, commenter.id),
            body="Gärna med ryggstöd",
            stance=Stance.for_,
        )
        db.session.commit()
        proposal_services.add_comment(
            db.session.get(Proposal, proposal.id),
            author=db.session.get(User, author.id),
            body="Tack, det tar jag med",
            stance=Stance.neutral,
            parent=db.session.get(Comment, on_it.id),
        )
        db.session.commit()
        proposal_services.save_answer(
            db.session.get(Proposal, proposal.id),
            status=AnswerStatus.accepted,
            body="Vi ställer ut tio bänkar.",
            publish=True,
            by=db.session.get(User, planner.id),
        )
        db.session.commit()
        result = db.session.scalar(
            select(Phase.id).where(Phase.dialogue_id == dialogue.id, Phase.kind == PhaseKind.result)
        )
        now = utcnow()
        db.session.execute(
            update(Phase)
            .where(Phase.dialogue_id == dialogue.id, Phase.kind == PhaseKind.voting)
            .values(ends_at=now - timedelta(seconds=1))
        )
        db.session.execute(
            update(Phase).where(Phase.id == result).values(starts_at=now - timedelta(seconds=1))
        )
        db.session.commit()
        assert scheduler.record_due_transitions(now) >= 1
        db.session.commit()

    expected = {
        ("ada@example.org", "En ny kommentar på ditt förslag ”Bänkar vid kajen”"),
        ("bo@example.org", "A reply to your comment on “Bänkar vid kajen”"),
        ("ada@example.org", "Kommunen har svarat på ditt förslag ”Bänkar vid kajen”: genomförs"),
        ("cy@example.org", "Kommunen har svarat på förslaget ”Bänkar vid kajen”: genomförs"),
        # Commenting followed the proposal.
        (
            "bo@example.org",
            "The municipality has answered the proposal “Bänkar vid kajen”: accepted",
        ),
        ("di@example.org", "“proposals -72” in “Kajen” has ended"),
        ("di@example.org", "“voting -1” in “Kajen” has ended"),
        ("di@example.org", "“result 24” has started in “Kajen”"),
    }
    wait_for(lambda: len(sink.messages) >= len(expected) and _all_settled(app), timeout=90)
    assert {(m["To"], m["Subject"]) for m in sink.messages} == expected
    assert len(sink.messages) == len(expected)  # nobody twice, nobody else
    assert {m["Content-Language"] for m in sink.messages if m["To"] == "bo@example.org"} == {"en"}
    assert {m["Content-Language"] for m in sink.messages if m["To"] == "ada@example.org"} == {"sv"}


def _all_settled(app) -> bool:
    """Nothing left for the worker: every outbox delivery and email done with."""
    from dialog.core.models import OutboxDelivery, OutboxStatus
    from dialog.notifications.models import Delivery, DeliveryStatus

    with app.app_context():
        waiting = db.session.scalar(
            select(func.count())
            .select_from(OutboxDelivery)
            .where(OutboxDelivery.status == OutboxStatus.pending)
        ) + db.session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.status == DeliveryStatus.pending)
        )
        db.session.rollback()
        return waiting == 0
