"""The legal pages (/terms, /privacy, /accessibility with its feedback form) and their
administration under /admin/pages."""

from __future__ import annotations

from datetime import date
from email.utils import parseaddr
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import escape

from dialog.accounts.labels import LANGUAGE_LABELS
from dialog.api.openapi import LICENCE
from dialog.core import limits, urls
from dialog.core.markdown import render as render_markdown
from dialog.core.permissions import require
from dialog.extensions import db
from dialog.pages import forms, permissions, queries, services
from dialog.pages.labels import KIND_LABELS
from dialog.pages.models import PageKind

bp = Blueprint("pages", __name__)

KIND_URL = "<any(terms, privacy, accessibility, conduct):kind>"
LANGUAGE_URL = "<any(sv, en):language>"
DIGG_COMPLAINT_URL = "https://www.digg.se/tdosanmalan"
# When the built-in accessibility statement was made (reviewed again at each change of it).
STATEMENT_DATE = date(2026, 12, 2)


# Public pages -------------------------------------------------------------------------


@bp.get("/terms")
def terms():
    return _legal_page(PageKind.terms)


@bp.get("/privacy")
def privacy():
    return _legal_page(PageKind.privacy)


@bp.get("/code-of-conduct")
def conduct():
    return _legal_page(PageKind.conduct)


@bp.get("/accessibility")
def accessibility():
    return _accessibility_page(forms.FeedbackForm())


@bp.post("/accessibility")
@limits.write_limit()
def send_feedback():
    require(permissions.can_send_feedback(current_user))
    form = forms.FeedbackForm()
    if not form.validate_on_submit():
        return _accessibility_page(form), 400
    services.receive_feedback(
        description=form.description.data,
        page_address=form.page_address.data,
        email=form.email.data,
        user=current_user if current_user.is_authenticated else None,
        locale=str(get_locale()),
    )
    db.session.commit()
    flash(
        _("Thank you. Your report has been sent to the people who look after the site."), "success"
    )
    return redirect(url_for("pages.accessibility"))


def _accessibility_page(form):
    """The statement with its barrier form, and the address that reaches the same people
    for those who would rather write an email (MDFFS 2019:2 asks for both)."""
    address = parseaddr(current_app.config["ACCESSIBILITY_FEEDBACK_EMAIL"])[1]
    return _legal_page(PageKind.accessibility, form=form, feedback_email=escape(address))


def _legal_page(kind: PageKind, **context):
    """The administrators' text in the visitor's language, or the built-in one."""
    stored = queries.page_text(kind, str(get_locale()))
    custom = None if stored is None or stored.is_default else render_markdown(stored.body)
    return render_template(
        f"pages/{kind.value}.html",
        custom=custom,
        updated_at=stored.updated_at if custom else None,
        settings=_page_settings(),
        digg_complaint_url=DIGG_COMPLAINT_URL,
        statement_date=STATEMENT_DATE,
        public_site=urlsplit(current_app.config["PUBLIC_URL"]).netloc,
        licence_url=LICENCE["url"],
        **context,
    )


def _page_settings() -> dict:
    """What the built-in texts quote from the configuration."""
    config = current_app.config
    names = (
        "PRIVACY_CONTROLLER",
        "PRIVACY_DPO_CONTACT",
        "SESSION_IDLE_MINUTES",
        "SESSION_ABSOLUTE_HOURS",
        "SESSION_RECORD_RETENTION_DAYS",
        "IP_ADDRESS_RETENTION_DAYS",
        "MAIL_LOG_RETENTION_DAYS",
        "INACTIVE_WARN_AFTER_DAYS",
        "INACTIVE_ANONYMISE_AFTER_WARNING_DAYS",
        "DATA_EXPORT_LINK_HOURS",
    )
    return {name: config[name] for name in names}


# Administration -----------------------------------------------------------------------


@bp.get("/admin/pages")
def admin_index():
    require(permissions.can_edit_pages(current_user))
    return render_template(
        "pages/admin_index.html",
        kinds=list(PageKind),
        languages=current_app.config["LANGUAGES"],
        stored=queries.all_pages(),
        kind_labels=KIND_LABELS,
        language_labels=LANGUAGE_LABELS,
    )


@bp.get(f"/admin/pages/{KIND_URL}/{LANGUAGE_URL}")
def admin_edit(kind: str, language: str):
    require(permissions.can_edit_pages(current_user))
    stored = queries.page_text(PageKind(kind), language)
    form = forms.LegalPageForm(body=stored.body if stored else "")
    return _edit_page(PageKind(kind), language, form, stored)


@bp.post(f"/admin/pages/{KIND_URL}/{LANGUAGE_URL}")
@limits.write_limit()
def admin_save(kind: str, language: str):
    require(permissions.can_edit_pages(current_user))
    page_kind = PageKind(kind)
    form = forms.LegalPageForm()
    if not form.validate_on_submit():
        return _edit_page(page_kind, language, form, queries.page_text(page_kind, language)), 400
    body = "" if form.reset.data else (form.body.data or "")
    services.save_page(page_kind, language, body, by=current_user)
    db.session.commit()
    if body.strip():
        flash(_("The text is saved."), "success")
    else:
        flash(_("The page now shows the built-in text."), "success")
    return redirect(url_for("pages.admin_index"))


def _edit_page(kind: PageKind, language: str, form, stored):
    return render_template(
        "pages/admin_edit.html",
        kind=kind,
        language=language,
        form=form,
        stored=stored,
        kind_labels=KIND_LABELS,
        language_labels=LANGUAGE_LABELS,
    )


@bp.get("/admin/pages/feedback")
def admin_feedback():
    require(permissions.can_read_feedback(current_user))
    return render_template(
        "pages/admin_feedback.html", feedback=queries.feedback_page(urls.page_number())
    )
