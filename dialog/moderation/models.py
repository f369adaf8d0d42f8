"""Flags residents raise on proposals and comments."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dialog.core.db import utcnow
from dialog.extensions import db

if TYPE_CHECKING:
    from dialog.dialogues.models import Dialogue


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


class Action(enum.Enum):
    """What a moderator did to an item (or its author)."""

    approve = "approve"  # let a pending or held item through
    hide = "hide"
    restore = "restore"  # show a hidden item again
    dismiss = "dismiss"  # the flags were wrong: the item stays or comes back
    redact = "redact"  # personal data taken out of the text
    block = "block"  # the author may not take part in the dialogue for a while


class ModerationDecision(db.Model):
    """One moderator's action on one item, with the reason the author is told. The audit
    log holds the same; this row is what the queue, the author's history and a review
    request refer to."""

    __tablename__ = "moderation_decision"
    __table_args__ = (
        sa.CheckConstraint(
            "(proposal_id IS NULL) <> (comment_id IS NULL)", name="decisions_one_item"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dialogue_id: Mapped[int] = mapped_column(
        sa.ForeignKey("dialogue.id", ondelete="CASCADE"), index=True
    )
    proposal_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("proposal.id", ondelete="CASCADE"), index=True
    )
    comment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("comment.id", ondelete="CASCADE"), index=True
    )
    # Whose content it was: the author's history in the queue.
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    moderator_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[Action] = mapped_column(
        sa.Enum(Action, name="moderation_action", native_enum=False, length=16)
    )
    reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    dialogue: Mapped[Dialogue] = relationship()


class ReviewRequest(db.Model):
    """An author's request, once per decision, that another moderator look again."""

    __tablename__ = "review_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(
        sa.ForeignKey("moderation_decision.id", ondelete="CASCADE"), unique=True
    )
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    reason: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    reviewed_at: Mapped[datetime | None]
    # True: the decision was reversed; False: it stands.
    reversed: Mapped[bool | None]

    decision: Mapped[ModerationDecision] = relationship()


class RedactedOriginal(db.Model):
    """The words a redaction took out, for the moderators to check the redaction against,
    and deleted after AUDIT_PII_RETENTION_DAYS: the personal data it removed must not live
    on in the append-only audit log, nor here for good."""

    __tablename__ = "redacted_original"

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(
        sa.ForeignKey("moderation_decision.id", ondelete="CASCADE"), index=True
    )
    field: Mapped[str] = mapped_column(sa.String(16))
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    decision: Mapped[ModerationDecision] = relationship()


class Block(db.Model):
    """An author kept from taking part in one dialogue until `ends_at`."""

    __tablename__ = "author_block"
    __table_args__ = (sa.Index("ix_author_block_dialogue_id_user_id", "dialogue_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dialogue_id: Mapped[int] = mapped_column(sa.ForeignKey("dialogue.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    decision_id: Mapped[int] = mapped_column(
        sa.ForeignKey("moderation_decision.id", ondelete="CASCADE"), index=True
    )
    ends_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    decision: Mapped[ModerationDecision] = relationship()


class ScreenedWord(db.Model):
    """A word (or the start of one) that sends a new item to pre-moderation in the
    dialogues that screen for words; administrators keep the list."""

    __tablename__ = "screened_word"

    id: Mapped[int] = mapped_column(primary_key=True)
    word: Mapped[str] = mapped_column(sa.String(80), unique=True)
    added_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
