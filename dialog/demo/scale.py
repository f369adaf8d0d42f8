"""`seed-scale`: a dialogue of the size a large municipality's would reach, for benchmarks.

Everything is drawn first, as NumPy arrays from one seed, and then written in bulk (COPY
on PostgreSQL, one executemany per chunk elsewhere). Because the rows are known before
they are written, the counters on proposals, comments and ballots are computed from the
very rows that go in, and no reconciliation pass has to read them back.

The skew is what a real dialogue shows: proposal popularity follows a Zipf law (a few
proposals draw most votes and comments), participants' activity is log-normal (many
vote a few times, a few vote hundreds of times), and districts and age bands are spread
unevenly.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import sqlalchemy as sa

from dialog.accounts.models import AGE_BANDS, Role, User
from dialog.accounts.services import hash_password
from dialog.core.db import utcnow
from dialog.demo.services import THEMES, schedule_around_now
from dialog.dialogues import services as dialogues
from dialog.dialogues.models import (
    Dialogue,
    DialogueFollow,
    DialogueState,
    PhaseKind,
    VoteMode,
)
from dialog.districts.services import ensure_demo_districts
from dialog.extensions import db
from dialog.moderation.models import Action, ModerationDecision
from dialog.proposals.models import (
    AnswerStatus,
    Ballot,
    Comment,
    Moderation,
    OfficialAnswer,
    Proposal,
    ProposalFollow,
    ProposalSequence,
    Source,
    Stance,
    Vote,
    VoteValue,
)
from dialog.proposals.permissions import VOTE_VALUES
from dialog.proposals.services import index_for_search


@dataclass(frozen=True)
class ScaleSize:
    """How much a scale dialogue holds; the defaults are the size issue 13 asks for."""

    proposals: int = 100_000
    participants: int = 50_000
    votes: int = 1_000_000
    comments: int = 200_000
    followers: int = 100_000

    def problem(self) -> str | None:
        """Why these numbers cannot make a dialogue, or None when they can."""
        if min(self.proposals, self.participants, self.votes, self.comments, self.followers) < 0:
            return "counts cannot be negative"
        if self.votes and not self.proposals:
            return "votes need proposals"
        if self.votes < self.participants:
            return "every participant casts a vote: --votes must be at least --participants"
        if self.votes > self.participants * self.proposals:
            return "a participant votes once per proposal: too many votes"
        if self.comments and not (self.proposals and self.participants):
            return "comments need proposals and participants"
        if self.proposals and not self.participants:
            return "proposals need participants"
        return None


# Benchmarks measure a dialogue while its voting runs.
SCALE_SCHEDULE = [
    (PhaseKind.proposals, "Lämna förslag", "", -30, -2),
    (PhaseKind.voting, "Rösta", "", -2, 14),
    (PhaseKind.result, "Resultat", "", 14, None),
]
# The places proposals can name, with their points (Södertälje's city centre).
PLACES = {
    "Marenplan": (59.1955, 17.6253),
    "Stora torget": (59.1963, 17.6262),
    "Storgatan": (59.1968, 17.6279),
    "Järnagatan": (59.1952, 17.6241),
    "Köpmangatan": (59.1971, 17.6268),
    "Södertälje C": (59.1909, 17.6267),
}
WORDS = ["park", "träd", "ljus", "bänk", "cykelbana", "torg", "buss", "lekplats", "kaj"]
COMMENT_TEXTS = [
    "Bra förslag, det behövs verkligen.",
    "Jag håller inte med, det finns viktigare saker att göra.",
    "Hur mycket skulle det kosta?",
    "Tänk på dem som har svårt att gå.",
    "Det här har vi väntat på länge.",
    "Kan det kombineras med mer grönska?",
]
ANSWER_TEXTS = {
    AnswerStatus.under_review: "Vi utreder förslaget och återkommer under hösten.",
    AnswerStatus.accepted: "Vi genomför förslaget nästa år.",
    AnswerStatus.partly_accepted: "Vi genomför en del av förslaget.",
    AnswerStatus.rejected: "Vi går inte vidare: marken är redan planlagd för annat.",
    AnswerStatus.implemented: "Förslaget är genomfört.",
}
HIDDEN_REASON = "Innehållet bröt mot dialogens regler."

# Shares of the input (each list sums to 1).
SOURCE_SHARES = {
    Source.online: 0.9,
    Source.workshop: 0.05,
    Source.letter: 0.02,
    Source.phone: 0.01,
    Source.email: 0.02,
}
AGE_BAND_SHARES = dict(zip(AGE_BANDS, (0.03, 0.15, 0.28, 0.3, 0.18, 0.06), strict=True))
ANSWER_SHARES = {
    AnswerStatus.under_review: 0.4,
    AnswerStatus.accepted: 0.2,
    AnswerStatus.partly_accepted: 0.15,
    AnswerStatus.rejected: 0.2,
    AnswerStatus.implemented: 0.05,
}
TOP_LEVEL_STANCES = {Stance.for_: 0.45, Stance.against: 0.25, Stance.neutral: 0.3}
REPLY_STANCES = {Stance.for_: 0.25, Stance.against: 0.25, Stance.neutral: 0.5}
NAMED_PLACE_SHARE = 0.35  # proposals naming a place (with its point, a little apart)
POINT_ONLY_SHARE = 0.1  # proposals with a point on the map but no named place
ANSWERED_SHARE = 0.03
PUBLISHED_ANSWER_SHARE = 0.8  # the rest are drafts
HIDDEN_PROPOSAL_SHARE = 0.003
HIDDEN_COMMENT_SHARE = 0.005
REPLY_SHARE = 0.3
MUNICIPALITY_REPLY_SHARE = 0.02
ABSTAIN_SHARE = 0.1
POPULARITY_EXPONENT = 1.0  # Zipf's s: the top 1 % of proposals draw about half the votes
ACTIVITY_SIGMA = 1.3  # log-normal spread of how much each participant votes and writes
DISTRICT_EXPONENT = 0.8
SEED = 7  # the same dialogue every time, so benchmarks compare like with like


def _district_values() -> list[str]:
    """The values a person's district takes (the districts' codes): the one place this
    module reads them."""
    return ensure_demo_districts()


def seed_scale(
    *,
    slug: str,
    size: ScaleSize,
    vote_mode: VoteMode = VoteMode.for_against,
) -> Dialogue:
    """A published dialogue in its voting phase with exactly `size` of everything; flushes."""
    rng = np.random.default_rng(SEED)
    dialogue = dialogues.create_dialogue(
        slug=slug,
        title="Skalprov",
        summary="En stor dialog för prestandamätning.",
        state=DialogueState.published,
        themes=THEMES,
        focus_areas=["Tillgänglighet", "Trygghet", "Puls"],
        named_places=list(PLACES),
        place_name="Marenplan, Södertälje centrum",
        place_lat=PLACES["Marenplan"][0],
        place_lon=PLACES["Marenplan"][1],
        vote_mode=vote_mode,
    )
    schedule_around_now(dialogue, SCALE_SCHEDULE)
    bulk = Bulk()
    clock = _Clock.of(dialogue)
    people = _add_people(bulk, rng, slug, size, clock)
    dialogues.assign_planner(dialogue, db.session.get(User, people.planner), by=None)
    popularity = _zipf_weights(rng, size.proposals, POPULARITY_EXPONENT)
    activity = rng.lognormal(0.0, ACTIVITY_SIGMA, size.participants)
    activity /= activity.sum() or 1.0
    votes = _draw_votes(rng, size, popularity, activity, VOTE_VALUES[vote_mode])
    comments = _draw_comments(rng, size, popularity, activity)
    proposals = _add_proposals(bulk, rng, dialogue, size, people, activity, votes, comments, clock)
    _add_votes(bulk, rng, dialogue, people, proposals, votes, clock)
    comment_ids = _add_comments(bulk, rng, people, proposals, comments, clock)
    _add_answers(bulk, rng, proposals, popularity, people.planner, clock)
    _add_hidden_decisions(
        bulk, dialogue, people.planner, proposals, comment_ids[comments.hidden], clock
    )
    bulk.write(
        DialogueFollow,
        {"dialogue_id": dialogue.id, "user_id": people.followers, "created_at": clock.now},
    )
    bulk.analyse()
    return dialogue


# What is drawn -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Clock:
    """The moments the rows fall between: the proposal phase, then the voting up to now."""

    proposals_from: datetime
    voting_from: datetime
    now: datetime

    @classmethod
    def of(cls, dialogue: Dialogue) -> _Clock:
        starts = {phase.kind: phase.starts_at for phase in dialogue.phases}
        return cls(starts[PhaseKind.proposals], starts[PhaseKind.voting], utcnow())


class _Moments:
    """Aware datetimes made a slice at a time from seconds after a moment, so that a
    million of them never exist at once."""

    def __init__(self, start: datetime, seconds: np.ndarray):
        self.start, self.seconds = start.timestamp(), seconds

    def __len__(self) -> int:
        return len(self.seconds)

    def __getitem__(self, part: slice) -> list[datetime]:
        return [datetime.fromtimestamp(s, UTC) for s in (self.start + self.seconds[part]).tolist()]


@dataclass(frozen=True)
class _People:
    participants: np.ndarray  # account ids, in activity order
    followers: np.ndarray
    planner: int


@dataclass(frozen=True)
class _Votes:
    voter: np.ndarray  # participant index
    proposal: np.ndarray  # proposal index
    value: np.ndarray  # VoteValue members (object array)


@dataclass(frozen=True)
class _Comments:
    """In writing order: grouped by proposal, oldest first, so a parent precedes its
    replies."""

    proposal: np.ndarray
    author: np.ndarray  # participant index; -1 for the planner's replies
    parent: np.ndarray  # comment index; -1 for a top-level comment
    depth: np.ndarray
    stance: np.ndarray  # Stance members
    hidden: np.ndarray  # bool
    moment: np.ndarray  # 0..1 of the way from the proposal's creation to now

    @property
    def shown(self) -> np.ndarray:
        return ~self.hidden


@dataclass(frozen=True)
class _Proposals:
    ids: np.ndarray
    author: np.ndarray  # account id, or -1 for input a planner entered
    hidden: np.ndarray
    created: np.ndarray  # seconds after the proposal phase began


def _zipf_weights(rng: np.random.Generator, count: int, exponent: float) -> np.ndarray:
    """Weights ∝ 1/rank^exponent, the ranks handed out at random."""
    weights = np.empty(count)
    weights[rng.permutation(count)] = 1.0 / np.arange(1, count + 1) ** exponent
    return weights / (weights.sum() or 1.0)


def _draw_votes(rng, size: ScaleSize, popularity, activity, values) -> _Votes:
    """Exactly size.votes votes, at most one per participant and proposal: each
    participant at least one, the rest by activity; proposals by popularity, a
    participant's repeats drawn again until none is left."""
    extra = rng.multinomial(size.votes - size.participants, activity) if size.participants else []
    per_voter = np.minimum(1 + np.asarray(extra, dtype=np.int64), size.proposals)
    # Capping the busiest at one vote per proposal leaves votes to hand to the others.
    while per_voter.sum() < size.votes:
        room = np.flatnonzero(per_voter < size.proposals)
        per_voter[rng.choice(room, size=size.votes - per_voter.sum())] += 1
        per_voter = np.minimum(per_voter, size.proposals)
    voter = np.repeat(np.arange(size.participants), per_voter)
    proposal = rng.choice(size.proposals, size=voter.size, p=popularity) if voter.size else voter
    while True:
        pairs = voter.astype(np.int64) * size.proposals + proposal
        _, first = np.unique(pairs, return_index=True)
        again = np.ones(pairs.size, dtype=bool)
        again[first] = False
        if not again.any():
            break
        proposal[again] = rng.choice(size.proposals, size=int(again.sum()), p=popularity)
    return _Votes(voter, proposal, _vote_values(rng, size.proposals, proposal, values))


def _vote_values(rng, proposals: int, proposal: np.ndarray, values) -> np.ndarray:
    """För, emot or avstår: each proposal its own lean, from broad support to divisive."""
    kinds = np.array(list(values), dtype=object)
    if len(kinds) == 1:
        return np.full(proposal.size, kinds[0], dtype=object)
    lean = rng.beta(2.5, 1.5, proposals)[proposal]
    abstain = rng.random(proposal.size) < ABSTAIN_SHARE
    against = rng.random(proposal.size) >= lean
    chosen = np.full(proposal.size, VoteValue.for_, dtype=object)
    chosen[against] = VoteValue.against
    chosen[abstain] = VoteValue.abstain
    return chosen


def _draw_comments(rng, size: ScaleSize, popularity, activity) -> _Comments:
    count = size.comments
    proposal = rng.choice(size.proposals, size=count, p=popularity) if count else np.zeros(0, int)
    moment = rng.random(count)
    order = np.lexsort((moment, proposal))
    proposal, moment = proposal[order], moment[order]
    parent = np.full(count, -1)
    depth = np.ones(count, dtype=np.int64)
    first_of_group = np.r_[True, proposal[1:] != proposal[:-1]] if count else np.zeros(0, bool)
    group_start = np.maximum.accumulate(np.where(first_of_group, np.arange(count), 0))
    replies = (~first_of_group) & (rng.random(count) < REPLY_SHARE)
    picks = rng.random(count)
    for index in np.flatnonzero(replies).tolist():
        start = int(group_start[index])
        chosen = start + int(picks[index] * (index - start))
        if depth[chosen] == 3:  # threads are three deep at most: answer beside it
            chosen = parent[chosen]
        parent[index], depth[index] = chosen, depth[chosen] + 1
    author = rng.choice(size.participants, size=count, p=activity) if count else proposal
    author[replies & (rng.random(count) < MUNICIPALITY_REPLY_SHARE)] = -1
    stance = np.where(
        replies,
        _drawn(rng, REPLY_STANCES, count),
        _drawn(rng, TOP_LEVEL_STANCES, count),
    )
    hidden = rng.random(count) < HIDDEN_COMMENT_SHARE
    return _Comments(proposal, author, parent, depth, stance, hidden, moment)


def _drawn(rng, shares: dict, count: int) -> np.ndarray:
    kinds = np.array(list(shares), dtype=object)
    return kinds[rng.choice(len(kinds), size=count, p=list(shares.values()))]


# What is written -----------------------------------------------------------------------


def _add_people(bulk: Bulk, rng, slug: str, size: ScaleSize, clock: _Clock) -> _People:
    """The participants, the followers and the planner who answers: one password hash for
    all (nobody logs in as them; hashing 150,000 passwords would take hours)."""
    password = hash_password(f"scale-{rng.integers(2**63):x}")
    everyone = size.participants + size.followers + 1
    ids = bulk.reserve_ids(User, everyone)
    kinds = [("deltagare", "Deltagare", size.participants), ("foljare", "Följare", size.followers)]
    emails, names = [], []
    for kind, name, count in kinds:
        emails += [f"{kind}{n:06d}.{slug}@example.org" for n in range(count)]
        names += [f"{name} {n}" for n in range(count)]
    emails.append(f"planerare.{slug}@example.org")
    names.append("Planerare")
    districts = _district_values()
    joined = _Moments(clock.proposals_from, -rng.random(everyone) * 365 * 86400)
    bulk.write(
        User,
        {
            "id": ids,
            "email": emails,
            "display_name": names,
            "pseudonym": names,
            "password_hash": password,
            "role": np.array([Role.resident] * (everyone - 1) + [Role.planner], dtype=object),
            "district": np.array(districts, dtype=object)[
                rng.choice(
                    len(districts),
                    size=everyone,
                    p=_zipf_weights(rng, len(districts), DISTRICT_EXPONENT),
                )
            ],
            "age_band": _drawn(rng, AGE_BAND_SHARES, everyone),
            "follow_what_i_join": False,
            "terms_accepted_at": joined,
            "email_verified_at": joined,
            "password_changed_at": joined,
            "created_at": joined,
        },
    )
    return _People(ids[: size.participants], ids[size.participants : everyone - 1], int(ids[-1]))


def _add_proposals(
    bulk: Bulk, rng, dialogue, size: ScaleSize, people: _People, activity, votes, comments, clock
) -> _Proposals:
    count = size.proposals
    ids = bulk.reserve_ids(Proposal, count)
    source = _drawn(rng, SOURCE_SHARES, count)
    online = source == Source.online
    if size.participants:
        author = people.participants[rng.choice(size.participants, size=count, p=activity)]
    else:
        author = np.zeros(count, dtype=np.int64)
    author = np.where(online, author, -1)
    hidden = rng.random(count) < HIDDEN_PROPOSAL_SHARE
    span = (clock.voting_from - clock.proposals_from).total_seconds()
    created = np.sort(rng.random(count)) * span
    place, lat, lon = _places(rng, count)
    tallies = {
        value: np.bincount(votes.proposal[votes.value == value], minlength=count)
        for value in VoteValue
    }
    words = np.array(WORDS, dtype=object)
    numbers = np.arange(1, count + 1)
    bulk.write(
        Proposal,
        {
            "id": ids,
            "dialogue_id": dialogue.id,
            "number": numbers,
            "author_id": _or_none(author),
            "entered_by_id": np.where(online, None, people.planner),
            "source": source,
            "title": [
                f"Förslag {n}: {a} vid {b}"
                for n, a, b in zip(
                    numbers.tolist(),
                    words[rng.integers(len(WORDS), size=count)].tolist(),
                    words[rng.integers(len(WORDS), size=count)].tolist(),
                    strict=True,
                )
            ],
            "body": [" ".join(w) for w in words[rng.integers(len(WORDS), size=(count, 40))]],
            "theme": np.array(THEMES, dtype=object)[rng.integers(len(THEMES), size=count)],
            "focus_area": np.array(dialogue.focus_areas + [None], dtype=object)[
                rng.integers(len(dialogue.focus_areas) + 1, size=count)
            ],
            "dimensions": _dimensions(rng, count),
            "place_name": place,
            "place_lat": lat,
            "place_lon": lon,
            "random_rank": rng.random(count),
            "votes_for": tallies[VoteValue.for_],
            "votes_against": tallies[VoteValue.against],
            "votes_abstain": tallies[VoteValue.abstain],
            "votes_support": tallies[VoteValue.support],
            "comment_count": np.bincount(comments.proposal[comments.shown], minlength=count),
            "moderation": np.where(hidden, Moderation.hidden, Moderation.shown),
            "moderation_reason": np.where(hidden, HIDDEN_REASON, None),
            "created_at": _Moments(clock.proposals_from, created),
            "updated_at": _Moments(clock.proposals_from, created),
        },
    )
    bulk.write(ProposalSequence, {"dialogue_id": dialogue.id, "last_number": count})
    authored = author >= 0
    bulk.write(  # authors follow their own proposals
        ProposalFollow,
        {
            "proposal_id": ids[authored],
            "user_id": author[authored],
            "created_at": _Moments(clock.proposals_from, created[authored]),
        },
    )
    _index_for_search(bulk, ids)
    return _Proposals(ids, author, hidden, created)


def _places(rng, count: int):
    """Names and points: a named place's proposals a little apart around it."""
    names = np.array(list(PLACES), dtype=object)
    points = np.array(list(PLACES.values()))
    which = rng.choice(len(names), size=count, p=_zipf_weights(rng, len(names), 1.0))
    roll = rng.random(count)
    named = roll < NAMED_PLACE_SHARE
    located = roll < NAMED_PLACE_SHARE + POINT_ONLY_SHARE
    jitter = rng.normal(0.0, 0.0008, size=(count, 2))
    lat = np.where(located, points[which, 0] + jitter[:, 0], np.nan)
    lon = np.where(located, points[which, 1] + jitter[:, 1], np.nan)
    return np.where(named, names[which], None), _or_none(lat), _or_none(lon)


def _dimensions(rng, count: int) -> list[list[str]]:
    """One, two or three of the dimensions, social the most common."""
    chosen = rng.random((count, 3)) < (0.3, 0.35, 0.7)
    chosen[~chosen.any(axis=1), 2] = True
    names = ("economic", "ecological", "social")
    return [[n for n, c in zip(names, row, strict=True) if c] for row in chosen.tolist()]


def _index_for_search(bulk: Bulk, ids: np.ndarray) -> None:
    """The proposals' search index where the database does not keep it itself."""
    if bulk.dialect.name == "postgresql" or not ids.size:
        return
    rows = db.session.execute(
        sa.select(Proposal.id, Proposal.title, Proposal.body).where(
            Proposal.id.between(int(ids.min()), int(ids.max()))
        )
    )
    for row in rows.all():
        index_for_search(row)


def _add_votes(bulk: Bulk, rng, dialogue, people: _People, proposals, votes, clock) -> None:
    voters = people.participants[votes.voter]
    span = (clock.now - clock.voting_from).total_seconds()
    bulk.write(
        Vote,
        {
            "proposal_id": proposals.ids[votes.proposal],
            "user_id": voters,
            "dialogue_id": dialogue.id,
            "value": votes.value,
            "cast_at": _Moments(clock.voting_from, rng.random(voters.size) * span),
        },
    )
    used = np.bincount(votes.voter, minlength=people.participants.size)
    voted = used > 0
    bulk.write(
        Ballot,
        {
            "dialogue_id": dialogue.id,
            "user_id": people.participants[voted],
            "votes_used": used[voted],
        },
    )


def _add_comments(
    bulk: Bulk, rng, people: _People, proposals, comments: _Comments, clock
) -> np.ndarray:
    count = comments.proposal.size
    ids = bulk.reserve_ids(Comment, count)
    by_planner = comments.author < 0
    created = proposals.created[comments.proposal]
    span = (clock.now - clock.proposals_from).total_seconds() - created
    replies = comments.parent >= 0
    hidden = comments.hidden
    bulk.write(
        Comment,
        {
            "id": ids,
            "proposal_id": proposals.ids[comments.proposal],
            "parent_id": _or_none(np.where(replies, ids[comments.parent], -1)),
            "author_id": np.where(
                by_planner, people.planner, people.participants[np.maximum(comments.author, 0)]
            ),
            "depth": comments.depth,
            "stance": comments.stance,
            "body": np.array(COMMENT_TEXTS, dtype=object)[
                rng.integers(len(COMMENT_TEXTS), size=count)
            ],
            "by_municipality": by_planner,
            "reply_count": np.bincount(comments.parent[replies & comments.shown], minlength=count),
            "moderation": np.where(hidden, Moderation.hidden, Moderation.shown),
            "moderation_reason": np.where(hidden, HIDDEN_REASON, None),
            "created_at": _Moments(clock.proposals_from, created + comments.moment * span),
        },
    )
    return ids


def _add_answers(bulk: Bulk, rng, proposals: _Proposals, popularity, planner: int, clock) -> None:
    """The municipality answers some proposals, the popular ones first; some answers are
    still drafts."""
    count = min(round(proposals.ids.size * ANSWERED_SHARE), int(np.count_nonzero(popularity)))
    if not count:
        return
    chosen = rng.choice(proposals.ids.size, size=count, replace=False, p=popularity)
    status = _drawn(rng, ANSWER_SHARES, count)
    published = rng.random(count) < PUBLISHED_ANSWER_SHARE
    created = proposals.created[chosen]
    span = (clock.now - clock.proposals_from).total_seconds() - created
    answered = _Moments(clock.proposals_from, created + rng.random(count) * span)[:]
    bulk.write(
        OfficialAnswer,
        {
            "proposal_id": proposals.ids[chosen],
            "status": status,
            "body": [ANSWER_TEXTS[s] for s in status],
            "published_at": [a if p else None for a, p in zip(answered, published, strict=True)],
            "updated_at": answered,
            "updated_by_id": planner,
        },
    )


def _add_hidden_decisions(
    bulk: Bulk, dialogue, planner: int, proposals: _Proposals, hidden_comments, clock
) -> None:
    """The moderator's decision behind each hidden proposal and comment."""
    hidden = proposals.hidden
    nothing = [None] * hidden_comments.size
    bulk.write(
        ModerationDecision,
        {
            "dialogue_id": dialogue.id,
            "proposal_id": proposals.ids[hidden].tolist() + nothing,
            "comment_id": [None] * int(hidden.sum()) + hidden_comments.tolist(),
            "author_id": _or_none(proposals.author[hidden]).tolist() + nothing,
            "moderator_id": planner,
            "action": Action.hide,
            "reason": HIDDEN_REASON,
            "created_at": clock.now,
        },
    )


def _or_none(values: np.ndarray) -> np.ndarray:
    """Missing values (NaN or a negative id) as None, the rest as they are."""
    missing = np.isnan(values) if values.dtype.kind == "f" else values < 0
    result = values.astype(object)
    result[missing] = None
    return result


# How it is written ---------------------------------------------------------------------

CHUNK_ROWS = 20_000


class Bulk:
    """Rows written as fast as the database takes them, on the session's own connection
    and transaction: COPY on PostgreSQL, one executemany per chunk on SQLite. Values go
    through the columns' own types (enums, JSON, aware timestamps), as an ORM insert
    would store them; constraints, indexes and triggers stay in force."""

    def __init__(self) -> None:
        db.session.flush()
        connection = db.session.connection()
        self.dialect = connection.dialect
        self.raw = connection.connection.driver_connection
        self.written: set[str] = set()

    def reserve_ids(self, model, count: int) -> np.ndarray:
        """`count` new primary keys: taken from the table's sequence on PostgreSQL (other
        writers get other ids); on SQLite, which has no sequences, the ones after the
        largest id (the transaction holds the database's write lock)."""
        table = model.__table__
        if self.dialect.name == "postgresql":
            taken = db.session.scalars(
                sa.select(
                    sa.func.nextval(sa.func.pg_get_serial_sequence(table.name, "id"))
                ).select_from(sa.func.generate_series(1, count))
            ).all()
            return np.asarray(taken, dtype=np.int64)
        largest = db.session.scalar(sa.select(sa.func.max(table.c.id))) or 0
        return np.arange(largest + 1, largest + 1 + count, dtype=np.int64)

    def write(self, model, columns: dict) -> None:
        """`columns` maps names to equally long sequences, or to one value for every row;
        the table's scalar defaults fill what is left out."""
        table = model.__table__
        self.written.add(table.name)
        columns = {**_scalar_defaults(table, columns), **columns}
        length = max((len(v) for v in columns.values() if _is_column(v)), default=1)
        names = list(columns)
        processors = [
            table.c[name].type.dialect_impl(self.dialect).bind_processor(self.dialect)
            for name in names
        ]
        with self._writer(table, names) as put:
            for start in range(0, length, CHUNK_ROWS):
                stop = min(start + CHUNK_ROWS, length)
                values = [
                    _stored(columns[name], processor, start, stop)
                    for name, processor in zip(names, processors, strict=True)
                ]
                put(zip(*values, strict=True))

    def analyse(self) -> None:
        """Fresh planner statistics for the tables written. Without them PostgreSQL
        plans the report's queries over a million votes as if the tables were empty
        (nested loops that ran for more than ten minutes) until autovacuum gets to
        them."""
        quote = self.dialect.identifier_preparer.quote
        for name in sorted(self.written):
            db.session.execute(sa.text(f"ANALYZE {quote(name)}"))

    def _writer(self, table: sa.Table, names: list[str]):
        quote = self.dialect.identifier_preparer.quote
        into = f"{quote(table.name)} ({', '.join(quote(n) for n in names)})"
        if self.dialect.name == "postgresql":
            return _copying(self.raw, f"COPY {into} FROM STDIN")
        marks = ", ".join("?" for _ in names)
        return _executing_many(self.raw, f"INSERT INTO {into} VALUES ({marks})")


@contextmanager
def _copying(raw, statement: str):
    """psycopg 3's COPY FROM STDIN, row by row in its text format."""
    with raw.cursor() as cursor, cursor.copy(statement) as copy:

        def put(rows: Iterable[tuple]) -> None:
            for row in rows:
                copy.write_row(row)

        yield put


@contextmanager
def _executing_many(raw, statement: str):
    cursor = raw.cursor()
    try:
        yield lambda rows: cursor.executemany(statement, list(rows))
    finally:
        cursor.close()


def _is_column(value) -> bool:
    return isinstance(value, np.ndarray | list | _Moments)


def _stored(value, processor, start: int, stop: int) -> list:
    if not _is_column(value):
        stored = processor(value) if processor else value
        return [stored] * (stop - start)
    chunk = value[start:stop]
    chunk = chunk.tolist() if isinstance(chunk, np.ndarray) else chunk
    return [processor(v) for v in chunk] if processor else chunk


def _scalar_defaults(table: sa.Table, given: dict) -> dict:
    return {
        column.name: column.default.arg
        for column in table.columns
        if column.name not in given and column.default is not None and column.default.is_scalar
    }
