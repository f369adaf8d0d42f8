"""The worker compiles report versions on the `reports` queue; a periodic sweep hands
lost ones on and fails those whose worker stopped."""

from __future__ import annotations

import logging

from celery import shared_task

from dialog.core import outbox, queues
from dialog.core.db import one_snapshot, utcnow
from dialog.core.periodic import periodic
from dialog.extensions import db
from dialog.reports import as_moderated, services
from dialog.reports.compiling import compile_report, without_people
from dialog.reports.models import PublishedReport, Report

log = logging.getLogger(__name__)

queues.route(services.COMPILE_TASK, queues.REPORTS)


@shared_task(name=services.COMPILE_TASK)
def compile_version(report_id: int) -> str:
    if not services.start(report_id):
        db.session.rollback()
        return "not queued"
    db.session.commit()
    report = db.session.get(Report, report_id)
    dialogue = report.dialogue
    try:
        with one_snapshot():
            content = compile_report(
                dialogue, lambda stage, percent: services.record_progress(report_id, stage, percent)
            )
    except Exception as error:
        log.exception("report %s of dialogue %s failed", report_id, dialogue.slug)
        db.session.rollback()
        services.fail(db.session.get(Report, report_id), _reason(error))
        db.session.commit()
        return "failed"
    services.finish(db.session.get(Report, report_id), without_people(content))
    db.session.commit()
    return "done"


@outbox.subscriber("content_redacted", name="reports.forget_redacted")
def forget_redacted(payload) -> str:
    rewritten = as_moderated.forget_redacted(
        payload["decision_id"], payload.get("proposal_id"), payload.get("comment_id")
    )
    return f"{rewritten} reports rewritten"


def _reason(error: Exception) -> str:
    """What the planner's page says went wrong: the kind of error and its first line,
    never a traceback (that is in the worker's log)."""
    first_line = str(error).strip().splitlines()[0][:300] if str(error).strip() else ""
    return f"{type(error).__name__}: {first_line}" if first_line else type(error).__name__


@periodic("reports.check_published_words", every="OUTBOX_SWEEP_INTERVAL_SECONDS", lease=300)
def check_published_words() -> int:
    changed = 0
    for published_id in as_moderated.stale_published_ids():
        published = db.session.get(PublishedReport, published_id)
        if published is not None:
            changed += as_moderated.keep_words_supported(published)
        db.session.commit()  # each report on its own: one that fails holds back no other
    return changed


@periodic("reports.sweep", every="OUTBOX_SWEEP_INTERVAL_SECONDS", lease=60)
def sweep_reports() -> int:
    now = utcnow()
    stopped = services.fail_stopped(now)
    # While the broker is away a task handed on would be lost again, and the version
    # then waits the whole time limit for its next turn.
    lost = services.hand_on_lost(now) if outbox.broker_outage().worth_trying() else []
    db.session.commit()
    return stopped + len(lost)
