"""Reads about dialogues that pages and the API use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, func, select, union
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from dialog.core.db import utcnow
from dialog.dialogues.models import (
    AccessRequest,
    AccessRequestState,
    Dialogue,
    DialogueAttachment,
    DialogueFollow,
    DialoguePlanner,
    DialogueState,
    Invitation,
)
from dialog.dialogues.timeline import OPEN, UPCOMING, Standing, standing
from dialog.dialogues.visibility import EVERYONE, visible_dialogues
from dialog.extensions import db


def schedule_options(path=None) -> tuple:
    """Loader options for what a dialogue's permissions read (its phases and planners),
    on the dialogue itself or along a path from another entity (a proposal's dialogue)."""
    load = path.selectinload if path is not None else selectinload
    return load(Dialogue.phases), load(Dialogue.planners)


def _with_schedule(query):
    return query.options(*schedule_options())


def dialogue_by_slug(slug: str) -> Dialogue | None:
    return _one_with_schedule(Dialogue.slug == slug)


def dialogue_by_id(dialogue_id: int) -> Dialogue | None:
    return _one_with_schedule(Dialogue.id == dialogue_id)


def _one_with_schedule(condition) -> Dialogue | None:
    # Read on nearly every page: one statement, the few phases and planners joined in.
    query = select(Dialogue).options(joinedload(Dialogue.phases), joinedload(Dialogue.planners))
    return db.session.scalars(query.where(condition)).unique().one_or_none()


def listed_dialogues(user) -> list[Dialogue]:
    """The start page: published dialogues this person may see, newest first."""
    query = _with_schedule(select(Dialogue)).where(
        visible_dialogues(user), Dialogue.state != DialogueState.draft
    )
    return list(db.session.scalars(query.order_by(Dialogue.created_at.desc())))


@dataclass
class DialogueGroups:
    """The start page's sections, each a list of `timeline.Standing` (the dialogue and
    what its card says about where it stands)."""

    open: list[Standing]
    upcoming: list[Standing]
    finished: list[Standing]


def grouped(dialogues: list[Dialogue], now: datetime | None = None) -> DialogueGroups:
    now = now or utcnow()
    groups = DialogueGroups([], [], [])
    sections = {OPEN: groups.open, UPCOMING: groups.upcoming}
    for dialogue in dialogues:
        where = standing(dialogue, now)
        sections.get(where.state, groups.finished).append(where)
    return groups


def hiding_consequences(dialogue: Dialogue) -> HidingConsequences:
    """What residents lose sight of when the dialogue goes back to draft or is archived:
    the proposals they can see now, and who follows it."""
    from dialog.proposals.models import Moderation, Proposal  # proposals import dialogues

    proposals = db.session.scalar(
        select(func.count())
        .select_from(Proposal)
        .where(Proposal.dialogue_id == dialogue.id, Proposal.moderation == Moderation.shown)
    )
    followers = db.session.scalar(
        select(func.count())
        .select_from(DialogueFollow)
        .where(DialogueFollow.dialogue_id == dialogue.id)
    )
    return HidingConsequences(proposals=proposals or 0, followers=followers or 0)


@dataclass(frozen=True)
class HidingConsequences:
    proposals: int
    followers: int


@dataclass(frozen=True)
class Figures:
    open_dialogues: int
    proposals: int
    participants: int


def start_figures(public: list[Dialogue], now: datetime | None = None) -> Figures:
    """The start page's figures over the dialogues everyone may see: how many are open,
    the proposals residents can read in them, and the people who proposed, commented or
    voted there. Cached under the dialogues' listing versions, which every proposal,
    comment and vote renews, so the figures are never older than the lists."""
    from dialog.core import page_cache  # core's package imports every domain

    open_now = sum(1 for d in public if standing(d, now or utcnow()).state == OPEN)
    versions = ",".join(f"{d.id}:{d.listing_version}" for d in sorted(public, key=lambda d: d.id))
    proposals, participants = page_cache.fragment(
        f"start-figures:{versions}", lambda: _contributions([d.id for d in public])
    )
    return Figures(open_now, proposals, participants)


def _contributions(dialogue_ids: list[int]) -> tuple[int, int]:
    from dialog.proposals.models import Comment, Moderation, Proposal, Vote

    shown = and_(Proposal.dialogue_id.in_(dialogue_ids), Proposal.moderation == Moderation.shown)
    proposals = db.session.scalar(select(func.count(Proposal.id)).where(shown))
    people = union(
        select(Proposal.author_id.label("person")).where(shown),
        select(Comment.author_id).join(Proposal, Comment.proposal_id == Proposal.id).where(shown),
        select(Vote.user_id).where(Vote.dialogue_id.in_(dialogue_ids)),
    ).subquery()
    participants = db.session.scalar(
        select(func.count()).select_from(people).where(people.c.person.is_not(None))
    )
    return proposals or 0, participants or 0


def public_dialogues_page(page: int, per_page: int):
    """Published dialogues everyone may see, newest first, for the open-data API."""
    query = (
        select(Dialogue)
        .options(selectinload(Dialogue.phases))
        .where(visible_dialogues(EVERYONE), Dialogue.state != DialogueState.draft)
        .order_by(Dialogue.created_at.desc(), Dialogue.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)


def is_following(dialogue: Dialogue, user) -> bool:
    if not user.is_authenticated:
        return False
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    DialogueFollow.dialogue_id == dialogue.id, DialogueFollow.user_id == user.id
                )
            )
        )
    )


def all_dialogues() -> list[Dialogue]:
    return list(
        db.session.scalars(_with_schedule(select(Dialogue)).order_by(Dialogue.created_at.desc()))
    )


def invitations(dialogue: Dialogue) -> list[Invitation]:
    """Active first, each with the account that accepted it."""
    return list(
        db.session.scalars(
            select(Invitation)
            .options(joinedload(Invitation.user))
            .where(Invitation.dialogue_id == dialogue.id)
            .order_by(Invitation.revoked_at.is_not(None), Invitation.email)
        )
    )


def access_requests(dialogue: Dialogue) -> list[AccessRequest]:
    """Requests through the dialogue's invitation links, those waiting first, each with
    who asked, through which invitation, and who decided."""
    return list(
        db.session.scalars(
            select(AccessRequest)
            .join(AccessRequest.invitation)
            .options(
                contains_eager(AccessRequest.invitation),
                joinedload(AccessRequest.user),
                joinedload(AccessRequest.decided_by),
            )
            .where(Invitation.dialogue_id == dialogue.id)
            .order_by(
                AccessRequest.state != AccessRequestState.pending,
                AccessRequest.requested_at.desc(),
                AccessRequest.id.desc(),
            )
        )
    )


def access_request(request_id: int) -> AccessRequest | None:
    return db.session.scalars(
        select(AccessRequest)
        .options(joinedload(AccessRequest.invitation))
        .where(AccessRequest.id == request_id)
    ).one_or_none()


def planners(dialogue: Dialogue):
    from dialog.accounts.models import User

    return list(
        db.session.scalars(
            select(User)
            .join(DialoguePlanner, DialoguePlanner.user_id == User.id)
            .where(DialoguePlanner.dialogue_id == dialogue.id)
            .order_by(User.display_name)
        )
    )


def attachments(dialogue_id: int) -> list[DialogueAttachment]:
    """The dialogue's background images and documents, in their order, with their files."""
    return list(
        db.session.scalars(
            select(DialogueAttachment)
            .where(DialogueAttachment.dialogue_id == dialogue_id)
            .order_by(DialogueAttachment.position, DialogueAttachment.id)
        )
    )


def attachment(attachment_id: int) -> DialogueAttachment | None:
    return db.session.get(DialogueAttachment, attachment_id)
