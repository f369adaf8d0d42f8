"""Reads about dialogues that pages and the API use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from dialog.core.db import utcnow
from dialog.dialogues.models import (
    AccessRequest,
    AccessRequestState,
    Dialogue,
    DialogueFollow,
    DialoguePlanner,
    DialogueState,
    Invitation,
)
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
