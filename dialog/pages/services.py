"""Changes to the legal pages and reports of barriers. Functions flush; the caller commits."""

from __future__ import annotations

from flask import current_app

from dialog.core import audit, mail
from dialog.core.db import add_unless_taken, utcnow
from dialog.core.urls import public_url
from dialog.extensions import db
from dialog.pages import queries
from dialog.pages.models import AccessibilityFeedback, LegalPage, PageKind


def save_page(kind: PageKind, language: str, body: str, *, by) -> LegalPage:
    """Store the administrators' text; an empty one brings the built-in text back."""
    body = (body or "").strip()
    page = queries.page_text(kind, language) or _first_page(kind, language)
    page.body = body
    page.updated_by_id = by.id
    page.updated_at = utcnow()
    db.session.flush()
    audit.record(
        "legal_page_updated",
        actor=by,
        target=page,
        kind=kind.value,
        language=language,
        reset=not body,
        characters=len(body),
    )
    return page


def _first_page(kind: PageKind, language: str) -> LegalPage:
    page = LegalPage(kind=kind, language=language)
    if add_unless_taken(page):
        return page
    # Another administrator saved this page first a moment ago: this save replaces it,
    # as it would have a second later.
    return queries.page_text(kind, language)


def receive_feedback(
    *, description: str, page_address: str | None, email: str | None, user, locale: str
) -> AccessibilityFeedback:
    """Keep the report and mail it to whoever answers for accessibility."""
    feedback = AccessibilityFeedback(
        description=description.strip(),
        page_url=(page_address or "").strip() or None,
        # Lower case, as accounts keep theirs: erasure finds the reports by the address.
        email=(email or "").strip().lower() or None,
        locale=locale,
        user_id=getattr(user, "id", None),
    )
    db.session.add(feedback)
    db.session.flush()
    mail.queue(
        to=current_app.config["ACCESSIBILITY_FEEDBACK_EMAIL"],
        template="accessibility_feedback",
        locale=current_app.config["LANGUAGES"][0],
        key=f"accessibility-feedback:{feedback.id}",
        description=feedback.description,
        page_address=feedback.page_url,
        reply_to=feedback.email,
        language=locale,
        list_url=public_url("pages.admin_feedback"),
    )
    audit.record("accessibility_feedback_received", target=feedback)
    return feedback
