"""Report pages for a dialogue's staff: the versions, asking for one, its progress and
what it found."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from dialog.core import limits
from dialog.core.forms import ActionForm
from dialog.core.permissions import require
from dialog.dialogues.visibility import visible_dialogue
from dialog.extensions import db
from dialog.reports import labels, permissions, queries, services
from dialog.reports.models import Report

bp = Blueprint("reports", __name__)


@bp.get("/d/<slug>/reports")
def index(slug: str):
    dialogue = visible_dialogue(slug, current_user)
    require(permissions.can_compile_reports(current_user, dialogue))
    return render_template(
        "reports/index.html",
        dialogue=dialogue,
        reports=queries.reports_of(dialogue.id),
        form=ActionForm(),
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
    return render_template("reports/show.html", dialogue=dialogue, report=report, form=ActionForm())


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
    if ActionForm().validate_on_submit():
        if services.retry(report, by=current_user):
            db.session.commit()
        else:
            flash(_("Only a report that failed can be tried again."), "error")
    return redirect(url_for("reports.show", slug=slug, version=version))


def _version_or_404(dialogue, version: int) -> Report:
    report = db.session.scalar(
        select(Report).where(Report.dialogue_id == dialogue.id, Report.version == version)
    )
    if report is None:
        abort(404)
    return report
