"""Asking for a report, and the worker's record of compiling it. Services flush and never
commit, except `record_progress`, which writes on a connection of its own so the page
shows it while the compiling transaction is still open."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from dialog.core import audit, outbox
from dialog.core.db import AlreadyTaken, unique_write, utcnow
from dialog.extensions import db
from dialog.reports import as_moderated, queries
from dialog.reports.compiling import PARAMETERS
from dialog.reports.models import PublishedReport, Report, ReportStatus

COMPILE_TASK = "reports.compile"
# Two planners asking at the same moment both get a version: the second takes the next.
VERSION_ATTEMPTS = 3


def request_report(dialogue, *, by) -> Report:
    """A new version, queued for the worker (published once the request commits)."""
    for _attempt in range(VERSION_ATTEMPTS):
        report = Report(
            dialogue_id=dialogue.id,
            version=queries.next_version(dialogue.id),
            requested_by_id=by.id if by else None,
            parameters=dict(PARAMETERS),
            status=ReportStatus.queued,
            requested_at=utcnow(),
            next_attempt_at=_sweep_after(),
        )
        try:
            with unique_write():
                db.session.add(report)
                db.session.flush()
        except AlreadyTaken:
            continue
        audit.record("report_requested", actor=by, target=report, version=report.version)
        outbox.publish_after_commit(COMPILE_TASK, [report.id])
        return report
    raise AlreadyTaken(f"no free version number for dialogue {dialogue.id}")


def retry(report: Report, *, by) -> bool:
    """A failed version queued again as it was asked for."""
    if report.status is not ReportStatus.failed:
        return False
    report.status = ReportStatus.queued
    report.error = None
    report.stage = None
    report.percent = 0
    report.requested_at = utcnow()
    report.next_attempt_at = _sweep_after()
    report.started_at = report.finished_at = None
    db.session.flush()
    audit.record("report_retried", actor=by, target=report, version=report.version)
    outbox.publish_after_commit(COMPILE_TASK, [report.id])
    return True


def start(report_id: int) -> bool:
    """Take a queued version; False when another worker has it or it is not queued."""
    taken = db.session.execute(
        update(Report)
        .where(Report.id == report_id, Report.status == ReportStatus.queued)
        .values(status=ReportStatus.running, started_at=utcnow(), stage="queued", percent=0)
        .execution_options(synchronize_session=False)
    ).rowcount
    return taken == 1


def record_progress(report_id: int, stage: str, percent: int) -> None:
    with db.engine.begin() as connection:
        connection.execute(
            update(Report)
            .where(Report.id == report_id, Report.status == ReportStatus.running)
            .values(stage=stage, percent=percent)
        )


def finish(report: Report, content: dict) -> None:
    """Done: stored, and the planner who asked is told (through the outbox, so only once
    the version is committed)."""
    as_moderated.with_every_redaction(content, report.dialogue_id)
    report.status = ReportStatus.done
    report.content = content
    report.stage = "done"
    report.percent = 100
    report.finished_at = utcnow()
    db.session.flush()
    outbox.record(
        "report_ready",
        f"report:{report.id}:ready:{report.finished_at.isoformat()}",
        {
            "report_id": report.id,
            "dialogue_id": report.dialogue_id,
            "version": report.version,
            "requested_by_id": report.requested_by_id,
        },
    )


def fail(report: Report, reason: str) -> None:
    report.status = ReportStatus.failed
    report.error = reason
    report.finished_at = utcnow()
    db.session.flush()


def _sweep_after():
    return utcnow() + timedelta(seconds=current_app.config["OUTBOX_RETRY_AFTER_SECONDS"])


def hand_on_lost(now) -> list[int]:
    """Queued versions whose task has not started in time (the broker was away, or lost
    it), handed to the broker again; then not before a report could have compiled, so a
    long queue of reports is not filled with copies."""
    lost = list(
        db.session.scalars(
            select(Report.id).where(
                Report.status == ReportStatus.queued, Report.next_attempt_at <= now
            )
        )
    )
    if lost:
        db.session.execute(
            update(Report)
            .where(Report.id.in_(lost))
            .values(next_attempt_at=now + _time_limit())
            .execution_options(synchronize_session=False)
        )
    for report_id in lost:
        outbox.publish_after_commit(COMPILE_TASK, [report_id])
    return lost


def fail_stopped(now) -> int:
    """Versions whose worker stopped while compiling: failed, with the reason, so a
    planner can retry them."""
    stopped = db.session.scalars(
        select(Report).where(
            Report.status == ReportStatus.running, Report.started_at < now - _time_limit()
        )
    ).all()
    for report in stopped:
        fail(report, STOPPED)
    return len(stopped)


def _time_limit() -> timedelta:
    return timedelta(seconds=current_app.config["REPORT_TIME_LIMIT_SECONDS"])


# Kept in English in the database; the page shows its translation.
STOPPED = "stopped"


def publish(report: Report, *, by) -> PublishedReport | None:
    """The version as residents will read it, frozen now: the stored figures (which
    name nobody) with the official answers as they stand. None unless it is done."""
    if report.status is not ReportStatus.done or report.content is None:
        return None
    fields = {
        "report_id": report.id,
        "version": report.version,
        "content": public_snapshot(report),
        "published_at": utcnow(),
        "published_by_id": by.id if by else None,
    }
    published = published_report(report.dialogue_id)
    if published is None:
        try:
            with unique_write():
                published = PublishedReport(dialogue_id=report.dialogue_id, **fields)
                db.session.add(published)
                db.session.flush()
        except AlreadyTaken:  # another planner published at the same moment: replace it
            published = published_report(report.dialogue_id)
    for name, value in fields.items():
        setattr(published, name, value)
    as_moderated.keep_words_supported(published)
    audit.record("report_published", actor=by, target=report, version=report.version)
    return published


def withdraw(dialogue, *, by) -> bool:
    """Residents no longer see a report until one is published again."""
    published = published_report(dialogue.id)
    if published is None:
        return False
    audit.record("report_withdrawn", actor=by, target=dialogue, version=published.version)
    db.session.delete(published)
    db.session.flush()
    return True


def published_report(dialogue_id: int) -> PublishedReport | None:
    return db.session.scalar(
        select(PublishedReport).where(PublishedReport.dialogue_id == dialogue_id)
    )


# What a published report leaves out even of the stored figures: how it was asked for.
NOT_PUBLISHED = frozenset({"parameters"})


def public_snapshot(report: Report) -> dict:
    dialogue = report.dialogue
    content = {key: value for key, value in report.content.items() if key not in NOT_PUBLISHED}
    content["compiled_at"] = report.finished_at.isoformat()
    content["answers"] = queries.published_answers(dialogue.id, dialogue.reference_prefix)
    return content
