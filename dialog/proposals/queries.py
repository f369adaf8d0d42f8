"""Reads about proposals that pages and the API use."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, case, false, func, literal_column, or_, select, text, true
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.sql.elements import ColumnElement

from dialog.core import search
from dialog.dialogues.models import Capability, Dialogue
from dialog.dialogues.queries import schedule_options
from dialog.dialogues.visibility import EVERYONE
from dialog.extensions import db
from dialog.proposals.models import (
    MAX_COMMENT_DEPTH,
    AnswerStatus,
    Ballot,
    Comment,
    Dimension,
    Moderation,
    OfficialAnswer,
    Proposal,
    ProposalFollow,
    ProposalState,
    Vote,
    VoteValue,
)
from dialog.proposals.permissions import VoteStanding
from dialog.proposals.visibility import shown_comments, shown_proposals, visible_proposals

PAGE_SIZE = 20
SORTS = ("newest", "support", "agreement", "discussed", "divided", "random")
# Orders that would give away the counts while a dialogue keeps them hidden.
VOTE_SORTS = ("support", "agreement", "divided")
# Open data has no visitor to keep a random order stable for.
API_SORTS = tuple(sort for sort in SORTS if sort != "random")
DIVIDED_MIN_VOTES = 10


@dataclass
class Filters:
    theme: str | None = None
    focus_area: str | None = None
    dimension: str | None = None
    sort: str = "newest"
    random_offset: float = 0.0
    text: str | None = None
    status: str | None = None  # an answer status, or "unanswered"
    place: str | None = None

    def query_args(self) -> dict[str, str]:
        """The filters as the list page's query string (for links to other pages)."""
        args = {
            "q": self.text,
            "theme": self.theme,
            "focus_area": self.focus_area,
            "dimension": self.dimension,
            "status": self.status,
            "place": self.place,
            "sort": self.sort,
        }
        return {name: value for name, value in args.items() if value}


def _order(filters: Filters):
    support = Proposal.votes_for + Proposal.votes_support
    cast = Proposal.votes_for + Proposal.votes_against
    votes = cast + Proposal.votes_abstain + Proposal.votes_support
    if filters.sort == "support":
        return [support.desc(), Proposal.id.desc()]
    if filters.sort == "agreement":
        net = (Proposal.votes_for - Proposal.votes_against) * 1.0 / func.nullif(votes, 0)
        return [func.coalesce(net, -2).desc(), votes.desc(), Proposal.id.desc()]
    if filters.sort == "discussed":
        return [Proposal.comment_count.desc(), Proposal.id.desc()]
    if filters.sort == "divided":
        division = 1 - func.abs(Proposal.votes_for - Proposal.votes_against) * 1.0 / func.nullif(
            cast, 0
        )
        enough = case((votes >= DIVIDED_MIN_VOTES, 0), else_=1)
        return [enough, func.coalesce(division, 0).desc(), votes.desc(), Proposal.id.desc()]
    return [Proposal.created_at.desc(), Proposal.id.desc()]


DIMENSIONS = {d.value for d in Dimension}
ANSWER_STATUSES = {s.value for s in AnswerStatus}
STATUS_FILTERS = ANSWER_STATUSES | {"unanswered"}


def sorts_for(counts_shown: bool) -> tuple[str, ...]:
    return SORTS if counts_shown else tuple(s for s in SORTS if s not in VOTE_SORTS)


def default_sort(dialogue: Dialogue) -> str:
    """Random while voting runs, so no proposal gains from its place; else the newest."""
    phase = dialogue.current_phase
    return "random" if phase is not None and phase.allows(Capability.vote) else "newest"


def parse_filters(
    args,
    dialogue: Dialogue,
    *,
    counts_shown: bool,
    random_offset: float = 0.0,
    sort_default: str | None = None,
) -> Filters:
    """The filters a query string asks for, for the pages and the API alike. Values the
    dialogue does not offer are left out, so they cannot fill caches or match nothing."""
    sort = _offered(args.get("sort"), sorts_for(counts_shown))
    sort = sort or sort_default or default_sort(dialogue)
    return Filters(
        theme=_offered(args.get("theme"), dialogue.themes),
        focus_area=_offered(args.get("focus_area"), dialogue.focus_areas),
        dimension=_offered(args.get("dimension"), DIMENSIONS),
        sort=sort,
        random_offset=random_offset if sort == "random" else 0.0,
        text=(args.get("q") or "").strip()[:200] or None,
        status=_offered(args.get("status"), STATUS_FILTERS),
        place=args.get("place") or None,
    )


def _offered(value: str | None, choices) -> str | None:
    return value if value in choices else None


def _answer_status_is(status: str):
    published = select(OfficialAnswer.proposal_id).where(OfficialAnswer.published_at.is_not(None))
    if status == "unanswered":
        return Proposal.id.not_in(published)
    if status not in ANSWER_STATUSES:
        return true()
    return Proposal.id.in_(published.where(OfficialAnswer.status == AnswerStatus(status)))


def listed(dialogue: Dialogue):
    """The dialogue's published proposals as everyone sees them: lists are cached for all."""
    return and_(
        Proposal.dialogue_id == dialogue.id,
        Proposal.state == ProposalState.published,
        shown_proposals(EVERYONE),
    )


def place_names(dialogue: Dialogue) -> list[str]:
    return list(
        db.session.scalars(
            select(Proposal.place_name)
            .distinct()
            .where(listed(dialogue), Proposal.place_name.is_not(None))
            .order_by(Proposal.place_name)
        )
    )


@dataclass
class Page:
    """One page of proposals, with what page links need."""

    items: list[Proposal]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return -(-self.total // self.per_page)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None


def proposals_page(
    dialogue: Dialogue, filters: Filters, page: int, per_page: int = PAGE_SIZE
) -> Page:
    query = filtered_proposals(dialogue, filters)
    total = db.session.scalar(query.with_only_columns(func.count(Proposal.id)))
    start = (page - 1) * per_page
    if filters.sort == "random":
        items = _rotated(query, filters.random_offset, start, per_page)
    else:
        items = _fetch(query.order_by(*_order(filters)).offset(start).limit(per_page))
    return Page(items=items, page=page, per_page=per_page, total=total)


def _fetch(query) -> list[Proposal]:
    return list(db.session.scalars(query.options(joinedload(Proposal.author))))


def rotation(query, offset: float):
    """The ranks from the visitor's offset up, then the ranks below it: two range scans
    of the (dialogue_id, random_rank) index, never a sort of the whole dialogue."""
    order = Proposal.random_rank
    return (
        query.where(Proposal.random_rank >= offset).order_by(order),
        query.where(Proposal.random_rank < offset).order_by(order),
    )


def _rotated(query, offset: float, start: int, count: int) -> list[Proposal]:
    upper, lower = rotation(query, offset)
    in_upper = db.session.scalar(upper.with_only_columns(func.count(Proposal.id)).order_by(None))
    first = _fetch(upper.offset(start).limit(count))
    # Always asked, if only for no rows: the page costs the same queries wherever it falls.
    rest = _fetch(lower.offset(max(start - in_upper, 0)).limit(count - len(first)))
    return first + rest


def filtered_proposals(dialogue: Dialogue, filters: Filters):
    """The dialogue's published proposals that pass the filters, in no order yet."""
    query = select(Proposal).where(listed(dialogue))
    if filters.theme:
        query = query.where(Proposal.theme == filters.theme)
    if filters.focus_area:
        query = query.where(Proposal.focus_area == filters.focus_area)
    if filters.text:
        query = query.where(searched(dialogue, filters.text))
    if filters.place:
        query = query.where(Proposal.place_name == filters.place)
    if filters.status:
        query = query.where(_answer_status_is(filters.status))
    if filters.dimension in DIMENSIONS:
        # JSON lists compared as text keep this portable between SQLite and PostgreSQL.
        query = query.where(
            func.cast(Proposal.dimensions, db.String).like(f'%"{filters.dimension}"%')
        )
    return query


def published_statuses(proposal_ids: list[int]) -> dict[int, AnswerStatus]:
    """Each proposal's published answer status (a draft's never shows), in one query."""
    if not proposal_ids:
        return {}
    rows = db.session.execute(
        select(OfficialAnswer.proposal_id, OfficialAnswer.status).where(
            OfficialAnswer.proposal_id.in_(proposal_ids), OfficialAnswer.published_at.is_not(None)
        )
    )
    return {proposal_id: status for proposal_id, status in rows}


def proposal(proposal_id: int) -> Proposal | None:
    """A proposal with its author, and its dialogue's schedule and planners."""
    return db.session.scalar(
        select(Proposal)
        .options(joinedload(Proposal.author), *schedule_options(joinedload(Proposal.dialogue)))
        .where(Proposal.id == proposal_id)
    )


def votes_of(user, proposal_ids: list[int]) -> dict[int, VoteValue]:
    """The person's vote on each of the proposals they voted on."""
    if not user.is_authenticated or not proposal_ids:
        return {}
    rows = db.session.execute(
        select(Vote.proposal_id, Vote.value).where(
            Vote.user_id == user.id, Vote.proposal_id.in_(proposal_ids)
        )
    )
    return {proposal_id: value for proposal_id, value in rows}


def vote_standings(user, proposals: list[Proposal]) -> dict[int, VoteStanding]:
    """Each proposal's standing for the person, in two statements however many there are
    (the proposals share one dialogue)."""
    if not user.is_authenticated or not proposals:
        return {p.id: VoteStanding() for p in proposals}
    votes = votes_of(user, [p.id for p in proposals])
    used = db.session.scalar(
        select(Ballot.votes_used).where(
            Ballot.dialogue_id == proposals[0].dialogue_id, Ballot.user_id == user.id
        )
    )
    return {p.id: VoteStanding(current=votes.get(p.id), used=used or 0) for p in proposals}


def vote_standing(user, proposal: Proposal) -> VoteStanding:
    """The person's vote on the proposal and the votes they have used in its dialogue."""
    if not user.is_authenticated:
        return VoteStanding()
    current = (
        select(Vote.value)
        .where(Vote.proposal_id == proposal.id, Vote.user_id == user.id)
        .scalar_subquery()
    )
    used = (
        select(Ballot.votes_used)
        .where(Ballot.dialogue_id == proposal.dialogue_id, Ballot.user_id == user.id)
        .scalar_subquery()
    )
    row = db.session.execute(select(current.label("current"), used.label("used"))).one()
    return VoteStanding(current=row.current, used=row.used or 0)


COMMENTS_PER_PAGE = 20


def _comments(user, *conditions):
    return (
        select(Comment)
        .options(joinedload(Comment.author))
        .where(shown_comments(user), *conditions)
        .order_by(Comment.created_at, Comment.id)
    )


def top_level_comments(proposal: Proposal, page: int, user):
    query = _comments(user, Comment.proposal_id == proposal.id, Comment.parent_id.is_(None))
    return db.paginate(query, page=page, per_page=COMMENTS_PER_PAGE, error_out=False)


def replies(comment: Comment, user) -> list[Comment]:
    return list(db.session.scalars(_comments(user, Comment.parent_id == comment.id)))


def counted_comments(model=Comment) -> ColumnElement[bool]:
    """The comments that count on their proposal and parent: those residents can read,
    shown and not deleted (the counters follow it through moderation.change_counts)."""
    return and_(model.moderation == Moderation.shown, model.deleted_at.is_(None))


# Replies shown under each comment; a comment whose replies the person was sent to (a
# reply just written, a comment deleted in a long thread) shows more of them.
INLINE_REPLIES = 3
OPENED_REPLIES = 50
REPLIES_PER_LOAD = 10


@dataclass
class Thread:
    """The replies shown under each comment of a page, and how many each has in all."""

    shown: dict[int, list[Comment]] = field(default_factory=dict)
    totals: dict[int, int] = field(default_factory=dict)

    def under(self, comment: Comment) -> list[Comment]:
        return self.shown.get(comment.id, [])

    def more(self, comment: Comment) -> int:
        """How many replies to the comment are not shown yet."""
        return self.totals.get(comment.id, 0) - len(self.under(comment))


def thread_below(parents: list[Comment], user, *, depth: int, opened=()) -> Thread:
    """The first replies to each of `parents` (all of one `depth`), and theirs, down to
    the deepest level: one statement per level, however many comments there are."""
    thread = Thread()
    level = [comment.id for comment in parents]
    while depth < MAX_COMMENT_DEPTH:
        rows = db.session.execute(_first_replies(level, user, tuple(opened))).all()
        for reply, total in rows:
            thread.shown.setdefault(reply.parent_id, []).append(reply)
            thread.totals[reply.parent_id] = total
        level, depth = [reply.id for reply, _ in rows], depth + 1
    return thread


def _first_replies(parent_ids: list[int], user, opened: tuple[int, ...]):
    order = (Comment.created_at, Comment.id)
    ranked = (
        select(
            Comment.id,
            func.row_number().over(partition_by=Comment.parent_id, order_by=order).label("rank"),
            func.count().over(partition_by=Comment.parent_id).label("total"),
        )
        .where(shown_comments(user), Comment.parent_id.in_(parent_ids))
        .subquery()
    )
    limit = case((Comment.parent_id.in_(opened), OPENED_REPLIES), else_=INLINE_REPLIES)
    return (
        select(Comment, ranked.c.total)
        .join(ranked, ranked.c.id == Comment.id)
        .options(joinedload(Comment.author))
        .where(ranked.c.rank <= limit)
        .order_by(*order)
    )


def replies_from(comment: Comment, user, start: int) -> tuple[list[Comment], int]:
    """The next replies to the comment after the first `start`, and how many it has."""
    query = _comments(user, Comment.parent_id == comment.id)
    total = db.session.scalar(
        select(func.count()).where(shown_comments(user), Comment.parent_id == comment.id)
    )
    return list(db.session.scalars(query.offset(start).limit(REPLIES_PER_LOAD))), total


def place_of(comment: Comment, user) -> dict:
    """Where the comment is on its proposal's page: the page of comments its thread
    starts on, and the comments above it whose replies must be opened to show it."""
    above = [comment.parent_id] if comment.parent_id is not None else []
    if comment.depth == MAX_COMMENT_DEPTH:
        above.append(db.session.scalar(select(Comment.parent_id).where(Comment.id == above[0])))
    root = aliased(Comment)
    earlier = db.session.scalar(
        select(func.count(Comment.id))
        .join(root, root.proposal_id == Comment.proposal_id)
        .where(
            root.id == (above[-1] if above else comment.id),
            Comment.parent_id.is_(None),
            shown_comments(user),
            or_(
                Comment.created_at < root.created_at,
                and_(Comment.created_at == root.created_at, Comment.id < root.id),
            ),
        )
    )
    place: dict = {"open": above} if above else {}
    if earlier >= COMMENTS_PER_PAGE:
        place["comments_page"] = earlier // COMMENTS_PER_PAGE + 1
    return place


def comment(comment_id: int) -> Comment | None:
    """A comment with its author, its proposal and the proposal's dialogue."""
    return db.session.scalar(
        select(Comment)
        .options(
            joinedload(Comment.author),
            *schedule_options(joinedload(Comment.proposal).joinedload(Proposal.dialogue)),
        )
        .where(Comment.id == comment_id)
    )


def answer(proposal: Proposal) -> OfficialAnswer | None:
    return db.session.scalar(
        select(OfficialAnswer).where(OfficialAnswer.proposal_id == proposal.id)
    )


def latest_department(dialogue_id: int) -> str | None:
    """The department that answered last in the dialogue: a planner's next answer usually
    comes from the same one, so the form offers it."""
    named = func.coalesce(OfficialAnswer.draft_department, OfficialAnswer.department)
    return db.session.scalar(
        select(named)
        .join(Proposal, Proposal.id == OfficialAnswer.proposal_id)
        .where(Proposal.dialogue_id == dialogue_id, named.is_not(None))
        .order_by(OfficialAnswer.updated_at.desc(), OfficialAnswer.id.desc())
        .limit(1)
    )


def is_following(proposal: Proposal, user) -> bool:
    if not user.is_authenticated:
        return False
    return (
        db.session.scalar(
            select(ProposalFollow.id).where(
                ProposalFollow.proposal_id == proposal.id, ProposalFollow.user_id == user.id
            )
        )
        is not None
    )


SQLITE_MATCH = text("SELECT rowid FROM proposal_search WHERE proposal_search MATCH :match")
SWEDISH_DOCUMENT = func.to_tsvector(
    literal_column("'swedish'"), Proposal.title + " " + Proposal.body
)


def searched(dialogue: Dialogue, text: str):
    """A WHERE clause for what the search box finds: the proposal its text names when it
    is one of this dialogue's references ("STK-0003", "stk 3"), else the proposals with
    every word, a word of three letters or more also as the start of a longer one."""
    reference = search.reference(text)
    if reference is not None and reference.prefix == dialogue.reference_prefix.upper():
        # Only the number: the text of a reference would find other proposals on one
        # database and not the other (PostgreSQL reads "STK-0003" as "stk" and "-0003").
        return Proposal.number == reference.number
    return matches(text, any_word=False, prefixes=True)


def matches(words: str, *, any_word: bool, prefixes: bool = False):
    """A WHERE clause: proposals whose title or body contain the words (Swedish stems),
    with `prefixes` also the words that start with them (search.fts5_query)."""
    if db.session.get_bind().dialect.name == "postgresql":
        query = search.tsquery_text(words, any_word=any_word, prefixes=prefixes)
        if query is None:
            return false()
        return SWEDISH_DOCUMENT.op("@@")(func.to_tsquery(literal_column("'swedish'"), query))
    match = search.fts5_query(words, any_word=any_word, prefixes=prefixes)
    if match is None:
        return false()
    return Proposal.id.in_(SQLITE_MATCH.bindparams(match=match).columns(rowid=db.Integer))


def referenced_proposal(text: str | None, dialogue: Dialogue, user) -> int | None:
    """The id of the proposal a search text names by its reference, when the person may
    see it in a list (a held, hidden or pending one stays unnamed, but for its author):
    in this dialogue first, else in the one other dialogue with that prefix they see."""
    reference = search.reference(text)
    if reference is None:
        return None
    rows = db.session.execute(
        select(Proposal.id, Proposal.dialogue_id)
        .join(Dialogue, Dialogue.id == Proposal.dialogue_id)
        .where(
            func.upper(Dialogue.reference_prefix) == reference.prefix,
            Proposal.number == reference.number,
            visible_proposals(user),
        )
        .order_by(case((Proposal.dialogue_id == dialogue.id, 0), else_=1), Proposal.id)
        .limit(2)
    ).all()
    # Prefixes need not be unique: a reference two other dialogues share names neither.
    if rows and (rows[0].dialogue_id == dialogue.id or len(rows) == 1):
        return rows[0].id
    return None


SIMILAR_LIMIT = 5


def similar(dialogue: Dialogue, title: str, body: str = "") -> list[Proposal]:
    """Up to five visible proposals sharing the most words with a draft, best first."""
    words = f"{title} {title} {body}"
    if db.session.get_bind().dialect.name == "postgresql":
        query = search.tsquery_text(words, any_word=True)
        if query is None:
            return []
        rank = func.ts_rank(SWEDISH_DOCUMENT, func.to_tsquery(literal_column("'swedish'"), query))
    else:
        match = search.fts5_query(words, any_word=True)
        if match is None:
            return []
        ranked = (
            text(
                "SELECT rowid, bm25(proposal_search) AS score FROM proposal_search "
                "WHERE proposal_search MATCH :match"
            )
            .bindparams(match=match)
            .columns(rowid=db.Integer, score=db.Float)
            .subquery()
        )
        rank = -ranked.c.score
    statement = (
        select(Proposal)
        .where(listed(dialogue), matches(words, any_word=True))
        .order_by(rank.desc(), Proposal.id.desc())
        .limit(SIMILAR_LIMIT)
    )
    if db.session.get_bind().dialect.name != "postgresql":
        statement = statement.join(ranked, ranked.c.rowid == Proposal.id)
    return list(db.session.scalars(statement))


def all_comments(proposal: Proposal, user) -> list[Comment]:
    """Every comment of a proposal the person may see, in thread order."""
    return list(db.session.scalars(_comments(user, Comment.proposal_id == proposal.id)))


def placed_proposals(dialogue: Dialogue) -> list[Proposal]:
    """Published proposals that name a place or a point, grouped by place name."""
    return list(
        db.session.scalars(
            select(Proposal)
            .where(
                listed(dialogue),
                (Proposal.place_name.is_not(None)) | (Proposal.place_lat.is_not(None)),
            )
            .order_by(Proposal.place_name, Proposal.number)
        )
    )


@dataclass(frozen=True)
class Located:
    """A listed proposal's point, for a map: only what a marker shows."""

    id: int
    title: str
    place_name: str | None
    lat: float
    lon: float


def located_proposals(dialogue: Dialogue, limit: int) -> tuple[list[Located], int]:
    """Up to `limit` listed proposals with a point (the newest first), and how many
    have one in all."""
    rows = db.session.execute(
        select(
            Proposal.id, Proposal.title, Proposal.place_name, Proposal.place_lat, Proposal.place_lon
        )
        .where(listed(dialogue), Proposal.place_lat.is_not(None))
        .order_by(Proposal.number.desc())
        .limit(limit)
    ).all()
    total = len(rows)
    if total == limit:
        total = db.session.scalar(
            select(func.count()).where(listed(dialogue), Proposal.place_lat.is_not(None))
        )
    return [Located(*row) for row in rows], total


def named_place_points(dialogue: Dialogue) -> dict[str, tuple[float, float]]:
    """Where each of the dialogue's named places lies, as far as its listed proposals
    with a point tell (their mean): a named place stores no coordinates of its own."""
    names = list(dialogue.named_places or [])
    if not names:
        return {}
    rows = db.session.execute(
        select(Proposal.place_name, func.avg(Proposal.place_lat), func.avg(Proposal.place_lon))
        .where(listed(dialogue), Proposal.place_lat.is_not(None), Proposal.place_name.in_(names))
        .group_by(Proposal.place_name)
    ).all()
    return {name: (float(lat), float(lon)) for name, lat, lon in rows}
