"""Reads for the legal pages: the administrators' texts and the reported barriers."""

from __future__ import annotations

from sqlalchemy import select

from dialog.extensions import db
from dialog.pages.models import AccessibilityFeedback, LegalPage, PageKind

FEEDBACK_PAGE_SIZE = 50


def page_text(kind: PageKind, language: str) -> LegalPage | None:
    """The administrators' text of one page in one language, or None for the built-in."""
    return db.session.scalar(
        select(LegalPage).where(LegalPage.kind == kind, LegalPage.language == language)
    )


def all_pages() -> dict[tuple[PageKind, str], LegalPage]:
    """Every stored text by (kind, language), in one statement, for the overview."""
    return {(page.kind, page.language): page for page in db.session.scalars(select(LegalPage))}


def feedback_page(page: int = 1):
    query = select(AccessibilityFeedback).order_by(
        AccessibilityFeedback.created_at.desc(), AccessibilityFeedback.id.desc()
    )
    return db.paginate(query, page=page, per_page=FEEDBACK_PAGE_SIZE, error_out=False)
