"""Reads for moderation: flags, blocks, screening on arrival, and the moderators' queue."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import has_request_context, request
from sqlalchemy import Select, exists, func, literal, or_, select, union_all
from sqlalchemy.orm import joinedload, selectinload

from dialog.core.db import utcnow
from dialog.core.paging import PageLinks
from dialog.dialogues.models import Dialogue, DialoguePlanner
from dialog.dialogues.visibility import has_staff_role, is_admin
from dialog.extensions import db
from dialog.moderation.models import (
    Action,
    Block,
    Flag,
    FlagReason,
    FlagState,
    ModerationDecision,
    RedactedOriginal,
    ReviewRequest,
    ScreenedWord,
)
from dialog.proposals.models import Comment, Moderation, Proposal

QUEUE_PAGE_SIZE = 25
# What the queue can show; "open" is everything waiting for a moderator.
QUEUE_STATES = ("open", "pending", "held", "flagged", "review", "hidden")


def has_flagged(user, item) -> bool:
    column = Flag.comment_id if isinstance(item, Comment) else Flag.proposal_id
    return db.session.scalar(select(exists().where(column == item.id, Flag.flagger_id == user.id)))


# Blocks --------------------------------------------------------------------------------


def active_block(user, dialogue: Dialogue) -> Block | None:
    """The block keeping this person out of the dialogue now, if any; read once per
    request and dialogue, since every permission on a page asks."""
    if not user.is_authenticated:
        return None
    # Kept with the request (an app context can outlive it, in tests and the shell).
    memo = request.environ.setdefault("dialog.active_blocks", {}) if has_request_context() else {}
    key = (user.id, dialogue.id)
    if key not in memo:
        memo[key] = db.session.scalar(
            select(Block)
            .options(joinedload(Block.decision))
            .where(Block.user_id == user.id, Block.dialogue_id == dialogue.id)
            .where(Block.ends_at > utcnow())
            .order_by(Block.ends_at.desc())
            .limit(1)
        )
    return memo[key]


# Screening on arrival ------------------------------------------------------------------


def arrival_state(dialogue: Dialogue, *, is_proposal: bool, texts: tuple[str, ...]) -> Moderation:
    """Pending when the dialogue pre-moderates this kind of item, or screens for words
    and one of the texts holds one; shown otherwise."""
    premoderated = dialogue.premoderate_proposals if is_proposal else dialogue.premoderate_comments
    if premoderated:
        return Moderation.pending
    if dialogue.screen_words and screened_word_in(" ".join(texts)):
        return Moderation.pending
    return Moderation.shown


def screened_word_in(text: str) -> str | None:
    """The first listed word that a word of the text begins with ("idiot" catches
    "idioterna"), compared without regard to case."""
    words = set(re.findall(r"\w+", text.casefold()))
    if not words:
        return None
    for listed in screened_word_rows():
        if any(word.startswith(listed.word) for word in words):
            return listed.word
    return None


def screened_word_rows() -> list[ScreenedWord]:
    return list(db.session.scalars(select(ScreenedWord).order_by(ScreenedWord.word)))


# The queue -----------------------------------------------------------------------------


def moderated_dialogues(user) -> list[Dialogue]:
    """The dialogues whose queue this person works: all for an administrator, the ones
    they plan for a planner."""
    query = select(Dialogue).order_by(Dialogue.title)
    if not is_admin(user):
        if not (user.is_authenticated and has_staff_role(user)):
            return []
        query = query.where(
            Dialogue.id.in_(
                select(DialoguePlanner.dialogue_id).where(DialoguePlanner.user_id == user.id)
            )
        )
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class QueueFilters:
    dialogue_ids: tuple[int, ...]
    state: str = "open"
    reason: FlagReason | None = None


@dataclass
class QueueItem:
    kind: str  # "proposal" or "comment"
    item: Proposal | Comment
    flags: list[Flag] = field(default_factory=list)
    decisions: list[ModerationDecision] = field(default_factory=list)
    review: ReviewRequest | None = None

    @property
    def key(self) -> str:
        return f"{self.kind[0]}{self.item.id}"


@dataclass
class QueuePage(PageLinks):
    items: list[QueueItem]
    page: int
    per_page: int
    total: int
    histories: dict[int, AuthorHistory]


@dataclass(frozen=True)
class AuthorHistory:
    proposals: int = 0
    comments: int = 0
    hidden: int = 0
    blocks: int = 0


def queue_page(filters: QueueFilters, page: int) -> QueuePage:
    """Most flags first, then the oldest: what harms most and has waited longest."""
    rows = _queue_rows(filters).subquery()
    total = db.session.scalar(select(func.count()).select_from(rows))
    keys = db.session.execute(
        select(rows.c.kind, rows.c.id)
        .order_by(rows.c.open_flags.desc(), rows.c.created_at, rows.c.kind, rows.c.id)
        .limit(QUEUE_PAGE_SIZE)
        .offset((page - 1) * QUEUE_PAGE_SIZE)
    ).all()
    items = _load_items(keys)
    return QueuePage(
        items, page, QUEUE_PAGE_SIZE, total, author_histories(items, filters.dialogue_ids)
    )


def waiting_count(dialogue_id: int) -> int:
    """What the queue holds open for one dialogue, as its first page counts it."""
    rows = _queue_rows(QueueFilters(dialogue_ids=(dialogue_id,))).subquery()
    return db.session.scalar(select(func.count()).select_from(rows))


def _queue_rows(filters: QueueFilters) -> Select:
    return union_all(
        _rows_of(Proposal, "proposal", Proposal.dialogue_id, filters),
        _rows_of(Comment, "comment", Proposal.dialogue_id, filters).join(
            Proposal, Proposal.id == Comment.proposal_id
        ),
    )


def _rows_of(model, kind: str, dialogue_id, filters: QueueFilters) -> Select:
    query = select(
        literal(kind).label("kind"),
        model.id.label("id"),
        model.open_flags.label("open_flags"),
        model.created_at.label("created_at"),
    ).where(dialogue_id.in_(filters.dialogue_ids))
    query = query.where(_in_state(model, filters.state))
    if filters.reason is not None:
        query = query.where(_flagged_for(model, filters.reason))
    return query


def _in_state(model, state: str):
    review = _under_review(model)
    return {
        "open": or_(
            model.moderation.in_((Moderation.pending, Moderation.held)),
            model.open_flags > 0,
            review,
        ),
        "pending": model.moderation == Moderation.pending,
        "held": model.moderation == Moderation.held,
        "flagged": model.open_flags > 0,
        "review": review,
        "hidden": model.moderation == Moderation.hidden,
    }[state]


def _item_column(model, table):
    return table.comment_id if model is Comment else table.proposal_id


def _under_review(model):
    return exists().where(
        ReviewRequest.reviewed_at.is_(None),
        ReviewRequest.decision_id == ModerationDecision.id,
        _item_column(model, ModerationDecision) == model.id,
    )


def _flagged_for(model, reason: FlagReason):
    return exists().where(
        _item_column(model, Flag) == model.id, Flag.state == FlagState.open, Flag.reason == reason
    )


def _load_items(keys) -> list[QueueItem]:
    """The page's items with their context, open flags, decisions and review requests, in
    a fixed number of statements whatever the page holds."""
    proposal_ids = [id_ for kind, id_ in keys if kind == "proposal"]
    comment_ids = [id_ for kind, id_ in keys if kind == "comment"]
    proposals = (
        {
            p.id: p
            for p in db.session.scalars(
                select(Proposal)
                .options(joinedload(Proposal.dialogue), joinedload(Proposal.author))
                .where(Proposal.id.in_(proposal_ids))
            )
        }
        if proposal_ids
        else {}
    )
    comments = (
        {
            c.id: c
            for c in db.session.scalars(
                select(Comment)
                .options(
                    joinedload(Comment.author),
                    joinedload(Comment.proposal).joinedload(Proposal.dialogue),
                    selectinload(Comment.parent),
                )
                .where(Comment.id.in_(comment_ids))
            )
        }
        if comment_ids
        else {}
    )
    items = [
        QueueItem(kind, proposals[id_] if kind == "proposal" else comments[id_])
        for kind, id_ in keys
    ]
    attach_details(items)
    return items


def attach_details(items: list[QueueItem]) -> None:
    """Each item's open flags, decisions and open review request: three statements for
    the lot."""
    by_key = {item.key: item for item in items}
    proposal_ids = [entry.item.id for entry in items if entry.kind == "proposal"]
    comment_ids = [entry.item.id for entry in items if entry.kind == "comment"]

    def key_of(row) -> str:
        return f"c{row.comment_id}" if row.comment_id else f"p{row.proposal_id}"

    def of_items(model):
        return or_(model.proposal_id.in_(proposal_ids), model.comment_id.in_(comment_ids))

    if not items:
        return
    for flag in db.session.scalars(
        select(Flag).where(of_items(Flag), Flag.state == FlagState.open).order_by(Flag.created_at)
    ):
        by_key[key_of(flag)].flags.append(flag)
    for decision in db.session.scalars(
        select(ModerationDecision)
        .where(of_items(ModerationDecision))
        .order_by(ModerationDecision.created_at, ModerationDecision.id)
    ):
        by_key[key_of(decision)].decisions.append(decision)
    for review in db.session.scalars(
        select(ReviewRequest)
        .join(ReviewRequest.decision)
        .options(joinedload(ReviewRequest.decision))
        .where(of_items(ModerationDecision), ReviewRequest.reviewed_at.is_(None))
    ):
        by_key[key_of(review.decision)].review = review


def author_histories(items: list[QueueItem], dialogue_ids) -> dict[int, AuthorHistory]:
    """For each author on the page, within the dialogues this moderator moderates: what
    they wrote, how much of it was hidden, and how often they were blocked; four grouped
    statements for the whole page."""
    author_ids = {item.item.author_id for item in items if item.item.author_id is not None}
    if not author_ids:
        return {}

    def counted(query) -> dict[int, int]:
        return dict(db.session.execute(query).all())

    proposals = counted(
        select(Proposal.author_id, func.count())
        .where(Proposal.author_id.in_(author_ids), Proposal.dialogue_id.in_(dialogue_ids))
        .group_by(Proposal.author_id)
    )
    comments = counted(
        select(Comment.author_id, func.count())
        .join(Proposal, Proposal.id == Comment.proposal_id)
        .where(Comment.author_id.in_(author_ids), Proposal.dialogue_id.in_(dialogue_ids))
        .group_by(Comment.author_id)
    )
    hidden = counted(
        select(ModerationDecision.author_id, func.count())
        .where(
            ModerationDecision.author_id.in_(author_ids),
            ModerationDecision.dialogue_id.in_(dialogue_ids),
            ModerationDecision.action == Action.hide,
        )
        .group_by(ModerationDecision.author_id)
    )
    blocks = counted(
        select(Block.user_id, func.count())
        .where(Block.user_id.in_(author_ids), Block.dialogue_id.in_(dialogue_ids))
        .group_by(Block.user_id)
    )
    return {
        author: AuthorHistory(
            proposals.get(author, 0),
            comments.get(author, 0),
            hidden.get(author, 0),
            blocks.get(author, 0),
        )
        for author in author_ids
    }


def find_item(kind: str, item_id: int) -> Proposal | Comment | None:
    if kind == "proposal":
        return db.session.scalar(
            select(Proposal).options(joinedload(Proposal.dialogue)).where(Proposal.id == item_id)
        )
    return db.session.scalar(
        select(Comment)
        .options(joinedload(Comment.proposal).joinedload(Proposal.dialogue))
        .where(Comment.id == item_id)
    )


def redacted(item) -> bool:
    """Whether a redaction of the item stands: one a review reversed no longer counts."""
    column = _item_column(type(item), ModerationDecision)
    reversed_by_review = exists().where(
        ReviewRequest.decision_id == ModerationDecision.id, ReviewRequest.reversed.is_(True)
    )
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    column == item.id,
                    ModerationDecision.action == Action.redact,
                    ~reversed_by_review,
                )
            )
        )
    )


def originals_of(decision: ModerationDecision) -> list[RedactedOriginal]:
    """The words a redaction took out, while they are kept: for its reviewer."""
    return list(
        db.session.scalars(
            select(RedactedOriginal)
            .where(RedactedOriginal.decision_id == decision.id)
            .order_by(RedactedOriginal.field)
        )
    )


def review_of(decision: ModerationDecision) -> ReviewRequest | None:
    return db.session.scalar(select(ReviewRequest).where(ReviewRequest.decision_id == decision.id))


def decision(decision_id: int) -> ModerationDecision | None:
    return db.session.get(ModerationDecision, decision_id)


# The author's own contributions (their page, dialog/accounts/my_page.py) -------------


def latest_decisions_about(
    user, proposal_ids, comment_ids
) -> dict[str, tuple[ModerationDecision, ReviewRequest | None]]:
    """Per item ("p12", "c7") of the person's own among those given, the latest decision
    about it and its review request, if any: one statement for a page of items."""
    if not (proposal_ids or comment_ids):
        return {}
    rows = db.session.execute(
        select(ModerationDecision, ReviewRequest)
        .outerjoin(ReviewRequest, ReviewRequest.decision_id == ModerationDecision.id)
        .where(
            ModerationDecision.author_id == user.id,
            or_(
                ModerationDecision.proposal_id.in_(proposal_ids),
                ModerationDecision.comment_id.in_(comment_ids),
            ),
        )
        .order_by(ModerationDecision.created_at, ModerationDecision.id)
    ).all()
    latest = {}
    for decision, review in rows:
        key = f"c{decision.comment_id}" if decision.comment_id else f"p{decision.proposal_id}"
        latest[key] = (decision, review)
    return latest
