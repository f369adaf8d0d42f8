"""Mail waits on a queue of its own: with no worker taking the mail queue, the sweeper
and the other periodic tasks go on running; a mail worker started later sends each
waiting mail once, however often the sweeper handed it to the broker meanwhile."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import select

from dialog.core import mail, queues
from dialog.core.db import utcnow
from dialog.core.models import (
    Heartbeat,
    HeartbeatKind,
    OutboxDelivery,
    OutboxEvent,
    OutboxStatus,
)
from tests.support import WorkerProcess, wait_for

pytestmark = pytest.mark.worker


def _sweeps_since(app, db, moment) -> bool:
    with app.app_context():
        seen = db.session.scalar(
            select(Heartbeat.seen_at).where(
                Heartbeat.kind == HeartbeatKind.periodic, Heartbeat.name == "core.sweep_outbox"
            )
        )
        db.session.rollback()
        return seen is not None and seen > moment


def _status(app, db):
    with app.app_context():
        status = db.session.scalar(
            select(OutboxEvent.status).where(OutboxEvent.key.like("email:queues-test%"))
        )
        db.session.rollback()
        return status


def _retry_time(app, db):
    with app.app_context():
        moment = db.session.scalar(
            select(OutboxDelivery.next_attempt_at)
            .join(OutboxEvent)
            .where(OutboxEvent.key.like("email:queues-test%"))
        )
        db.session.rollback()
        return moment


def _copies(settings, to: str) -> int:
    folder = Path(settings["MAIL_DIR"])
    return sum(
        message_from_bytes(path.read_bytes(), policy=policy.default)["To"] == to
        for path in folder.glob("*.eml")
    )


def test_the_sweeper_runs_while_mail_waits_for_a_mail_worker_that_then_sends_it_once(
    app, committed_db, settings, tmp_path
):
    app.extensions["celery"].control.purge()
    others = WorkerProcess(
        tmp_path / "others.log", beat=True, queues=(queues.DEFAULT, queues.PERIODIC)
    ).start()
    mailer = None
    try:
        with app.app_context():
            mail.queue(
                to="queues@example.org",
                template="password_changed",
                locale="sv",
                key="queues-test",
                name="Ada",
                reset_url="http://example.org/r",
            )
            committed_db.session.commit()
        published_for = _retry_time(app, committed_db)
        # The sweeper finds it still pending after its retry time and hands it to the
        # broker again (on the mail queue), and it goes on sweeping after that.
        wait_for(lambda: _retry_time(app, committed_db) > published_for, timeout=30)
        moment = utcnow()
        wait_for(lambda: _sweeps_since(app, committed_db, moment), timeout=30)
        assert _status(app, committed_db) is OutboxStatus.pending
        assert _copies(settings, "queues@example.org") == 0

        mailer = WorkerProcess(tmp_path / "mail.log", queues=(queues.MAIL,)).start()
        wait_for(lambda: _status(app, committed_db) is OutboxStatus.delivered, timeout=30)
        # Every copy of its task on the queue was taken: the claim let one of them send.
        wait_for(lambda: "core.deliver_outbox" in (tmp_path / "mail.log").read_text())
        assert _copies(settings, "queues@example.org") == 1
    finally:
        others.stop()
        if mailer:
            mailer.stop()
