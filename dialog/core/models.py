"""Cross-cutting tables: the outbox, the audit log, stored files and job locks."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dialog.core.db import utcnow
from dialog.extensions import db


class OutboxStatus(enum.Enum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"


class OutboxEvent(db.Model):
    """A fact recorded in the transaction that caused it; its subscribers react to it.

    The status sums up the deliveries: pending while any is owed, failed when one gave
    up, delivered when all succeeded (at once for an event nobody subscribes to).
    """

    __tablename__ = "outbox_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(64))
    key: Mapped[str] = mapped_column(sa.String(255), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    status: Mapped[OutboxStatus] = mapped_column(
        sa.Enum(OutboxStatus, name="outbox_status", native_enum=False, length=16),
        default=OutboxStatus.pending,
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxDelivery(db.Model):
    """One subscriber's reaction to one event, claimed, retried and settled on its own."""

    __tablename__ = "outbox_delivery"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "subscriber"),
        sa.Index("ix_outbox_delivery_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The unique constraint on (event_id, subscriber) is the foreign key's index.
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("outbox_event.id"))
    subscriber: Mapped[str] = mapped_column(sa.String(128))
    status: Mapped[OutboxStatus] = mapped_column(
        sa.Enum(OutboxStatus, name="outbox_status", native_enum=False, length=16),
        default=OutboxStatus.pending,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)

    event: Mapped[OutboxEvent] = relationship(lazy="joined")


class AuditEntry(db.Model):
    """One append-only record of who did what to which object, when and why.

    `actor_id` is deliberately not a foreign key: the log must outlive the accounts it
    mentions, and database triggers refuse the UPDATE a cascading SET NULL would need.
    """

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(sa.String(64))
    object_id: Mapped[str | None] = mapped_column(sa.String(64))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    __table_args__ = (sa.Index("ix_audit_entry_object", "object_type", "object_id"),)


class StoredFile(db.Model):
    """Metadata for every stored file; the bytes live here or in a shared directory.

    A file no row refers to (an upload whose proposal was never sent) is removed once it
    is older than `UNREFERENCED_UPLOAD_HOURS`; who uploaded it counts towards their cap.
    """

    __tablename__ = "stored_file"
    # A person's uploads of the last day (the cap) and old ones (the expiry) by index.
    __table_args__ = (
        sa.Index("ix_stored_file_uploaded_by_id_created_at", "uploaded_by_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(127))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    backend: Mapped[str] = mapped_column(sa.String(16))
    data: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Kept only to count a person's uploads; forgotten when the account goes.
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )


class JobLock(db.Model):
    """A lease that keeps a periodic task from running twice at the same time."""

    __tablename__ = "job_lock"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(sa.String(64))
    locked_until: Mapped[datetime]


class HeartbeatKind(enum.Enum):
    worker = "worker"
    periodic = "periodic"


class Heartbeat(db.Model):
    """The last sign of life of a worker process (named by its Celery node name) or of a
    periodic task (named by the task): what every web host's /readyz reads."""

    __tablename__ = "heartbeat"

    kind: Mapped[HeartbeatKind] = mapped_column(
        sa.Enum(HeartbeatKind, name="heartbeat_kind", native_enum=False, length=16),
        primary_key=True,
    )
    name: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    seen_at: Mapped[datetime]
