"""What a report is made of, read as aggregates in SQL; only the vote matrix comes back
row by row, streamed into arrays."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
from sqlalchemy import func, select, union

from dialog.accounts.models import User
from dialog.core.timezone import LOCAL_ZONE
from dialog.extensions import db
from dialog.proposals.models import (
    Comment,
    Moderation,
    OfficialAnswer,
    Proposal,
    ProposalState,
    Vote,
    VoteValue,
)
from dialog.reports.models import Report

# The opinion matrix's values: för (and a support vote) 1, emot -1, avstår 0.
VOTE_SCORES = {VoteValue.for_: 1, VoteValue.support: 1, VoteValue.against: -1, VoteValue.abstain: 0}
STREAM_ROWS = 20_000


def counted_proposals(dialogue_id: int):
    """Proposals a report counts: published, not withdrawn; hidden ones apart."""
    return (Proposal.dialogue_id == dialogue_id) & (Proposal.state == ProposalState.published)


def counted_comments(dialogue_id: int):
    return Comment.proposal_id.in_(
        select(Proposal.id).where(counted_proposals(dialogue_id))
    ) & Comment.deleted_at.is_(None)


def participant_ids(dialogue_id: int):
    """Everyone who proposed, commented or voted, as one SELECT of account ids."""
    return union(
        select(Proposal.author_id.label("user_id")).where(
            counted_proposals(dialogue_id), Proposal.author_id.is_not(None)
        ),
        select(Comment.author_id).where(
            counted_comments(dialogue_id),
            Comment.author_id.is_not(None),
            Comment.by_municipality.is_(False),
        ),
        select(Vote.user_id).where(Vote.dialogue_id == dialogue_id, Vote.user_id.is_not(None)),
    )


@dataclass(frozen=True)
class Totals:
    participants: int
    proposals: int
    proposals_hidden: int
    comments: int
    comments_hidden: int
    votes: int


def totals(dialogue_id: int) -> Totals:
    hidden = Moderation.hidden
    proposals = db.session.execute(
        select(
            func.count().filter(Proposal.moderation != hidden),
            func.count().filter(Proposal.moderation == hidden),
        ).where(counted_proposals(dialogue_id))
    ).one()
    comments = db.session.execute(
        select(
            func.count().filter(Comment.moderation != hidden),
            func.count().filter(Comment.moderation == hidden),
        ).where(counted_comments(dialogue_id))
    ).one()
    votes = db.session.scalar(
        select(func.count())
        .select_from(Vote)
        .join(Proposal, Proposal.id == Vote.proposal_id)
        .where(counted_proposals(dialogue_id), Proposal.moderation != hidden)
    )
    participants = db.session.scalar(
        select(func.count()).select_from(participant_ids(dialogue_id).subquery())
    )
    return Totals(participants, proposals[0], proposals[1], comments[0], comments[1], votes)


def per_local_day(dialogue_id: int) -> dict[date, Counter]:
    """Proposals, comments and votes per day in the municipality's time: counted per hour
    in SQL (the databases do not share a way to change time zones), then each hour put
    on its local day."""
    days: dict[date, Counter] = {}
    for kind, hours in (
        ("proposals", _per_hour(Proposal.created_at, counted_proposals(dialogue_id))),
        ("comments", _per_hour(Comment.created_at, counted_comments(dialogue_id))),
        ("votes", _per_hour(Vote.cast_at, Vote.dialogue_id == dialogue_id)),
    ):
        for hour, count in hours:
            days.setdefault(hour.astimezone(LOCAL_ZONE).date(), Counter())[kind] += count
    return days


def _per_hour(column, condition) -> Iterator[tuple[datetime, int]]:
    if db.session.get_bind().dialect.name == "postgresql":
        bucket = func.date_trunc("hour", func.timezone("UTC", column))
    else:
        bucket = func.strftime("%Y-%m-%d %H:00:00", column)
    rows = db.session.execute(select(bucket, func.count()).where(condition).group_by(bucket))
    for hour, count in rows:
        if isinstance(hour, str):
            hour = datetime.fromisoformat(hour)
        yield hour.replace(tzinfo=UTC), count


def proposals_by_source(dialogue_id: int) -> dict[str, int]:
    rows = db.session.execute(
        select(Proposal.source, func.count())
        .where(counted_proposals(dialogue_id), Proposal.moderation != Moderation.hidden)
        .group_by(Proposal.source)
    )
    return {source.value: count for source, count in rows}


@dataclass(frozen=True)
class ProposalFigures:
    reference: str
    title: str
    votes_for: int
    votes_against: int
    votes_abstain: int
    votes_support: int
    comments: int
    comments_for: int
    comments_against: int
    comments_neutral: int


def proposal_figures(dialogue_id: int, prefix: str) -> list[ProposalFigures]:
    """Every shown proposal's votes and comments by stance: one row each, from the
    counters and one grouped count of comments."""
    from dialog.proposals.models import Stance, format_reference

    stance = (
        select(
            Comment.proposal_id,
            func.count().filter(Comment.stance == Stance.for_).label("for_"),
            func.count().filter(Comment.stance == Stance.against).label("against"),
            func.count().filter(Comment.stance == Stance.neutral).label("neutral"),
        )
        .where(counted_comments(dialogue_id), Comment.moderation == Moderation.shown)
        .group_by(Comment.proposal_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Proposal.number,
            Proposal.title,
            Proposal.votes_for,
            Proposal.votes_against,
            Proposal.votes_abstain,
            Proposal.votes_support,
            func.coalesce(stance.c.for_, 0),
            func.coalesce(stance.c.against, 0),
            func.coalesce(stance.c.neutral, 0),
        )
        .outerjoin(stance, stance.c.proposal_id == Proposal.id)
        .where(counted_proposals(dialogue_id), Proposal.moderation == Moderation.shown)
        .order_by(Proposal.number)
    )
    return [
        ProposalFigures(
            format_reference(prefix, number),
            title,
            votes_for,
            votes_against,
            votes_abstain,
            votes_support,
            for_ + against + neutral,
            for_,
            against,
            neutral,
        )
        for number, title, votes_for, votes_against, votes_abstain, votes_support, for_, against, neutral in rows
    ]


@dataclass(frozen=True)
class VoteMatrix:
    """Participants × proposals, as the opinion analysis takes it: three parallel arrays
    of row, column and score, with the references of the rows and columns."""

    participants: list[str]
    proposals: list[str]
    numbers: list[int]  # each column's proposal number
    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray


def vote_matrix(dialogue_id: int, prefix: str) -> VoteMatrix:
    """Every vote on a shown proposal by a person still named (an erased voter's votes
    count in the totals but belong to nobody). A participant is named by the reference
    they were imported with, otherwise by their account id."""
    from dialog.proposals.models import format_reference

    statement = (
        select(Vote.user_id, User.external_id, Proposal.number, Vote.value)
        .join(Proposal, Proposal.id == Vote.proposal_id)
        .join(User, User.id == Vote.user_id)
        .where(
            Vote.dialogue_id == dialogue_id,
            counted_proposals(dialogue_id),
            Proposal.moderation == Moderation.shown,
        )
        .order_by(Vote.user_id, Proposal.number)
        .execution_options(yield_per=STREAM_ROWS)
    )
    people: dict[int, int] = {}
    numbers: dict[int, int] = {}
    references: list[str] = []
    proposals: list[str] = []
    in_order: list[int] = []
    rows, cols, values = [], [], []
    for user_id, external_id, number, value in db.session.execute(statement):
        if user_id not in people:
            people[user_id] = len(references)
            references.append(external_id or str(user_id))
        if number not in numbers:
            numbers[number] = len(proposals)
            proposals.append(format_reference(prefix, number))
            in_order.append(number)
        rows.append(people[user_id])
        cols.append(numbers[number])
        values.append(VOTE_SCORES[value])
    return VoteMatrix(
        references,
        proposals,
        in_order,
        np.asarray(rows, dtype=np.int32),
        np.asarray(cols, dtype=np.int32),
        np.asarray(values, dtype=np.int8),
    )


@dataclass(frozen=True)
class Feedback:
    proposals: int
    answered: int
    median_days: float | None
    by_status: dict[str, int]


def feedback(dialogue_id: int) -> Feedback:
    """Official answers published on shown proposals: how many, how fast, which way."""
    shown = counted_proposals(dialogue_id) & (Proposal.moderation == Moderation.shown)
    proposals = db.session.scalar(select(func.count()).select_from(Proposal).where(shown))
    answers = db.session.execute(
        select(OfficialAnswer.status, Proposal.created_at, OfficialAnswer.published_at)
        .join(Proposal, Proposal.id == OfficialAnswer.proposal_id)
        .where(shown, OfficialAnswer.published_at.is_not(None))
    ).all()
    days = sorted(
        (published - created).total_seconds() / 86400 for _, created, published in answers
    )
    return Feedback(
        proposals=proposals,
        answered=len(answers),
        median_days=float(np.median(days)) if days else None,
        by_status=dict(Counter(status.value for status, _, _ in answers)),
    )


def titles(dialogue_id: int, numbers: list[int]) -> dict[int, str]:
    found = {}
    for start in range(0, len(numbers), STREAM_ROWS):
        found.update(
            db.session.execute(
                select(Proposal.number, Proposal.title).where(
                    Proposal.dialogue_id == dialogue_id,
                    Proposal.number.in_(numbers[start : start + STREAM_ROWS]),
                )
            ).all()
        )
    return found


def next_version(dialogue_id: int) -> int:
    latest = db.session.scalar(
        select(func.max(Report.version)).where(Report.dialogue_id == dialogue_id)
    )
    return (latest or 0) + 1


def reports_of(dialogue_id: int) -> list[Report]:
    return list(
        db.session.scalars(
            select(Report).where(Report.dialogue_id == dialogue_id).order_by(Report.version.desc())
        )
    )
