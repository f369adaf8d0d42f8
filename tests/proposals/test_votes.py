"""Reference numbers and votes under concurrency, on the real database."""

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from dialog.accounts.models import User
from dialog.core.db import utcnow
from dialog.core.permissions import Refused
from dialog.dialogues import schedule
from dialog.dialogues.models import Dialogue, VoteMode
from dialog.proposals import services
from dialog.proposals.models import Ballot, Proposal, Vote, VoteValue
from tests.support import in_threads


@pytest.fixture
def voting_dialogue(make_dialogue, make_proposal):
    """A dialogue voting from an hour ago until `ends_in` from now, with five proposals."""

    def build(*, limit=None, ends_in=timedelta(hours=2), mode=VoteMode.for_against):
        now = utcnow()
        dialogue = make_dialogue(
            "rostning",
            title="Röstning",
            summary="S",
            votes_per_participant=limit,
            vote_mode=mode,
            phases=[("voting", now - timedelta(hours=1), now + ends_in, {"title": "Rösta"})],
        )
        proposals = [make_proposal(dialogue, title=f"Förslag {n}", body="Text") for n in range(5)]
        return dialogue.id, [p.id for p in proposals]

    return build


def _vote(db, user_id, proposal_id, value=VoteValue.for_):
    user = db.session.get(User, user_id)
    services.cast_vote(user, db.session.get(Proposal, proposal_id), value)
    db.session.commit()
    return "ok"


def _count(app, db, query):
    with app.app_context():
        return db.session.scalar(query)


def test_reference_numbers_are_distinct_under_concurrent_submissions(
    app, committed_db, voting_dialogue
):
    db = committed_db
    dialogue_id, _ = voting_dialogue()

    def submit(index):
        proposal = services.create_proposal(
            db.session.get(Dialogue, dialogue_id),
            author=None,
            title=f"Samtidigt {index}",
            body="Text",
        )
        db.session.commit()
        return proposal.number

    numbers = in_threads(app, 12, submit)
    assert sorted(numbers) == list(range(6, 18))
    with app.app_context():
        proposal = db.session.scalar(select(Proposal).where(Proposal.number == 6))
        assert proposal.reference == "ROS-0006"


def test_twenty_concurrent_votes_by_one_person_make_one_vote(
    app, committed_db, make_user, voting_dialogue
):
    db = committed_db
    _, proposal_ids = voting_dialogue()
    voter = make_user()
    outcomes = in_threads(app, 20, lambda i: _vote(db, voter.id, proposal_ids[0]))
    assert outcomes.count("ok") == 20  # the later ones change nothing
    assert _count(app, db, select(func.count()).select_from(Vote)) == 1
    assert _count(app, db, select(Proposal.votes_for).where(Proposal.id == proposal_ids[0])) == 1
    assert _count(app, db, select(Ballot.votes_used)) == 1


def test_twenty_concurrent_votes_by_different_people_make_twenty(
    app, committed_db, make_user, voting_dialogue
):
    db = committed_db
    _, proposal_ids = voting_dialogue()
    voters = [make_user() for _ in range(20)]
    in_threads(app, 20, lambda i: _vote(db, voters[i].id, proposal_ids[0]))
    assert _count(app, db, select(func.count()).select_from(Vote)) == 20
    assert _count(app, db, select(Proposal.votes_for).where(Proposal.id == proposal_ids[0])) == 20


def test_a_limit_of_three_cannot_be_exceeded_concurrently(
    app, committed_db, make_user, voting_dialogue
):
    db = committed_db
    _, proposal_ids = voting_dialogue(limit=3)
    voter = make_user()
    outcomes = in_threads(app, 5, lambda i: _vote(db, voter.id, proposal_ids[i]))
    assert sorted(outcomes) == ["ok"] * 3 + ["vote_limit_reached"] * 2
    assert _count(app, db, select(func.count()).select_from(Vote)) == 3
    assert _count(app, db, select(func.sum(Proposal.votes_for))) == 3


def test_a_vote_racing_the_end_of_the_phase_is_refused(
    app, committed_db, make_user, voting_dialogue
):
    db = committed_db
    _, proposal_ids = voting_dialogue(ends_in=timedelta(seconds=1))
    voter = make_user()
    with app.app_context():
        user = db.session.get(User, voter.id)
        proposal = db.session.get(Proposal, proposal_ids[0])
        assert proposal.dialogue.current_phase is not None  # the page said "open"
        time.sleep(1.2)
        with pytest.raises(Refused, match="vote_closed"):
            services.cast_vote(user, proposal, VoteValue.for_)
        db.session.rollback()
    assert _count(app, db, select(func.count()).select_from(Vote)) == 0


def test_a_vote_after_an_admin_closed_the_phase_is_refused(
    app, committed_db, make_user, voting_dialogue
):
    db = committed_db
    dialogue_id, proposal_ids = voting_dialogue()
    voter = make_user()
    with app.app_context():
        user = db.session.get(User, voter.id)
        proposal = db.session.get(Proposal, proposal_ids[0])
        assert proposal.dialogue.current_phase is not None
        if db.engine.dialect.name == "sqlite":
            # A SQLite write transaction holds the database lock, so nobody can close the
            # phase in the middle of it; the vote comes in a transaction of its own.
            db.session.commit()
        closed = threading.Thread(target=_close_phase, args=(app, db, dialogue_id))
        closed.start()
        closed.join(30)
        with pytest.raises(Refused, match="vote_closed"):
            services.cast_vote(user, proposal, VoteValue.for_)
        db.session.rollback()


def _close_phase(app, db, dialogue_id):
    with app.app_context():
        dialogue = db.session.get(Dialogue, dialogue_id)
        schedule.close_now(dialogue.current_phase, by=None, reason="Storm")
        db.session.commit()


def test_changing_and_withdrawing_a_vote_keeps_counts_equal_to_the_votes(
    app, committed_db, make_user, voting_dialogue
):
    db = committed_db
    _, proposal_ids = voting_dialogue()
    voter = make_user()
    with app.app_context():
        user = db.session.get(User, voter.id)
        proposal = db.session.get(Proposal, proposal_ids[0])
        services.cast_vote(user, proposal, VoteValue.for_)
        services.cast_vote(user, proposal, VoteValue.against)
        db.session.commit()
        db.session.refresh(proposal)
        assert (proposal.votes_for, proposal.votes_against) == (0, 1)
        with pytest.raises(Refused, match="vote_value_not_allowed"):
            services.cast_vote(user, proposal, VoteValue.support)
        db.session.rollback()
        services.withdraw_vote(user, db.session.get(Proposal, proposal_ids[0]))
        db.session.commit()
        proposal = db.session.get(Proposal, proposal_ids[0])
        db.session.refresh(proposal)
        assert (proposal.votes_for, proposal.votes_against) == (0, 0)
        assert db.session.scalar(select(Ballot.votes_used)) == 0


def test_reconciliation_rebuilds_counters_from_the_votes(
    app, committed_db, make_user, voting_dialogue
):
    db = committed_db
    _, proposal_ids = voting_dialogue()
    voters = [make_user() for _ in range(3)]
    for voter in voters:
        with app.app_context():
            _vote(db, voter.id, proposal_ids[1])
    with app.app_context():
        proposal = db.session.get(Proposal, proposal_ids[1])
        proposal.votes_for = 99
        proposal.votes_against = 7
        db.session.commit()
        assert app.extensions["celery"].tasks["proposals.reconcile_counts"]() == 1
        db.session.expire_all()
        proposal = db.session.get(Proposal, proposal_ids[1])
        assert (proposal.votes_for, proposal.votes_against) == (3, 0)


def test_voting_follows_the_proposal_unless_the_person_opted_out(
    app, committed_db, make_user, voting_dialogue
):
    from dialog.proposals.models import ProposalFollow

    db = committed_db
    _, proposal_ids = voting_dialogue()
    keen, private = make_user(), make_user(follow_what_i_join=False)
    with app.app_context():
        _vote(db, keen.id, proposal_ids[0])
        _vote(db, private.id, proposal_ids[0])
        followers = set(db.session.scalars(select(ProposalFollow.user_id)))
    assert followers == {keen.id}


def test_reconciling_while_a_vote_is_in_flight_keeps_that_vote(
    app, committed_db, make_user, voting_dialogue
):
    # The counter is wrong, so reconciliation rewrites it; a vote still in flight must end
    # up counted, not overwritten by a tally taken before it committed.
    db = committed_db
    _, proposal_ids = voting_dialogue()
    voter = make_user()
    with app.app_context():
        db.session.get(Proposal, proposal_ids[0]).votes_for = 5
        db.session.commit()
    voted, release = threading.Event(), threading.Event()

    def vote_and_wait():
        with app.app_context():
            user = db.session.get(User, voter.id)
            services.cast_vote(user, db.session.get(Proposal, proposal_ids[0]), VoteValue.for_)
            voted.set()
            release.wait(10)
            db.session.commit()

    def reconcile():
        with app.app_context():
            services.reconcile_counts()
            db.session.commit()

    voting = threading.Thread(target=vote_and_wait)
    voting.start()
    assert voted.wait(10)
    reconciling = threading.Thread(target=reconcile)
    reconciling.start()
    time.sleep(0.5)  # reconciliation is now waiting for the vote's locks
    release.set()
    voting.join(30)
    reconciling.join(30)
    with app.app_context():
        proposal = db.session.get(Proposal, proposal_ids[0])
        assert proposal.votes_for == 1
        assert db.session.scalar(select(func.count()).select_from(Vote)) == 1
        assert db.session.scalar(select(Ballot.votes_used)) == 1


def test_votes_straddling_the_end_of_the_phase_are_stored_only_before_it(
    app, committed_db, make_user, voting_dialogue
):
    # Twenty people who all saw voting open vote over the second around its end: every
    # stored vote was cast before the end, every later one is refused.
    db = committed_db
    voters = [make_user() for _ in range(20)]
    # Room for a slow machine to start the threads; the votes are then timed from the end.
    _, proposal_ids = voting_dialogue(ends_in=timedelta(seconds=3))
    with app.app_context():
        ends_at = db.session.get(Proposal, proposal_ids[0]).dialogue.phases[0].ends_at

    def vote_at_own_moment(index):
        # From 1 s before the end to 0.9 s after it, a tenth of a second apart.
        moment = ends_at + timedelta(seconds=index * 0.1 - 1)
        time.sleep(max((moment - utcnow()).total_seconds(), 0))
        return _vote(db, voters[index].id, proposal_ids[0])

    outcomes = in_threads(app, 20, vote_at_own_moment)
    with app.app_context():
        cast = db.session.scalars(select(Vote.cast_at)).all()
        proposal = db.session.get(Proposal, proposal_ids[0])
    assert sorted(outcomes) == sorted(["ok"] * len(cast) + ["vote_closed"] * (20 - len(cast)))
    assert 0 < len(cast) < 20
    assert all(moment < ends_at for moment in cast)
    assert proposal.votes_for == len(cast)
