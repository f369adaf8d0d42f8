"""Reads about dialogues that pages and the API use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from dialog.core.db import utcnow
from dialog.dialogues.models import (
    Dialogue,
    DialogueFollow,
    DialoguePlanner,
    DialogueState,
    Invitation,
    Phase,
    Visibility,
)
from dialog.extensions import db


def _with_schedule(query):
    return query.options(selectinload(Dialogue.phases), selectinload(Dialogue.planners))


def dialogue_by_slug(slug: str) -> Dialogue | None:
    return _one_with_schedule(Dialogue.slug == slug)


def dialogue_by_id(dialogue_id: int) -> Dialogue | None:
    return _one_with_schedule(Dialogue.id == dialogue_id)


def _one_with_schedule(condition) -> Dialogue | None:
    # Read on nearly every page: one statement, the few phases and planners joined in.
    query = select(Dialogue).options(joinedload(Dialogue.phases), joinedload(Dialogue.planners))
    return db.session.scalars(query.where(condition)).unique().one_or_none()


def is_invited(dialogue: Dialogue, user) -> bool:
    """An active invitation bound to the account, or to its confirmed address."""
    match = Invitation.user_id == user.id
    if user.is_verified:
        match = or_(match, Invitation.email == user.email)
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Invitation.dialogue_id == dialogue.id, Invitation.revoked_at.is_(None), match
                )
            )
        )
    )


def listed_dialogues(user) -> list[Dialogue]:
    """Published dialogues a person may see: public ones, and invite-only ones they are
    invited to or plan."""
    query = _with_schedule(select(Dialogue)).where(Dialogue.state != DialogueState.draft)
    if not (user.is_authenticated and user.is_admin):
        visible = Dialogue.visibility == Visibility.public
        if user.is_authenticated:
            invited = exists().where(
                Invitation.dialogue_id == Dialogue.id,
                Invitation.revoked_at.is_(None),
                or_(
                    Invitation.user_id == user.id,
                    Invitation.email == user.email if user.is_verified else False,
                ),
            )
            planning = exists().where(
                DialoguePlanner.dialogue_id == Dialogue.id, DialoguePlanner.user_id == user.id
            )
            visible = or_(visible, invited, planning)
        query = query.where(visible)
    return list(db.session.scalars(query.order_by(Dialogue.created_at.desc())))


@dataclass
class DialogueGroups:
    open: list[Dialogue]
    upcoming: list[Dialogue]
    finished: list[Dialogue]


def grouped(dialogues: list[Dialogue], now: datetime | None = None) -> DialogueGroups:
    now = now or utcnow()
    groups = DialogueGroups([], [], [])
    for dialogue in dialogues:
        if dialogue.state is DialogueState.archived:
            groups.finished.append(dialogue)
        elif dialogue.phase_at(now) is not None:
            groups.open.append(dialogue)
        elif any(phase.starts_at > now for phase in dialogue.phases) or not dialogue.phases:
            groups.upcoming.append(dialogue)
        else:
            groups.finished.append(dialogue)
    return groups


def public_dialogues_page(page: int, per_page: int):
    """Published public dialogues, newest first, for the open-data API."""
    query = (
        select(Dialogue)
        .options(selectinload(Dialogue.phases))
        .where(Dialogue.state != DialogueState.draft, Dialogue.visibility == Visibility.public)
        .order_by(Dialogue.created_at.desc(), Dialogue.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)


def public_dialogue(slug: str) -> Dialogue | None:
    dialogue = dialogue_by_slug(slug)
    if dialogue is None or dialogue.state is DialogueState.draft or not dialogue.is_public:
        return None
    return dialogue


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


def follower_count(dialogue: Dialogue) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(DialogueFollow)
        .where(DialogueFollow.dialogue_id == dialogue.id)
    )


def all_dialogues() -> list[Dialogue]:
    return list(
        db.session.scalars(_with_schedule(select(Dialogue)).order_by(Dialogue.created_at.desc()))
    )


def invitations(dialogue: Dialogue) -> list[Invitation]:
    return list(
        db.session.scalars(
            select(Invitation)
            .where(Invitation.dialogue_id == dialogue.id)
            .order_by(Invitation.revoked_at.is_not(None), Invitation.email)
        )
    )


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


def phase_by_id(phase_id: int) -> Phase | None:
    return db.session.get(Phase, phase_id)
