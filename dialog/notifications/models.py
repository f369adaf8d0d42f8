"""What people are told: notifications in the app, what each person wants by email, and
one delivery record per email sent."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dialog.core.db import utcnow
from dialog.extensions import db


class Category(enum.Enum):
    """What a person chooses how often to hear about, by email."""

    phases = "phases"  # a dialogue they follow: a phase started, ends soon, ended
    comments = "comments"  # a comment on their proposal, a reply to their comment
    answers = "answers"  # an answer or status on a proposal they wrote, follow or voted on
    my_content = "my_content"  # a moderator's decision about what they wrote
    moderation = "moderation"  # for moderators: new reports, items waiting for review
    reports = "reports"  # for planners: a knowledge-base report they asked for is ready


class Frequency(enum.Enum):
    immediately = "immediately"
    daily = "daily"
    weekly = "weekly"
    off = "off"


DEFAULT_FREQUENCY = Frequency.daily


class Notification(db.Model):
    """One thing that happened, for one person; made once per event and person."""

    __tablename__ = "notification"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "user_id"),
        sa.Index("ix_notification_user_id_read_at", "user_id", "read_at"),
        # What the morning's digests look for: unread, carried by no email yet.
        sa.Index(
            "ix_notification_undigested",
            "user_id",
            postgresql_where=sa.text("mailed_in IS NULL AND read_at IS NULL"),
            sqlite_where=sa.text("mailed_in IS NULL AND read_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    # The event it came from; emptied when the outbox forgets settled events.
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("outbox_event.id", ondelete="SET NULL")
    )
    category: Mapped[Category] = mapped_column(
        sa.Enum(Category, name="notification_category", native_enum=False, length=16)
    )
    kind: Mapped[str] = mapped_column(sa.String(32))
    dialogue_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("dialogue.id", ondelete="CASCADE"), index=True
    )
    proposal_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("proposal.id", ondelete="CASCADE"), index=True
    )
    comment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("comment.id", ondelete="CASCADE"), index=True
    )
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    # The email that carries it: "email" when sent as it happened, or the key of the
    # digest; so no email carries it twice.
    mailed_in: Mapped[str | None] = mapped_column(sa.String(24))

    dialogue = relationship("Dialogue", lazy="raise_on_sql")
    proposal = relationship("Proposal", lazy="raise_on_sql")


class Preference(db.Model):
    """How often a person wants email about a category; without a row, the default."""

    __tablename__ = "notification_preference"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[Category] = mapped_column(
        sa.Enum(Category, name="notification_category", native_enum=False, length=16),
        primary_key=True,
    )
    frequency: Mapped[Frequency] = mapped_column(
        sa.Enum(Frequency, name="notification_frequency", native_enum=False, length=16)
    )


class Channel(enum.Enum):
    email = "email"  # one notification, sent as it happens
    digest = "digest"  # the day's or the week's notifications in one email


class DeliveryStatus(enum.Enum):
    pending = "pending"
    sent = "sent"
    # Given up on: a permanent refusal, or the retries used up; an administrator may retry.
    dead = "dead"
    # Not sent, and never will be: the address bounced or the person turned it off since.
    skipped = "skipped"


def new_message_token() -> str:
    return secrets.token_hex(16)


class Delivery(db.Model):
    """One email to one person: claimed by a worker before it is sent and marked sent
    once the server has accepted it, so an accepted mail is never sent again. Its
    Message-ID is made from `message_token`, the same on every attempt."""

    __tablename__ = "notification_delivery"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "channel", "user_id"),
        sa.UniqueConstraint("user_id", "digest_key"),
        sa.Index("ix_notification_delivery_status_next_attempt_at", "status", "next_attempt_at"),
        # The sweeper's question "is mail being sent?" is the newest sent_at.
        sa.Index("ix_notification_delivery_sent_at", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[Channel] = mapped_column(
        sa.Enum(Channel, name="notification_channel", native_enum=False, length=16)
    )
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("outbox_event.id", ondelete="SET NULL")
    )
    notification_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("notification.id", ondelete="CASCADE"), index=True
    )
    # "daily:2026-12-02" or "weekly:2026-W49": one digest per person and period.
    digest_key: Mapped[str | None] = mapped_column(sa.String(24))
    status: Mapped[DeliveryStatus] = mapped_column(
        sa.Enum(DeliveryStatus, name="notification_delivery_status", native_enum=False, length=16),
        default=DeliveryStatus.pending,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None]
    message_token: Mapped[str] = mapped_column(sa.String(32), default=new_message_token)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
