"""Report versions through a real worker on the `reports` queue: asked for, compiled,
stored without the people in them; a version whose worker stopped fails with the reason
and compiles when retried; progress is seen while the compiling transaction is open."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from dialog import create_app
from dialog.core import queues
from dialog.core.db import one_snapshot, utcnow
from dialog.dialogues.models import Dialogue
from dialog.extensions import db
from dialog.reports import services
from dialog.reports.models import Report, ReportStatus
from tests.support import WorkerProcess, free_port, run_task, wait_for

pytestmark = pytest.mark.worker
VOTING = (("proposals", -48, -1), ("voting", -1, 24))


@pytest.fixture
def voted(app, committed_db, make_dialogue, make_user, make_proposal, cast_vote):
    dialogue = make_dialogue("rapport", phases=VOTING)
    people = [make_user() for _ in range(3)]
    proposal = make_proposal(dialogue, people[0])
    for person in people:
        cast_vote(proposal, person)
    return dialogue, make_user(role="planner")


@contextmanager
def _reports_worker(tmp_path):
    worker = WorkerProcess(tmp_path / "reports.log", queues=(queues.REPORTS,)).start()
    try:
        yield worker
    finally:
        worker.stop()


def _ask(app, dialogue, planner) -> int:
    from dialog.accounts.models import User

    with app.app_context():
        report = services.request_report(
            db.session.get(Dialogue, dialogue.id), by=db.session.get(User, planner.id)
        )
        db.session.commit()
        return report.id


def _report(app, report_id: int) -> Report:
    with app.app_context():
        report = db.session.get(Report, report_id)
        db.session.expunge(report)
        return report


def test_a_worker_compiles_a_version_that_was_asked_for(app, voted, tmp_path):
    dialogue, planner = voted
    app.extensions["celery"].control.purge()
    first = _ask(app, dialogue, planner)
    second = _ask(app, dialogue, planner)
    assert (_report(app, first).version, _report(app, second).version) == (1, 2)
    assert _report(app, first).status is ReportStatus.queued

    with _reports_worker(tmp_path):
        wait_for(lambda: _report(app, second).status is ReportStatus.done, timeout=60)

    report = _report(app, second)
    assert (report.stage, report.percent) == ("done", 100)
    assert report.content["totals"]["participants"] == 3
    assert report.content["totals"]["votes"] == 3
    assert all("members" not in group for group in report.content["opinion_groups"])
    assert report.requested_by_id == planner.id
    assert report.started_at <= report.finished_at


def test_a_version_whose_worker_stopped_fails_with_the_reason_and_compiles_when_retried(
    app, voted, tmp_path
):
    dialogue, planner = voted
    app.extensions["celery"].control.purge()
    report_id = _ask(app, dialogue, planner)
    with app.app_context():
        assert services.start(report_id)  # a worker took it, and was then killed
        db.session.get(Report, report_id).started_at = utcnow() - timedelta(
            seconds=app.config["REPORT_TIME_LIMIT_SECONDS"] + 1
        )
        db.session.commit()
        run_task(app, "reports.sweep")
    stopped = _report(app, report_id)
    assert (stopped.status, stopped.error) == (ReportStatus.failed, services.STOPPED)

    with app.app_context():
        assert services.retry(db.session.get(Report, report_id), by=None)
        db.session.commit()
        assert not services.retry(db.session.get(Report, report_id), by=None)  # queued now
    with _reports_worker(tmp_path):
        wait_for(lambda: _report(app, report_id).status is ReportStatus.done, timeout=60)
    assert _report(app, report_id).error is None


def test_a_version_whose_task_was_lost_is_handed_on_by_the_sweeper(app, voted, tmp_path):
    dialogue, planner = voted
    app.extensions["celery"].control.purge()
    # Asked for while the broker is unreachable: the version is stored, its task is not.
    offline = create_app(CELERY_BROKER_URL=f"redis://127.0.0.1:{free_port()}/0")
    report_id = _ask(offline, dialogue, planner)
    with app.app_context():
        assert run_task(app, "reports.sweep") == 0  # not yet: the task may only be on its way
        db.session.get(Report, report_id).next_attempt_at = utcnow()
        db.session.commit()
        assert run_task(app, "reports.sweep") == 1
        assert run_task(app, "reports.sweep") == 0  # not again before a report could have compiled

    with _reports_worker(tmp_path):
        wait_for(lambda: _report(app, report_id).status is ReportStatus.done, timeout=60)


def test_progress_is_seen_by_others_while_the_report_is_compiling(app, voted):
    dialogue, planner = voted
    report_id = _ask(app, dialogue, planner)
    with app.app_context():
        assert services.start(report_id)
        db.session.commit()
        with one_snapshot():
            db.session.execute(text("SELECT 1 FROM proposal")).all()  # the snapshot is taken
            services.record_progress(report_id, "opinion", 45)
            with db.engine.connect() as other:
                seen = other.execute(
                    select(Report.stage, Report.percent).where(Report.id == report_id)
                ).one()
    assert tuple(seen) == ("opinion", 45)


def test_a_version_that_fails_in_the_worker_says_why_and_compiles_when_retried(
    app, voted, tmp_path
):
    """A dialogue whose stored area is damaged (an outline point without a latitude)
    makes compiling raise inside a real worker: the version fails with the kind of error
    and its first line, never a traceback, and compiles once the area is mended."""
    dialogue, planner = voted
    app.extensions["celery"].control.purge()
    with app.app_context():
        db.session.get(Dialogue, dialogue.id).place_area = {
            "type": "Polygon",
            "coordinates": [[[18.0]]],
        }
        db.session.commit()
    report_id = _ask(app, dialogue, planner)

    with _reports_worker(tmp_path):
        wait_for(lambda: _report(app, report_id).status is ReportStatus.failed, timeout=60)
        failed = _report(app, report_id)
        assert failed.error.startswith("ValueError: ") and "Traceback" not in failed.error
        assert failed.finished_at is not None and failed.content is None

        with app.app_context():
            db.session.get(Dialogue, dialogue.id).place_area = None
            assert services.retry(db.session.get(Report, report_id), by=None)
            db.session.commit()
        wait_for(lambda: _report(app, report_id).status is ReportStatus.done, timeout=60)
    assert _report(app, report_id).error is None
