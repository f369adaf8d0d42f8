"""Report versions: what was asked for, how far the worker has come, what it found."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dialog.core.db import utcnow
from dialog.extensions import db

if TYPE_CHECKING:
    from dialog.accounts.models import User
    from dialog.dialogues.models import Dialogue


class ReportStatus(enum.Enum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class Report(db.Model):
    """One version of a dialogue's knowledge-base report.

    `content` holds figures about groups of people, never a list of them: the members of
    an opinion group and the points of the opinion map are left out when it is stored
    (the command line's JSON has them), so a stored report needs no erasure."""

    __tablename__ = "report"
    __table_args__ = (sa.UniqueConstraint("dialogue_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dialogue_id: Mapped[int] = mapped_column(
        sa.ForeignKey("dialogue.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int]
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    parameters: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    status: Mapped[ReportStatus] = mapped_column(
        sa.Enum(ReportStatus, name="report_status", native_enum=False, length=16),
        default=ReportStatus.queued,
    )
    stage: Mapped[str | None] = mapped_column(sa.String(32))
    percent: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(sa.Text)
    content: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the sweeper hands a queued version to the broker again, should its task be lost.
    next_attempt_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    dialogue: Mapped[Dialogue] = relationship()
    requested_by: Mapped[User | None] = relationship()

    @property
    def is_finished(self) -> bool:
        return self.status in (ReportStatus.done, ReportStatus.failed)


class PublishedReport(db.Model):
    """What residents read as the dialogue's "Det här har vi hört": one version frozen as
    it was published, without personal data, with the official answers of that moment.
    A later version published replaces it; the version it came from may be gone."""

    __tablename__ = "published_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    dialogue_id: Mapped[int] = mapped_column(
        sa.ForeignKey("dialogue.id", ondelete="CASCADE"), unique=True
    )
    report_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("report.id", ondelete="SET NULL"), index=True
    )
    version: Mapped[int]
    content: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    # The dialogue's texts version when its words were last held against the texts
    # residents can read (`as_moderated.keep_words_supported`); another means a check.
    words_checked_at_version: Mapped[str | None] = mapped_column(sa.String(16))

    dialogue: Mapped[Dialogue] = relationship()
