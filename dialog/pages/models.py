"""The administrators' texts of the legal pages, and reports of accessibility barriers."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from dialog.core.db import utcnow
from dialog.extensions import db


class PageKind(enum.Enum):
    terms = "terms"
    privacy = "privacy"
    accessibility = "accessibility"
    conduct = "conduct"  # the code of conduct every posting form links to


class LegalPage(db.Model):
    """One page in one language. An empty body (or no row) shows the built-in text."""

    __tablename__ = "legal_page"
    __table_args__ = (
        sa.UniqueConstraint("kind", "language"),
        sa.CheckConstraint("language IN ('sv', 'en')", name="language_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[PageKind] = mapped_column(
        sa.Enum(PageKind, name="legal_page_kind", native_enum=False, length=16)
    )
    language: Mapped[str] = mapped_column(sa.String(8))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )

    @property
    def is_default(self) -> bool:
        return not (self.body or "").strip()


class AccessibilityFeedback(db.Model):
    """A barrier someone reported on the accessibility statement's form (DOS-lagen)."""

    __tablename__ = "accessibility_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    description: Mapped[str] = mapped_column(sa.Text)
    page_url: Mapped[str | None] = mapped_column(sa.String(500))
    # Only to answer the report; blanked when the person with this address is erased.
    email: Mapped[str | None] = mapped_column(sa.String(254))
    locale: Mapped[str] = mapped_column(sa.String(8))
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
