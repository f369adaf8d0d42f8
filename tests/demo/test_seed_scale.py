"""`seed-scale` at a small size: exactly the counts asked for, skewed as a real dialogue
is, and every stored counter equal to the rows it counts. Run on SQLite (executemany) and
on PostgreSQL (COPY) alike."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from sqlalchemy import func, select, text

from dialog.accounts.models import AGE_BANDS, Role, User
from dialog.demo import scale
from dialog.dialogues import services as dialogue_services
from dialog.dialogues.models import Dialogue, DialogueFollow, DialogueState, PhaseKind
from dialog.districts.queries import choices as district_choices
from dialog.extensions import db as database
from dialog.moderation.models import ModerationDecision
from dialog.proposals import services as proposal_services
from dialog.proposals.models import (
    Ballot,
    Comment,
    Moderation,
    OfficialAnswer,
    Proposal,
    ProposalSequence,
    Source,
    Stance,
    Vote,
    VoteValue,
)
from dialog.reports import queries as report_queries

SIZE = {"proposals": 400, "participants": 300, "votes": 6000, "comments": 1500, "followers": 50}


def _seed(app, slug: str = "skala", **options) -> Dialogue:
    asked = {**SIZE, **options}
    arguments = ["seed-scale", "--slug", slug]
    for name, value in asked.items():
        arguments += [f"--{name.replace('_', '-')}", str(value)]
    result = app.test_cli_runner().invoke(args=arguments)
    assert result.exit_code == 0, result.output
    return database.session.scalar(select(Dialogue).where(Dialogue.slug == slug))


@pytest.fixture
def seeded(app, ctx):
    return _seed(app)


def _count(statement) -> int:
    return database.session.scalar(select(func.count()).select_from(statement.subquery()))


def _participants(dialogue) -> list[User]:
    return list(
        database.session.scalars(
            select(User).where(User.email.like(f"deltagare%.{dialogue.slug}@example.org"))
        )
    )


def test_the_counts_are_exactly_those_asked_for(seeded):
    dialogue = seeded
    assert dialogue.state is DialogueState.published
    assert dialogue.current_phase.kind is PhaseKind.voting
    assert _count(select(Proposal.id).where(Proposal.dialogue_id == dialogue.id)) == 400
    assert len(_participants(dialogue)) == 300
    assert _count(select(Vote.id).where(Vote.dialogue_id == dialogue.id)) == 6000
    comments = select(Comment.id).join(Proposal).where(Proposal.dialogue_id == dialogue.id)
    assert _count(comments) == 1500
    follows = select(DialogueFollow.id).where(DialogueFollow.dialogue_id == dialogue.id)
    assert _count(follows) == 50
    sequence = database.session.get(ProposalSequence, dialogue.id)
    assert sequence.last_number == 400
    # Every participant took part (each voted), so the report counts them all.
    assert report_queries.totals(dialogue.id).participants == 300


def test_every_stored_counter_equals_the_rows_it_counts(seeded):
    dialogue, session = seeded, database.session
    tallies = Counter(
        {
            (proposal, value): n
            for proposal, value, n in session.execute(
                select(Vote.proposal_id, Vote.value, func.count())
                .where(Vote.dialogue_id == dialogue.id)
                .group_by(Vote.proposal_id, Vote.value)
            )
        }
    )
    shown = Counter(
        session.scalars(
            select(Comment.proposal_id)
            .join(Proposal)
            .where(Proposal.dialogue_id == dialogue.id, Comment.moderation == Moderation.shown)
        )
    )
    for proposal in session.scalars(select(Proposal).where(Proposal.dialogue_id == dialogue.id)):
        assert proposal.votes_for == tallies[(proposal.id, VoteValue.for_)]
        assert proposal.votes_against == tallies[(proposal.id, VoteValue.against)]
        assert proposal.votes_abstain == tallies[(proposal.id, VoteValue.abstain)]
        assert proposal.votes_support == tallies[(proposal.id, VoteValue.support)]
        assert proposal.comment_count == shown[proposal.id]
    replies = Counter(
        session.scalars(
            select(Comment.parent_id).where(
                Comment.parent_id.is_not(None), Comment.moderation == Moderation.shown
            )
        )
    )
    for comment in session.scalars(select(Comment).where(Comment.reply_count > 0)):
        assert comment.reply_count == replies[comment.id]
    assert sum(replies.values()) == session.scalar(select(func.sum(Comment.reply_count)))
    used = Counter(session.scalars(select(Vote.user_id).where(Vote.dialogue_id == dialogue.id)))
    ballots = {
        b.user_id: b.votes_used
        for b in session.scalars(select(Ballot).where(Ballot.dialogue_id == dialogue.id))
    }
    assert ballots == dict(used)
    # The platform's own reconciliation, run over the vote rows, finds nothing to mend.
    assert proposal_services.reconcile_counts(dialogue.id) == 0


def test_a_few_proposals_draw_most_votes_and_comments(seeded):
    dialogue, session = seeded, database.session
    votes = sorted(
        session.scalars(
            select(
                Proposal.votes_for
                + Proposal.votes_against
                + Proposal.votes_abstain
                + Proposal.votes_support
            ).where(Proposal.dialogue_id == dialogue.id)
        ),
        reverse=True,
    )
    top = len(votes) // 100  # the top 1 %
    # Spread evenly they would hold 1 % and 10 %; a Zipf law gives them many times more
    # (at this size the favourites run out of people to vote for them; at full size the
    # top 1 % hold about half).
    assert sum(votes[:top]) / sum(votes) > 0.05
    assert sum(votes[: 10 * top]) / sum(votes) > 0.35
    comments = sorted(
        session.scalars(select(Proposal.comment_count).where(Proposal.dialogue_id == dialogue.id)),
        reverse=True,
    )
    assert sum(comments[:top]) / sum(comments) > 0.05
    assert sum(comments[: 10 * top]) / sum(comments) > 0.35
    # Participants vote on a subset, some on many, most on few.
    per_voter = sorted(Counter(session.scalars(select(Vote.user_id))).values())
    assert min(per_voter) >= 1 and max(per_voter) < 400
    assert max(per_voter) > 5 * np.median(per_voter)


def test_participants_have_districts_and_age_bands_spread_unevenly(seeded):
    people = _participants(seeded)
    codes = {code for code, _name in district_choices()}
    districts = Counter(p.district for p in people)
    assert set(districts) <= codes and None not in districts
    assert len(districts) >= 3 and max(districts.values()) > 2 * min(districts.values())
    bands = Counter(p.age_band for p in people)
    assert set(bands) <= set(AGE_BANDS) and None not in bands
    assert max(bands.values()) > 2 * min(bands.values())
    assert all(p.role is Role.resident and p.is_verified and p.active for p in people)


def test_every_generated_account_shares_one_password_hash(seeded):
    hashes = database.session.scalars(
        select(User.password_hash).where(User.email.like(f"%.{seeded.slug}@example.org"))
    ).all()
    assert len(hashes) == 300 + 50 + 1  # participants, followers, the planner
    assert len(set(hashes)) == 1


def test_the_followers_are_verified_accounts_of_their_own(seeded):
    session = database.session
    followers = session.scalars(
        select(User)
        .join(DialogueFollow, DialogueFollow.user_id == User.id)
        .where(DialogueFollow.dialogue_id == seeded.id)
    ).all()
    assert len(followers) == 50
    assert all(f.email.startswith("foljare") and f.is_verified and f.active for f in followers)
    voters = set(session.scalars(select(Vote.user_id).where(Vote.dialogue_id == seeded.id)))
    assert not voters & {f.id for f in followers}


def test_the_input_is_as_varied_as_a_real_dialogues(seeded):
    dialogue, session = seeded, database.session
    proposals = session.scalars(select(Proposal).where(Proposal.dialogue_id == dialogue.id)).all()
    sources = Counter(p.source for p in proposals)
    assert sources.most_common(1)[0][0] is Source.online
    assert sources[Source.online] > 0.8 * len(proposals)
    assert len(sources) >= 4
    # Input a planner entered (a letter, a workshop) names the planner, not an author.
    entered = [p for p in proposals if p.source is not Source.online]
    assert all(p.entered_by_id is not None and p.author_id is None for p in entered)
    named = [p for p in proposals if p.place_name]
    assert named and all(p.place_name in dialogue.named_places for p in named)
    assert all(p.place_lat is not None for p in named)
    assert any(p.place_lat is not None and not p.place_name for p in proposals)
    hidden = [p for p in proposals if p.moderation is Moderation.hidden]
    hidden_comments = session.scalars(
        select(Comment)
        .join(Proposal)
        .where(Proposal.dialogue_id == dialogue.id, Comment.moderation == Moderation.hidden)
    ).all()
    decisions = session.scalars(
        select(ModerationDecision).where(ModerationDecision.dialogue_id == dialogue.id)
    ).all()
    assert hidden_comments
    assert {d.proposal_id for d in decisions if d.proposal_id} == {p.id for p in hidden}
    assert {d.comment_id for d in decisions if d.comment_id} == {c.id for c in hidden_comments}
    answers = session.scalars(
        select(OfficialAnswer).join(Proposal).where(Proposal.dialogue_id == dialogue.id)
    ).all()
    assert answers and any(a.is_published for a in answers)
    assert not all(a.is_published for a in answers)  # some are still drafts
    values = set(session.scalars(select(Vote.value).where(Vote.dialogue_id == dialogue.id)))
    assert values == {VoteValue.for_, VoteValue.against, VoteValue.abstain}


def test_comments_form_threads_on_their_own_proposal(seeded):
    session = database.session
    comments = {
        c.id: c
        for c in session.scalars(
            select(Comment).join(Proposal).where(Proposal.dialogue_id == seeded.id)
        )
    }
    replies = [c for c in comments.values() if c.parent_id is not None]
    assert len(replies) > 0.15 * len(comments)
    for reply in replies:
        parent = comments[reply.parent_id]
        assert parent.proposal_id == reply.proposal_id
        assert reply.depth == parent.depth + 1 <= 3
        assert parent.created_at <= reply.created_at
    assert {c.stance for c in comments.values()} == set(Stance)
    # The municipality answers in some threads, with its badge.
    assert any(c.by_municipality for c in replies)


def test_a_support_dialogue_gets_support_votes(app, ctx):
    dialogue = _seed(app, slug="stod", vote_mode="support", proposals=50, votes=1000)
    session = database.session
    values = set(session.scalars(select(Vote.value).where(Vote.dialogue_id == dialogue.id)))
    assert values == {VoteValue.support}
    supports = session.scalar(
        select(func.sum(Proposal.votes_support)).where(Proposal.dialogue_id == dialogue.id)
    )
    assert supports == 1000


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"votes": 10}, "at least --participants"),
        ({"proposals": 2, "participants": 3, "votes": 7}, "once per proposal"),
        ({"proposals": 0, "votes": 0, "participants": 0, "comments": 0}, None),
    ],
)
def test_sizes_that_cannot_be_are_refused_with_a_reason(app, ctx, options, message):
    arguments = ["seed-scale", "--slug", "fel"]
    for name, value in {**SIZE, **options}.items():
        arguments += [f"--{name}", str(value)]
    result = app.test_cli_runner().invoke(args=arguments)
    made = database.session.scalar(select(Dialogue).where(Dialogue.slug == "fel"))
    if message is None:  # an empty dialogue with only its followers is possible
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 2 and message in result.output
    assert "Traceback" not in result.output and made is None


def test_a_taken_slug_is_refused_and_the_first_dialogue_is_kept(app, ctx):
    dialogue_services.create_dialogue(slug="tagen", title="Tagen", summary="Finns redan.")
    result = app.test_cli_runner().invoke(args=["seed-scale", "--slug", "tagen"])
    assert result.exit_code == 2 and "already called tagen" in result.output


def test_bulk_writes_every_row_across_chunks(ctx, monkeypatch):
    monkeypatch.setattr(scale, "CHUNK_ROWS", 5)
    dialogue = dialogue_services.create_dialogue(
        slug="bitar", title="Bitvis", summary="Följare i bitar.", state=DialogueState.published
    )
    bulk = scale.Bulk()
    ids = bulk.reserve_ids(User, 12)
    assert len(set(ids.tolist())) == 12
    bulk.write(
        User,
        {
            "id": ids,
            "email": [f"bit{n}@example.org" for n in range(12)],
            "display_name": "Bit",
            "pseudonym": "Bit",
            "password_hash": "x",
            "role": Role.resident,
            "terms_accepted_at": scale.utcnow(),
            "password_changed_at": scale.utcnow(),
            "created_at": scale.utcnow(),
        },
    )
    bulk.write(
        DialogueFollow,
        {"dialogue_id": dialogue.id, "user_id": ids, "created_at": scale.utcnow()},
    )
    # Three chunks (5, 5, 2): the last, short one is written too.
    followers = select(DialogueFollow.user_id).where(DialogueFollow.dialogue_id == dialogue.id)
    assert sorted(database.session.scalars(followers)) == sorted(ids.tolist())
    # Reserved ids are not handed out again.
    assert min(bulk.reserve_ids(User, 3).tolist()) > max(ids.tolist())


def test_the_query_planner_knows_the_tables_it_filled(seeded):
    # Without statistics PostgreSQL planned the report over a million votes as if the
    # tables were empty, and its first query ran into the statement timeout.
    session = database.session
    if session.get_bind().dialect.name == "postgresql":
        statistics = "SELECT count(*) FROM pg_stats WHERE tablename = 'vote'"
    else:
        statistics = "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'vote'"
    assert session.scalar(text(statistics)) > 0
