"""Proposals, their votes, comments, follows and official answers."""

from __future__ import annotations

import enum
import random
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dialog.core.db import utcnow
from dialog.extensions import db

if TYPE_CHECKING:
    from dialog.accounts.models import User
    from dialog.dialogues.models import Dialogue


class Source(enum.Enum):
    """Where input came from; one list used by forms, reports and imports."""

    online = "online"
    workshop = "workshop"
    letter = "letter"
    phone = "phone"
    email = "email"
    import_ = "import"


class Dimension(enum.Enum):
    economic = "economic"  # ekonomisk
    ecological = "ecological"  # ekologisk
    social = "social"  # social


class ProposalState(enum.Enum):
    published = "published"
    withdrawn = "withdrawn"


class Moderation(enum.Enum):
    """Where a proposal or comment stands with the moderators."""

    shown = "shown"
    # Waiting for approval (the dialogue pre-moderates): only its author and the staff see it.
    pending = "pending"
    # Flagged by as many accounts as the dialogue's threshold: out of sight until decided.
    held = "held"
    # A moderator hid it, with a reason the page shows in its place.
    hidden = "hidden"


def _moderation_column():
    return mapped_column(
        sa.Enum(Moderation, name="moderation", native_enum=False, length=16),
        default=Moderation.shown,
    )


class VoteValue(enum.Enum):
    for_ = "for"
    against = "against"
    abstain = "abstain"
    support = "support"

    @property
    def is_abstention(self) -> bool:
        return self is VoteValue.abstain


def _random_rank() -> float:
    return random.random()


class ProposalSequence(db.Model):
    """The last reference number handed out in a dialogue; its row lock serialises them."""

    __tablename__ = "proposal_sequence"

    dialogue_id: Mapped[int] = mapped_column(
        sa.ForeignKey("dialogue.id", ondelete="CASCADE"), primary_key=True
    )
    last_number: Mapped[int] = mapped_column(default=0)


class Proposal(db.Model):
    __tablename__ = "proposal"
    __table_args__ = (
        sa.UniqueConstraint("dialogue_id", "number"),
        sa.CheckConstraint(
            "votes_for >= 0 AND votes_against >= 0 AND votes_abstain >= 0 "
            "AND votes_support >= 0 AND comment_count >= 0",
            name="counts_not_negative",
        ),
        sa.CheckConstraint(
            "(place_lat IS NULL) = (place_lon IS NULL)", name="place_point_complete"
        ),
        sa.Index("ix_proposal_dialogue_id_random_rank", "dialogue_id", "random_rank"),
        sa.Index("ix_proposal_dialogue_id_created_at", "dialogue_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dialogue_id: Mapped[int] = mapped_column(sa.ForeignKey("dialogue.id", ondelete="CASCADE"))
    number: Mapped[int]
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    entered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    source: Mapped[Source] = mapped_column(
        sa.Enum(
            Source,
            name="input_source",
            native_enum=False,
            length=16,
            values_callable=lambda kinds: [k.value for k in kinds],
        ),
        default=Source.online,
    )
    # Input received another way: who sent it (the dialogue's staff alone see it, and the
    # retention decision empties it), the day it arrived and the municipality's case
    # number (diarienummer), which is public.
    sender_name: Mapped[str | None] = mapped_column(sa.String(200), info={"personal": True})
    received_on: Mapped[date | None]
    case_number: Mapped[str | None] = mapped_column(sa.String(50))
    title: Mapped[str] = mapped_column(sa.String(150))
    body: Mapped[str] = mapped_column(sa.Text)
    theme: Mapped[str | None] = mapped_column(sa.String(200))
    focus_area: Mapped[str | None] = mapped_column(sa.String(200))
    dimensions: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    place_name: Mapped[str | None] = mapped_column(sa.String(200))
    place_lat: Mapped[float | None]
    place_lon: Mapped[float | None]
    image_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("stored_file.id", ondelete="SET NULL"), index=True
    )
    state: Mapped[ProposalState] = mapped_column(
        sa.Enum(ProposalState, name="proposal_state", native_enum=False, length=16),
        default=ProposalState.published,
    )
    withdrawn_reason: Mapped[str | None] = mapped_column(sa.Text)
    random_rank: Mapped[float] = mapped_column(default=_random_rank)
    votes_for: Mapped[int] = mapped_column(default=0)
    votes_against: Mapped[int] = mapped_column(default=0)
    votes_abstain: Mapped[int] = mapped_column(default=0)
    votes_support: Mapped[int] = mapped_column(default=0)
    comment_count: Mapped[int] = mapped_column(default=0)
    moderation: Mapped[Moderation] = _moderation_column()
    moderation_reason: Mapped[str | None] = mapped_column(sa.Text)
    # Flags not yet decided on, each from a different account (dialog/moderation).
    open_flags: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    # One way only: the dialogues domain does not know about proposals.
    dialogue: Mapped[Dialogue] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    comments: Mapped[list[Comment]] = relationship(
        back_populates="proposal", passive_deletes=True, order_by="Comment.created_at"
    )

    @property
    def total_votes(self) -> int:
        return self.votes_for + self.votes_against + self.votes_abstain + self.votes_support

    @property
    def reference(self) -> str:
        return format_reference(self.dialogue.reference_prefix, self.number)

    @property
    def is_withdrawn(self) -> bool:
        return self.state is ProposalState.withdrawn

    @property
    def came_online(self) -> bool:
        return self.source is Source.online

    @property
    def is_shown(self) -> bool:
        return self.moderation is Moderation.shown


def format_reference(prefix: str, number: int) -> str:
    """STK-0042: how a proposal is referred to on pages, in mail and in open data."""
    return f"{prefix}-{number:04d}"


class Vote(db.Model):
    __tablename__ = "vote"
    __table_args__ = (sa.UniqueConstraint("proposal_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("proposal.id", ondelete="CASCADE"), index=True
    )
    # None once the voter's account is erased or the dialogue thinned: the vote still
    # counts but names nobody (NULLs never collide in the unique constraint).
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    dialogue_id: Mapped[int] = mapped_column(
        sa.ForeignKey("dialogue.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[VoteValue] = mapped_column(
        sa.Enum(
            VoteValue,
            name="vote_value",
            native_enum=False,
            length=16,
            values_callable=lambda kinds: [k.value for k in kinds],
        )
    )
    cast_at: Mapped[datetime] = mapped_column(default=utcnow)


class Ballot(db.Model):
    """One per person and dialogue: the row that is locked while a vote is counted, so a
    vote limit holds under concurrent requests."""

    __tablename__ = "ballot"
    __table_args__ = (sa.UniqueConstraint("dialogue_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dialogue_id: Mapped[int] = mapped_column(
        sa.ForeignKey("dialogue.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    votes_used: Mapped[int] = mapped_column(default=0)


class Stance(enum.Enum):
    for_ = "for"
    against = "against"
    neutral = "neutral"


MAX_COMMENT_DEPTH = 3
COMMENT_EDIT_WINDOW = timedelta(minutes=15)


class Comment(db.Model):
    __tablename__ = "comment"
    __table_args__ = (
        sa.CheckConstraint("depth BETWEEN 1 AND 3", name="depth_range"),
        sa.Index(
            "ix_comment_proposal_id_parent_id_created_at", "proposal_id", "parent_id", "created_at"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("comment.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    depth: Mapped[int] = mapped_column(default=1)
    stance: Mapped[Stance] = mapped_column(
        sa.Enum(
            Stance,
            name="comment_stance",
            native_enum=False,
            length=16,
            values_callable=lambda kinds: [k.value for k in kinds],
        ),
        default=Stance.neutral,
    )
    body: Mapped[str] = mapped_column(sa.Text)
    by_municipality: Mapped[bool] = mapped_column(default=False)
    reply_count: Mapped[int] = mapped_column(default=0)
    moderation: Mapped[Moderation] = _moderation_column()
    moderation_reason: Mapped[str | None] = mapped_column(sa.Text)
    open_flags: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]

    proposal: Mapped[Proposal] = relationship(back_populates="comments")
    author: Mapped[User | None] = relationship()
    # Read by the moderators' queue, for a reply's context; threads load replies by query.
    parent: Mapped[Comment | None] = relationship(remote_side=[id], lazy="raise_on_sql")

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_shown(self) -> bool:
        return self.moderation is Moderation.shown


class AnswerStatus(enum.Enum):
    under_review = "under_review"
    accepted = "accepted"
    partly_accepted = "partly_accepted"
    rejected = "rejected"
    implemented = "implemented"


DEPARTMENT_LENGTH = 120  # "Stadsbyggnadsförvaltningen, enheten för ..." fits


class OfficialAnswer(db.Model):
    """The municipality's answer to a proposal: a status and a text, drafted then published."""

    __tablename__ = "official_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("proposal.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[AnswerStatus] = mapped_column(
        sa.Enum(AnswerStatus, name="answer_status", native_enum=False, length=16)
    )
    body: Mapped[str] = mapped_column(sa.Text)
    # The department (förvaltning) that answers, as residents read it.
    department: Mapped[str | None] = mapped_column(sa.String(DEPARTMENT_LENGTH))
    published_at: Mapped[datetime | None]
    # When residents' words last changed after the first publication ("updated ...").
    revised_at: Mapped[datetime | None]
    # Changes to a published answer saved as a draft: residents keep seeing the published
    # status, text and department until the changes are published too.
    draft_status: Mapped[AnswerStatus | None] = mapped_column(
        sa.Enum(AnswerStatus, name="answer_status", native_enum=False, length=16)
    )
    draft_body: Mapped[str | None] = mapped_column(sa.Text)
    draft_department: Mapped[str | None] = mapped_column(sa.String(DEPARTMENT_LENGTH))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def has_draft_changes(self) -> bool:
        return self.draft_body is not None

    @property
    def working_copy(self) -> tuple[AnswerStatus, str, str | None]:
        """What planners continue from: the draft changes, or the answer itself."""
        if self.has_draft_changes:
            return self.draft_status, self.draft_body, self.draft_department
        return self.status, self.body, self.department


class ProposalFollow(db.Model):
    __tablename__ = "proposal_follow"
    __table_args__ = (sa.UniqueConstraint("proposal_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("proposal.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
