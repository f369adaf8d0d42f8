"""Dialogues: one co-creation process about a place or a plan."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from dialog.core.db import utcnow
from dialog.extensions import db


class DialogueState(enum.Enum):
    draft = "draft"
    published = "published"
    archived = "archived"


class Dialogue(db.Model):
    __tablename__ = "dialogue"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.Text)
    background: Mapped[str] = mapped_column(sa.Text, default="")
    place_name: Mapped[str] = mapped_column(sa.String(200), default="")
    state: Mapped[DialogueState] = mapped_column(
        sa.Enum(DialogueState, name="dialogue_state", native_enum=False, length=16),
        default=DialogueState.draft,
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
