"""Dialogues, their phases and the phase kinds that decide what people may do."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dialog.core.db import utcnow
from dialog.core.models import StoredFile
from dialog.extensions import db

if TYPE_CHECKING:
    from dialog.accounts.models import User


def new_listing_version() -> str:
    return secrets.token_hex(8)


class DialogueState(enum.Enum):
    draft = "draft"
    published = "published"
    archived = "archived"


class Visibility(enum.Enum):
    public = "public"
    invited = "invited"


class VoteMode(enum.Enum):
    for_against = "for_against"  # för / emot / avstår
    support = "support"  # support only


class VoteCounts(enum.Enum):
    live = "live"  # shown while voting runs
    after_voting = "after_voting"  # shown from the result phase on


class Capability(enum.Enum):
    propose = "propose"
    comment = "comment"
    reply = "reply"
    revise = "revise"
    vote = "vote"
    answer = "answer"
    show_results = "show_results"


class PhaseKind(enum.Enum):
    information = "information"
    proposals = "proposals"
    dialogue = "dialogue"
    voting = "voting"
    review = "review"
    result = "result"


C = Capability
# The registry: what each kind of phase lets people do. Schedules live in the database.
PHASE_CAPABILITIES: dict[PhaseKind, frozenset[Capability]] = {
    PhaseKind.information: frozenset(),
    PhaseKind.proposals: frozenset({C.propose, C.comment, C.reply}),
    PhaseKind.dialogue: frozenset({C.comment, C.reply, C.revise}),
    PhaseKind.voting: frozenset({C.vote}),
    PhaseKind.review: frozenset({C.answer}),
    PhaseKind.result: frozenset({C.show_results, C.answer}),
}


def capabilities_for(kind: PhaseKind, overrides: dict[str, bool] | None) -> frozenset[Capability]:
    granted = set(PHASE_CAPABILITIES[kind])
    for name, allowed in (overrides or {}).items():
        (granted.add if allowed else granted.discard)(Capability(name))
    return frozenset(granted)


class RetentionAction(enum.Enum):
    """What the retention decision (gallringsbeslut) does to contributions when due."""

    anonymise = "anonymise"  # the texts stay as public records, no person is named
    remove = "remove"  # proposals, comments and votes are thinned out (gallras)


class Dialogue(db.Model):
    __tablename__ = "dialogue"
    __table_args__ = (
        sa.CheckConstraint(
            "votes_per_participant IS NULL OR votes_per_participant >= 1",
            name="votes_per_participant_positive",
        ),
        sa.CheckConstraint(
            "(place_lat IS NULL) = (place_lon IS NULL)", name="place_point_complete"
        ),
        sa.CheckConstraint(
            "place_lat IS NULL OR (place_lat BETWEEN -90 AND 90 AND place_lon BETWEEN -180 AND 180)",
            name="place_point_in_range",
        ),
        sa.CheckConstraint(
            "retention_months IS NULL OR retention_months BETWEEN 1 AND 1200",
            name="retention_months_range",
        ),
        sa.CheckConstraint("flag_threshold BETWEEN 1 AND 100", name="flag_threshold_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    # Proposal references read PREFIX-0042; derived from the slug unless an admin sets it.
    reference_prefix: Mapped[str] = mapped_column(sa.String(8))
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.Text)
    background: Mapped[str] = mapped_column(sa.Text, default="")
    place_name: Mapped[str] = mapped_column(sa.String(200), default="")
    place_lat: Mapped[float | None]
    place_lon: Mapped[float | None]
    place_area: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    # Places residents can pick for a proposal (Marenplan, Stora torget, ...).
    named_places: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    themes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    focus_areas: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    state: Mapped[DialogueState] = mapped_column(
        sa.Enum(DialogueState, name="dialogue_state", native_enum=False, length=16),
        default=DialogueState.draft,
    )
    visibility: Mapped[Visibility] = mapped_column(
        sa.Enum(Visibility, name="dialogue_visibility", native_enum=False, length=16),
        default=Visibility.public,
    )
    vote_mode: Mapped[VoteMode] = mapped_column(
        sa.Enum(VoteMode, name="vote_mode", native_enum=False, length=16),
        default=VoteMode.for_against,
    )
    votes_per_participant: Mapped[int | None]
    vote_counts: Mapped[VoteCounts] = mapped_column(
        sa.Enum(VoteCounts, name="vote_counts", native_enum=False, length=16),
        default=VoteCounts.live,
    )
    # A new random value whenever what the dialogue's proposal lists show changes (a vote,
    # a comment, a proposal, an answer, the dialogue's own settings). Cached list
    # fragments are keyed by it, so nobody is served counts older than the stored votes;
    # random rather than a counter so that keys never repeat, even for a reused id.
    listing_version: Mapped[str] = mapped_column(sa.String(16), default=new_listing_version)
    # Renewed with it when what residents can read changes (a text added, edited, hidden,
    # deleted or withdrawn), not for a vote or an answer: a published report's words are
    # checked again against the texts when it changes.
    texts_version: Mapped[str | None] = mapped_column(sa.String(16), default=new_listing_version)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # The retention decision: thin this many months after the dialogue closes (its last
    # phase that takes input ends); none keeps the records (bevaras). See accounts/privacy.py.
    retention_months: Mapped[int | None]
    retention_action: Mapped[RetentionAction] = mapped_column(
        sa.Enum(RetentionAction, name="retention_action", native_enum=False, length=16),
        default=RetentionAction.anonymise,
    )
    thinned_at: Mapped[datetime | None]
    # Moderation (dialog/moderation): flags from this many accounts hold an item until a
    # moderator decides; new proposals or comments can wait for approval, all of them or
    # those holding a word from the administrators' list.
    flag_threshold: Mapped[int] = mapped_column(default=3)
    premoderate_proposals: Mapped[bool] = mapped_column(default=False)
    premoderate_comments: Mapped[bool] = mapped_column(default=False)
    screen_words: Mapped[bool] = mapped_column(default=False)

    phases: Mapped[list[Phase]] = relationship(
        back_populates="dialogue", order_by="Phase.starts_at", cascade="all, delete-orphan"
    )
    planners: Mapped[list[DialoguePlanner]] = relationship(
        back_populates="dialogue", cascade="all, delete-orphan"
    )

    @property
    def is_public(self) -> bool:
        return self.visibility is Visibility.public

    @property
    def is_archived(self) -> bool:
        return self.state is DialogueState.archived

    @property
    def state_changes(self) -> list[DialogueState]:
        """The states an administrator can move the dialogue to, in the order offered."""
        order = (DialogueState.published, DialogueState.archived, DialogueState.draft)
        return [state for state in order if state is not self.state]

    @property
    def uses_support_votes(self) -> bool:
        return self.vote_mode is VoteMode.support

    def phase_at(self, moment: datetime) -> Phase | None:
        for phase in self.phases:
            if phase.contains(moment):
                return phase
        return None

    @property
    def current_phase(self) -> Phase | None:
        return self.phase_at(utcnow())


class Phase(db.Model):
    __tablename__ = "phase"
    __table_args__ = (
        sa.CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="ends_after_start"),
        sa.Index("ix_phase_dialogue_id_starts_at", "dialogue_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dialogue_id: Mapped[int] = mapped_column(sa.ForeignKey("dialogue.id", ondelete="CASCADE"))
    kind: Mapped[PhaseKind] = mapped_column(
        sa.Enum(PhaseKind, name="phase_kind", native_enum=False, length=16)
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    # {"vote": true, "comment": false}: an admin's exceptions to the kind's capabilities.
    capability_overrides: Mapped[dict[str, bool]] = mapped_column(sa.JSON, default=dict)

    dialogue: Mapped[Dialogue] = relationship(back_populates="phases")

    @property
    def capabilities(self) -> frozenset[Capability]:
        return capabilities_for(self.kind, self.capability_overrides)

    def allows(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def contains(self, moment: datetime) -> bool:
        return self.starts_at <= moment and (self.ends_at is None or moment < self.ends_at)


class DialogueAttachment(db.Model):
    """An image or a document (a PDF) in a dialogue's background, through the file
    storage: images shown in the background with their description, documents listed."""

    __tablename__ = "dialogue_attachment"
    __table_args__ = (
        sa.Index("ix_dialogue_attachment_dialogue_id_position", "dialogue_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dialogue_id: Mapped[int] = mapped_column(sa.ForeignKey("dialogue.id", ondelete="CASCADE"))
    file_id: Mapped[int] = mapped_column(
        sa.ForeignKey("stored_file.id", ondelete="CASCADE"), index=True
    )
    # The link text of a document, the caption of an image.
    title: Mapped[str] = mapped_column(sa.String(200))
    # What an image shows, for those who cannot see it (WCAG 1.1.1); empty for documents.
    alt_text: Mapped[str] = mapped_column(sa.String(500), default="")
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    file: Mapped[StoredFile] = relationship(lazy="joined")

    @property
    def is_image(self) -> bool:
        return self.file.content_type.startswith("image/")


class DialoguePlanner(db.Model):
    __tablename__ = "dialogue_planner"
    __table_args__ = (sa.UniqueConstraint("dialogue_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dialogue_id: Mapped[int] = mapped_column(
        sa.ForeignKey("dialogue.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)

    dialogue: Mapped[Dialogue] = relationship(back_populates="planners")
    user: Mapped[User] = relationship()


class TransitionEvent(enum.Enum):
    started = "started"
    ending_soon = "ending_soon"
    ended = "ended"


class PhaseTransition(db.Model):
    """A phase event recorded once per scheduled instant; a reschedule records again."""

    __tablename__ = "phase_transition"
    __table_args__ = (sa.UniqueConstraint("phase_id", "event", "scheduled_for"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phase_id: Mapped[int] = mapped_column(sa.ForeignKey("phase.id", ondelete="CASCADE"), index=True)
    event: Mapped[TransitionEvent] = mapped_column(
        sa.Enum(TransitionEvent, name="transition_event", native_enum=False, length=16)
    )
    scheduled_for: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class DialogueFollow(db.Model):
    __tablename__ = "dialogue_follow"
    __table_args__ = (sa.UniqueConstraint("dialogue_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dialogue_id: Mapped[int] = mapped_column(
        sa.ForeignKey("dialogue.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def new_invitation_nonce() -> str:
    return secrets.token_hex(8)


class Invitation(db.Model):
    """An address invited to an invite-only dialogue.

    The link carries the invitation's id and nonce, signed: a new nonce (re-inviting after
    a revocation) makes every earlier link stop working. The invitation opens the dialogue
    to an account whose confirmed address is the invited one (`user_id`, `accepted_at`
    record which account accepted, and when), and to accounts staff let in on request.
    """

    __tablename__ = "invitation"
    __table_args__ = (sa.UniqueConstraint("dialogue_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dialogue_id: Mapped[int] = mapped_column(
        sa.ForeignKey("dialogue.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(sa.String(254))
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    # NULL only for invitations sent before links carried a nonce; their links keep
    # working until the invitation is renewed.
    token_nonce: Mapped[str | None] = mapped_column(sa.String(32), default=new_invitation_nonce)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    access_requests: Mapped[list[AccessRequest]] = relationship(
        back_populates="invitation", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AccessRequestState(enum.Enum):
    pending = "pending"
    approved = "approved"
    refused = "refused"


class AccessRequest(db.Model):
    """Someone followed an invitation link from an account with another address and
    asked to be let in; the dialogue's staff approve or refuse. An approved request opens
    the dialogue to that account while the invitation is active; revoking the invitation
    removes its requests."""

    __tablename__ = "access_request"
    __table_args__ = (sa.UniqueConstraint("invitation_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("invitation.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[AccessRequestState] = mapped_column(
        sa.Enum(AccessRequestState, name="access_request_state", native_enum=False, length=16),
        default=AccessRequestState.pending,
    )
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )

    invitation: Mapped[Invitation] = relationship(back_populates="access_requests")
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def is_pending(self) -> bool:
        return self.state is AccessRequestState.pending
