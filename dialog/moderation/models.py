"""Flags residents raise on proposals and comments."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from dialog.core.db import utcnow
from dialog.extensions import db


class FlagReason(enum.Enum):
    spam = "spam"
    offensive = "offensive"
    personal_data = "personal_data"
    off_topic = "off_topic"
    other = "other"


class FlagState(enum.Enum):
    open = "open"
    # A moderator looked and left the content as it was.
    dismissed = "dismissed"
    # A moderator agreed: the content was hidden or redacted.
    upheld = "upheld"


class Flag(db.Model):
    """One account's report of one proposal or comment; an account flags an item once."""

    __tablename__ = "flag"
    __table_args__ = (
        sa.CheckConstraint("(proposal_id IS NULL) <> (comment_id IS NULL)", name="flags_one_item"),
        sa.UniqueConstraint("flagger_id", "proposal_id"),
        sa.UniqueConstraint("flagger_id", "comment_id"),
        sa.Index("ix_flag_dialogue_id_state", "dialogue_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dialogue_id: Mapped[int] = mapped_column(sa.ForeignKey("dialogue.id", ondelete="CASCADE"))
    proposal_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("proposal.id", ondelete="CASCADE"), index=True
    )
    comment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("comment.id", ondelete="CASCADE"), index=True
    )
    # An erased account's flags stay (the count stands), without the person.
    flagger_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    reason: Mapped[FlagReason] = mapped_column(
        sa.Enum(FlagReason, name="flag_reason", native_enum=False, length=16)
    )
    # Said in the flagger's own words: for "other", and optional for the rest.
    text: Mapped[str | None] = mapped_column(sa.Text)
    state: Mapped[FlagState] = mapped_column(
        sa.Enum(FlagState, name="flag_state", native_enum=False, length=16),
        default=FlagState.open,
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
