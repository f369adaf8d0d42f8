"""Reads about dialogues that pages use."""

from __future__ import annotations

from sqlalchemy import select

from dialog.dialogues.models import Dialogue, DialogueState
from dialog.extensions import db


def published_dialogues() -> list[Dialogue]:
    return list(
        db.session.scalars(
            select(Dialogue)
            .where(Dialogue.state == DialogueState.published)
            .order_by(Dialogue.created_at.desc())
        )
    )


def published_dialogue(slug: str) -> Dialogue | None:
    return db.session.scalar(
        select(Dialogue).where(Dialogue.slug == slug, Dialogue.state == DialogueState.published)
    )
