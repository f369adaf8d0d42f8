"""What a report is made of, read as aggregates in SQL; only the vote matrix comes back
row by row, streamed into arrays."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import chain

import numpy as np
from sqlalchemy import String, case, func, select, union
from sqlalchemy import cast as sa_cast
from sqlalchemy import literal as sa_literal
from sqlalchemy.orm import defer, selectinload

from dialog.accounts.models import User, participant_references
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
    """Per day in the municipality's time: the people who took part that day (proposed,
    commented or voted), and the proposals, comments and votes the totals count (hidden
    ones and votes on them apart)."""
    day = _LocalDay(_activity_span(dialogue_id))
    kept = Moderation.hidden
    counted = {
        "proposals": select(day(Proposal.created_at).label("day")).where(
            counted_proposals(dialogue_id), Proposal.moderation != kept
        ),
        "comments": select(day(Comment.created_at).label("day")).where(
            counted_comments(dialogue_id), Comment.moderation != kept
        ),
        "votes": select(day(Vote.cast_at).label("day"))
        .join(Proposal, Proposal.id == Vote.proposal_id)
        .where(counted_proposals(dialogue_id), Proposal.moderation != kept),
    }
    days: dict[date, Counter] = {}
    for kind, statement in counted.items():
        for when, count in _counted_by_day(statement.subquery()):
            days.setdefault(when, Counter())[kind] += count
    for when, count in _people_by_day(dialogue_id, day):
        days.setdefault(when, Counter())["participants"] += count
    return days


def _people_by_day(dialogue_id: int, day) -> Iterator[tuple[date, int]]:
    """Distinct people per local day, by the same rule as `participant_ids`."""
    acts = union(
        select(Proposal.author_id.label("user_id"), day(Proposal.created_at).label("day")).where(
            counted_proposals(dialogue_id), Proposal.author_id.is_not(None)
        ),
        select(Comment.author_id, day(Comment.created_at)).where(
            counted_comments(dialogue_id),
            Comment.author_id.is_not(None),
            Comment.by_municipality.is_(False),
        ),
        select(Vote.user_id, day(Vote.cast_at)).where(
            Vote.dialogue_id == dialogue_id, Vote.user_id.is_not(None)
        ),
    ).subquery()
    rows = db.session.execute(
        select(acts.c.day, func.count(acts.c.user_id.distinct())).group_by(acts.c.day)
    )
    for when, count in rows:
        yield _as_date(when), count


def _counted_by_day(moments) -> Iterator[tuple[date, int]]:
    # Grouped outside: PostgreSQL will not group by an expression of bound parameters.
    for when, count in db.session.execute(
        select(moments.c.day, func.count()).group_by(moments.c.day)
    ):
        yield _as_date(when), count


def _as_date(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _activity_span(dialogue_id: int) -> tuple[datetime, datetime] | None:
    firsts = db.session.execute(
        select(func.min(Proposal.created_at), func.max(Proposal.created_at)).where(
            Proposal.dialogue_id == dialogue_id
        )
    ).one()
    votes = db.session.execute(
        select(func.min(Vote.cast_at), func.max(Vote.cast_at)).where(
            Vote.dialogue_id == dialogue_id
        )
    ).one()
    comments = db.session.execute(
        select(func.min(Comment.created_at), func.max(Comment.created_at))
        .join(Proposal, Proposal.id == Comment.proposal_id)
        .where(Proposal.dialogue_id == dialogue_id)
    ).one()
    moments = [m for pair in (firsts, votes, comments) for m in pair if m is not None]
    return (min(moments), max(moments)) if moments else None


class _LocalDay:
    """A SQL expression for the municipality's calendar day of a UTC timestamp, on both
    databases (they share no way to change time zones): the zone's UTC offset is fixed
    between two changes of the clock, so the day is the timestamp shifted by the offset
    of its stretch, each stretch of the span a CASE branch."""

    STEP = timedelta(minutes=15)  # clocks change on a quarter hour in every zone

    def __init__(self, span: tuple[datetime, datetime] | None):
        self.stretches = self._stretches(*span) if span else [(None, 0)]
        self.postgresql = db.session.get_bind().dialect.name == "postgresql"

    @classmethod
    def _stretches(cls, first: datetime, last: datetime) -> list[tuple[datetime | None, int]]:
        """(from when, offset in seconds) for each stretch between first and last."""
        stretches: list[tuple[datetime | None, int]] = [(None, _offset(first))]
        moment = first
        while moment < last:
            later = min(moment + timedelta(days=1), last)
            if _offset(later) != stretches[-1][1]:
                change = moment.replace(minute=moment.minute // 15 * 15, second=0, microsecond=0)
                while _offset(change) == stretches[-1][1]:
                    change += cls.STEP
                stretches.append((change, _offset(change)))
            moment = later
        return stretches

    def __call__(self, column):
        (_, offset), *changes = self.stretches
        if not changes:
            return self._shifted(column, offset)
        return case(
            *(
                (column >= since, self._shifted(column, seconds))
                for since, seconds in reversed(changes)
            ),
            else_=self._shifted(column, offset),
        )

    def _shifted(self, column, seconds: int):
        if self.postgresql:
            return func.date(func.timezone("UTC", column) + timedelta(seconds=seconds))
        return func.date(column, f"{seconds:+d} seconds")


def _offset(moment: datetime) -> int:
    return int(moment.astimezone(LOCAL_ZONE).utcoffset().total_seconds())


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
    count in the totals but belong to nobody). A participant is named by
    `participant_reference`. Rows and columns are numbered in the order people and
    proposals first appear, people by account id, each one's votes by proposal number.

    A million votes are read as plain rows in batches straight into arrays: through the
    ORM each row cost more than the whole analysis of it."""
    from dialog.proposals.models import format_reference

    votes = _vote_arrays(dialogue_id)
    user_ids, rows = np.unique(votes[:, 0], return_inverse=True)
    numbers, first, inverse = np.unique(votes[:, 1], return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    position = np.empty_like(order)
    position[order] = np.arange(len(order))
    references = voter_references(dialogue_id)
    return VoteMatrix(
        [references[int(u)] for u in user_ids],
        [format_reference(prefix, int(numbers[i])) for i in order],
        [int(numbers[i]) for i in order],
        rows.astype(np.int32).ravel(),
        position[inverse.ravel()].astype(np.int32),
        votes[:, 2].astype(np.int8),
    )


def _vote_arrays(dialogue_id: int) -> np.ndarray:
    """(account id, proposal number, score) for each counted vote, as an n × 3 array."""
    score = case(*((Vote.value == value, points) for value, points in VOTE_SCORES.items()), else_=0)
    statement = (
        select(Vote.user_id, Proposal.number, score)
        .join(Proposal, Proposal.id == Vote.proposal_id)
        .where(
            Vote.dialogue_id == dialogue_id,
            Vote.user_id.is_not(None),
            counted_proposals(dialogue_id),
            Proposal.moderation == Moderation.shown,
        )
        .order_by(Vote.user_id, Proposal.number)
        .execution_options(stream_results=True)
    )
    result = db.session.connection().execute(statement)
    batches = [
        np.fromiter(chain.from_iterable(batch), dtype=np.int64, count=3 * len(batch))
        for batch in result.partitions(STREAM_ROWS)
    ]
    return np.concatenate(batches).reshape(-1, 3) if batches else np.empty((0, 3), np.int64)


def voter_references(dialogue_id: int) -> dict[int, str]:
    """How the report names each person who voted in the dialogue (on any proposal, so
    that an archive of the dialogue names them alike): `participant_references`."""
    voters = select(Vote.user_id).where(Vote.dialogue_id == dialogue_id).distinct()
    rows = db.session.execute(select(User.id, User.external_id).where(User.id.in_(voters)))
    return participant_references(dict(rows.all()))


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
            select(Report)
            .where(Report.dialogue_id == dialogue_id)
            .options(defer(Report.content), selectinload(Report.requested_by))
            .order_by(Report.version.desc())
        )
    )


def _shown(dialogue_id: int):
    return counted_proposals(dialogue_id) & (Proposal.moderation == Moderation.shown)


@dataclass(frozen=True)
class Spread:
    """How much input one theme, focus area or dimension drew."""

    name: str
    proposals: int
    comments: int
    votes: int


def spread_by(column, dialogue_id: int) -> list[Spread]:
    """Shown proposals, their shown comments and their votes, grouped by a proposal column
    (theme or focus area); proposals without one are grouped under None."""
    comments = _comments_per_proposal(dialogue_id)
    rows = db.session.execute(
        select(
            column,
            func.count(),
            func.coalesce(func.sum(comments.c.count), 0),
            func.coalesce(func.sum(_total_votes()), 0),
        )
        .outerjoin(comments, comments.c.proposal_id == Proposal.id)
        .where(_shown(dialogue_id))
        .group_by(column)
    )
    return [Spread(name, count, int(said), int(votes)) for name, count, said, votes in rows]


def spread_by_dimension(dialogue_id: int, dimensions: list[str]) -> list[Spread]:
    """The same per dimension; a proposal may name several, so each is its own count of
    the JSON list's text (the two databases share no way to unnest it)."""
    comments = _comments_per_proposal(dialogue_id)
    spreads = []
    for dimension in dimensions:
        named = sa_cast(Proposal.dimensions, String).like(f'%"{dimension}"%')
        count, said, votes = db.session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(comments.c.count), 0),
                func.coalesce(func.sum(_total_votes()), 0),
            )
            .outerjoin(comments, comments.c.proposal_id == Proposal.id)
            .where(_shown(dialogue_id), named)
        ).one()
        spreads.append(Spread(dimension, count, int(said), int(votes)))
    return spreads


def _comments_per_proposal(dialogue_id: int):
    return (
        select(Comment.proposal_id, func.count().label("count"))
        .where(counted_comments(dialogue_id), Comment.moderation == Moderation.shown)
        .group_by(Comment.proposal_id)
        .subquery()
    )


def _total_votes():
    return (
        Proposal.votes_for
        + Proposal.votes_against
        + Proposal.votes_abstain
        + Proposal.votes_support
    )


@dataclass(frozen=True)
class Places:
    named: list[tuple[str, int, int]]  # place, proposals, votes: most proposals first
    located: int  # proposals with a point on the map
    unplaced: int  # proposals with neither a place nor a point
    points: list[tuple[float, float]]  # (lat, lon), by proposal number
    # West, south, east and north of every located proposal (not only those in `points`)
    bounds: tuple[float, float, float, float] | None


_HAS_POINT = Proposal.place_lat.is_not(None) & Proposal.place_lon.is_not(None)


def places(dialogue_id: int, point_limit: int) -> Places:
    shown = _shown(dialogue_id)
    has_name = func.coalesce(Proposal.place_name, "") != ""
    named = db.session.execute(
        select(Proposal.place_name, func.count(), func.coalesce(func.sum(_total_votes()), 0))
        .where(shown, has_name)
        .group_by(Proposal.place_name)
        .order_by(func.count().desc(), Proposal.place_name)
    ).all()
    located, unplaced = db.session.execute(
        select(
            func.count().filter(_HAS_POINT),
            func.count().filter(~_HAS_POINT & ~has_name),
        ).where(shown)
    ).one()
    points = db.session.execute(
        select(Proposal.place_lat, Proposal.place_lon)
        .where(shown, _HAS_POINT)
        .order_by(Proposal.random_rank, Proposal.number)
        .limit(point_limit)
    ).all()
    west, south, east, north = db.session.execute(
        select(
            func.min(Proposal.place_lon),
            func.min(Proposal.place_lat),
            func.max(Proposal.place_lon),
            func.max(Proposal.place_lat),
        ).where(shown, _HAS_POINT)
    ).one()
    return Places(
        [(name, count, int(votes)) for name, count, votes in named],
        located,
        unplaced,
        [(lat, lon) for lat, lon in points],
        None if west is None else (float(west), float(south), float(east), float(north)),
    )


def located_by_third(dialogue_id: int, frame: tuple[float, float, float, float]):
    """Shown proposals with a point, counted by (column, row) of a 3 × 3 grid over the
    frame (west, south, east, north): column 0 the west, row 0 the south. A point on a
    line between two thirds counts in the one to the east, or to the north."""
    west, south, east, north = frame
    thirds = (
        select(
            _third(Proposal.place_lon, west, east).label("across"),
            _third(Proposal.place_lat, south, north).label("up"),
        )
        .where(_shown(dialogue_id), _HAS_POINT)
        .subquery()
    )
    # Grouped in an outer query: PostgreSQL will not group by a CASE of bound parameters.
    rows = db.session.execute(
        select(thirds.c.across, thirds.c.up, func.count()).group_by(thirds.c.across, thirds.c.up)
    )
    return {(across, up): count for across, up, count in rows}


def _third(column, low: float, high: float):
    """0, 1 or 2: which third of low..high the value lies in (the middle one when the
    frame has no extent that way)."""
    if high <= low:
        return sa_literal(1)
    step = (high - low) / 3
    return case((column < low + step, 0), (column < low + 2 * step, 1), else_=2)


@dataclass(frozen=True)
class ModerationFigures:
    flags: dict[str, dict[str, int]]  # reason -> state -> flags
    actions: dict[str, int]  # action -> decisions
    hidden: dict[str, int]  # the upheld flags' reason (or "moderator") -> hidden items


def moderation_figures(dialogue_id: int) -> ModerationFigures:
    from dialog.moderation.models import Flag, ModerationDecision

    flags: dict[str, dict[str, int]] = {}
    for reason, state, count in db.session.execute(
        select(Flag.reason, Flag.state, func.count())
        .where(Flag.dialogue_id == dialogue_id)
        .group_by(Flag.reason, Flag.state)
    ):
        flags.setdefault(reason.value, {})[state.value] = count
    actions = db.session.execute(
        select(ModerationDecision.action, func.count())
        .where(ModerationDecision.dialogue_id == dialogue_id)
        .group_by(ModerationDecision.action)
    )
    return ModerationFigures(
        flags,
        {action.value: count for action, count in actions},
        _hidden_by_reason(dialogue_id),
    )


def _hidden_by_reason(dialogue_id: int) -> dict[str, int]:
    """Each hidden item once, under the reason most of its upheld flags gave (the first
    in the list's order on a tie); items a moderator hid unflagged under "moderator"."""
    from dialog.moderation.models import Flag, FlagReason, FlagState

    hidden = Moderation.hidden
    items = union(
        select(sa_literal("p").label("kind"), Proposal.id.label("item")).where(
            counted_proposals(dialogue_id), Proposal.moderation == hidden
        ),
        select(sa_literal("c"), Comment.id).where(
            counted_comments(dialogue_id), Comment.moderation == hidden
        ),
    ).subquery()
    reasons: dict[tuple[str, int], Counter] = {
        (kind, item): Counter() for kind, item in db.session.execute(select(items))
    }
    for proposal_id, comment_id, reason, count in db.session.execute(
        select(Flag.proposal_id, Flag.comment_id, Flag.reason, func.count())
        .where(Flag.dialogue_id == dialogue_id, Flag.state == FlagState.upheld)
        .group_by(Flag.proposal_id, Flag.comment_id, Flag.reason)
    ):
        key = ("c", comment_id) if comment_id is not None else ("p", proposal_id)
        if key in reasons:
            reasons[key][reason.value] += count
    order = [reason.value for reason in FlagReason]
    counted: Counter = Counter()
    for given in reasons.values():
        counted[_main_reason(given, order)] += 1
    return dict(counted)


def _main_reason(given: Counter, order: list[str]) -> str:
    if not given:
        return "moderator"
    return max(given, key=lambda reason: (given[reason], -order.index(reason)))


def published_answers(dialogue_id: int, prefix: str) -> list[dict]:
    """The official answers residents can read now, by proposal number, for a published
    report to keep as they were."""
    from dialog.proposals.models import format_reference

    rows = db.session.execute(
        select(
            Proposal.number,
            Proposal.title,
            OfficialAnswer.status,
            OfficialAnswer.body,
            OfficialAnswer.published_at,
            OfficialAnswer.department,
        )
        .join(OfficialAnswer, OfficialAnswer.proposal_id == Proposal.id)
        .where(_shown(dialogue_id), OfficialAnswer.published_at.is_not(None))
        .order_by(Proposal.number)
        .execution_options(yield_per=STREAM_ROWS)
    )
    return [
        {
            "proposal": format_reference(prefix, number),
            "title": title,
            "status": status.value,
            "answer": body,
            "answered_at": published_at.isoformat(),
            "department": department,
        }
        for number, title, status, body, published_at, department in rows
    ]


@dataclass(frozen=True)
class Activity:
    proposals: int
    comments: int
    votes: int


def activity_between(dialogue_id: int, start: datetime, end: datetime) -> Activity:
    """New input in [start, end): what the overview compares week by week."""

    def counted(model, moment, condition) -> int:
        return db.session.scalar(
            select(func.count()).select_from(model).where(condition, moment >= start, moment < end)
        )

    # As the report's totals count them: hidden input, and votes on it, apart.
    counted_shown_or_held = counted_proposals(dialogue_id) & (
        Proposal.moderation != Moderation.hidden
    )
    return Activity(
        counted(Proposal, Proposal.created_at, counted_shown_or_held),
        counted(
            Comment,
            Comment.created_at,
            counted_comments(dialogue_id) & (Comment.moderation != Moderation.hidden),
        ),
        counted(
            Vote,
            Vote.cast_at,
            Vote.proposal_id.in_(select(Proposal.id).where(counted_shown_or_held)),
        ),
    )


@dataclass(frozen=True)
class Unanswered:
    id: int
    reference: str
    title: str
    created_at: datetime
    votes: int
    comments: int


def unanswered(dialogue_id: int, prefix: str, limit: int) -> tuple[int, list[Unanswered]]:
    """Shown proposals residents have no answer to yet (a draft is not an answer), the
    oldest first, and how many there are in all."""
    answered = select(OfficialAnswer.proposal_id).where(OfficialAnswer.published_at.is_not(None))
    waiting = _shown(dialogue_id) & Proposal.id.not_in(answered)
    total = db.session.scalar(select(func.count()).select_from(Proposal).where(waiting))
    rows = db.session.execute(
        select(
            Proposal.id,
            Proposal.number,
            Proposal.title,
            Proposal.created_at,
            _total_votes(),
            Proposal.comment_count,
        )
        .where(waiting)
        .order_by(Proposal.created_at, Proposal.number)
        .limit(limit)
    )
    from dialog.proposals.models import format_reference

    return total, [
        Unanswered(id_, format_reference(prefix, number), title, created, votes, comments)
        for id_, number, title, created, votes, comments in rows
    ]
