"""Report pages for a dialogue's staff: the versions, asking for one, its progress and
what it found."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from dialog.core import limits, page_cache
from dialog.core.db import utcnow
from dialog.core.forms import ActionForm
from dialog.core.permissions import require
from dialog.dialogues.visibility import visible_dialogue
from dialog.extensions import db, limiter
from dialog.reports import as_moderated, exports, labels, permissions, queries, services
from dialog.reports.models import Report, ReportStatus

bp = Blueprint("reports", __name__)
# Files are built once and then cached; a limit per visitor keeps anyone from asking for
# every language and kind at once, again and again.
DOWNLOADS = "30 per minute"


@bp.get("/d/<slug>/reports")
def index(slug: str):
    dialogue = visible_dialogue(slug, current_user)
    require(permissions.can_compile_reports(current_user, dialogue))
    return render_template(
        "reports/index.html",
        dialogue=dialogue,
        reports=queries.reports_of(dialogue.id),
        published=services.published_report(dialogue.id),
        form=ActionForm(),
    )


# How many unanswered proposals the overview lists; the count says how many there are.
OVERVIEW_UNANSWERED = 20


@bp.get("/d/<slug>/overview")
def overview(slug: str):
    """The dialogue today, for its staff: live figures, not a compiled version."""
    dialogue = visible_dialogue(slug, current_user)
    require(permissions.can_compile_reports(current_user, dialogue))
    from dialog.moderation.queries import waiting_count

    now = utcnow()
    week = timedelta(days=7)
    unanswered_total, unanswered = queries.unanswered(
        dialogue.id, dialogue.reference_prefix, OVERVIEW_UNANSWERED
    )
    return render_template(
        "reports/overview.html",
        dialogue=dialogue,
        this_week=queries.activity_between(dialogue.id, now - week, now),
        last_week=queries.activity_between(dialogue.id, now - 2 * week, now - week),
        unanswered=unanswered,
        unanswered_total=unanswered_total,
        waiting=waiting_count(dialogue.id),
        phase_now=dialogue.phase_at(now),
        phase_next=next((p for p in dialogue.phases if p.starts_at > now), None),
    )


@bp.post("/d/<slug>/reports")
@limits.write_limit()
def request_report(slug: str):
    dialogue = visible_dialogue(slug, current_user)
    require(permissions.can_compile_reports(current_user, dialogue))
    if not ActionForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return redirect(url_for("reports.index", slug=slug))
    report = services.request_report(dialogue, by=current_user)
    db.session.commit()
    return redirect(url_for("reports.show", slug=slug, version=report.version))


@bp.get("/d/<slug>/reports/<int:version>")
def show(slug: str, version: int):
    dialogue = visible_dialogue(slug, current_user)
    require(permissions.can_compile_reports(current_user, dialogue))
    report = _version_or_404(dialogue, version)
    return render_template(
        "reports/show.html",
        dialogue=dialogue,
        report=report,
        published=services.published_report(dialogue.id),
        form=ActionForm(),
    )


@bp.get("/d/<slug>/reports/<int:version>/progress")
def progress(slug: str, version: int):
    """What the progress bar reads while the page is open (JavaScript only)."""
    dialogue = visible_dialogue(slug, current_user)
    require(permissions.can_compile_reports(current_user, dialogue))
    report = _version_or_404(dialogue, version)
    return jsonify(
        status=report.status.value,
        stage=report.stage,
        percent=report.percent,
        says=labels.progress_text(report),
    )


@bp.post("/d/<slug>/reports/<int:version>/retry")
@limits.write_limit()
def retry(slug: str, version: int):
    dialogue = visible_dialogue(slug, current_user)
    require(permissions.can_compile_reports(current_user, dialogue))
    report = _version_or_404(dialogue, version)
    if not ActionForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
    elif services.retry(report, by=current_user):
        db.session.commit()
    else:
        flash(_("Only a report that failed can be tried again."), "error")
    return redirect(url_for("reports.show", slug=slug, version=version))


@bp.post("/d/<slug>/reports/<int:version>/publish")
@limits.write_limit()
def publish(slug: str, version: int):
    dialogue = visible_dialogue(slug, current_user)
    require(permissions.can_compile_reports(current_user, dialogue))
    report = _version_or_404(dialogue, version)
    if not ActionForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
    elif services.publish(report, by=current_user) is None:
        flash(_("Only a finished report can be published."), "error")
    else:
        db.session.commit()
        flash(_("Published: residents now read version %(number)d.", number=version), "success")
        return redirect(url_for("reports.heard", slug=slug))
    return redirect(url_for("reports.show", slug=slug, version=version))


@bp.post("/d/<slug>/what-we-heard/withdraw")
@limits.write_limit()
def withdraw(slug: str):
    dialogue = visible_dialogue(slug, current_user)
    require(permissions.can_compile_reports(current_user, dialogue))
    if not ActionForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
    elif services.withdraw(dialogue, by=current_user):
        db.session.commit()
        flash(_("Withdrawn: residents no longer see a report."), "success")
    else:
        flash(_("No report is published."), "error")
    return redirect(url_for("reports.index", slug=slug))


@bp.get("/d/<slug>/what-we-heard")
def heard(slug: str):
    """The published report, for everyone who may see the dialogue."""
    dialogue = visible_dialogue(slug, current_user)
    published = services.published_report(dialogue.id)
    if published is None:
        abort(404)
    return render_template(
        "reports/heard.html",
        dialogue=dialogue,
        published=published,
        content=as_moderated.public_content(published, _no_longer_shown()),
        staff=bool(permissions.can_compile_reports(current_user, dialogue)),
        form=ActionForm(),
    )


@bp.get("/d/<slug>/reports/<int:version>.<any(xlsx, csv, json):file_format>")
@limiter.limit(DOWNLOADS)
def download(slug: str, version: int, file_format: str):
    """The version as a file: XLSX, CSV (a ZIP of one file per table) or JSON."""
    dialogue = visible_dialogue(slug, current_user)
    require(permissions.can_compile_reports(current_user, dialogue))
    report = _version_or_404(dialogue, version)
    if report.status is not ReportStatus.done:
        abort(404)
    return _file(report.content, dialogue.slug, version, file_format)


@bp.get("/d/<slug>/what-we-heard.<any(xlsx, csv, json):file_format>")
@limiter.limit(DOWNLOADS)
def download_heard(slug: str, file_format: str):
    """The published report as a file, for everyone who may see the dialogue."""
    dialogue = visible_dialogue(slug, current_user)
    published = services.published_report(dialogue.id)
    if published is None:
        abort(404)
    content = as_moderated.public_content(published, _no_longer_shown())
    return _file(content, dialogue.slug, published.version, file_format)


def _no_longer_shown() -> str:
    """In place of the title of a proposal moderators have since taken out of sight."""
    return _("(no longer shown)")


def _file(content: dict, slug: str, version: int, kind: str):
    """The file of this content: made once per content, kind and language while the
    cache keeps it (a large report's workbook takes seconds to build)."""
    made = exports.FORMATS[kind]
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()
    data = page_cache.fragment(f"report-file:{kind}:{digest}", lambda: made.write(content))
    response = send_file(
        io.BytesIO(data),
        mimetype=made.mimetype,
        as_attachment=True,
        download_name=exports.download_name(slug, version, kind),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _version_or_404(dialogue, version: int) -> Report:
    report = db.session.scalar(
        select(Report).where(Report.dialogue_id == dialogue.id, Report.version == version)
    )
    if report is None:
        abort(404)
    return report
