"""What the outbox hands the broker, and when: only once the work is committed, so a
worker taking the task finds the rows. A savepoint released is not a commit (SQLAlchemy
reports it as one); a savepoint rolled back takes its publications with it. Seen on a
private Redis broker, whose queues show what was published."""

from __future__ import annotations

import pytest

from dialog import create_app
from dialog.core import mail, outbox
from dialog.extensions import db
from tests.support import RedisServer, tasks_waiting


@pytest.fixture
def broker(committed_db):
    if not RedisServer.available():
        pytest.skip("redis-server is not installed")
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def site(broker):
    return create_app(CELERY_BROKER_URL=broker.url)


def _queue_mail(to: str) -> None:
    mail.queue(
        to=to,
        template="password_changed",
        locale="sv",
        key=f"savepoint:{to}",
        name="Ada",
        reset_url="https://dialog.example/r",
    )


def test_what_a_savepoint_recorded_is_published_when_the_transaction_commits(site, broker):
    queue = broker.client()
    with site.app_context():
        with db.session.begin_nested():
            _queue_mail("inner@example.org")
            with db.session.begin_nested():
                outbox.publish_after_commit("notifications.send_mail", [[1]])
        assert tasks_waiting(queue) == 0  # released, not committed: no worker may run it
        db.session.commit()
        assert tasks_waiting(queue) == 2


def test_a_savepoint_rolled_back_publishes_nothing_of_its_own(site, broker):
    queue = broker.client()
    with site.app_context():
        _queue_mail("kept@example.org")
        with pytest.raises(RuntimeError), db.session.begin_nested():
            _queue_mail("undone@example.org")
            outbox.publish_after_commit("notifications.send_mail", [[2]])
            raise RuntimeError("the subscriber failed halfway")
        db.session.commit()
        assert tasks_waiting(queue) == 1  # the delivery of the mail that was kept


def test_a_transaction_rolled_back_publishes_nothing(site, broker):
    queue = broker.client()
    with site.app_context():
        with db.session.begin_nested():
            _queue_mail("gone@example.org")
        db.session.rollback()
        db.session.commit()
        assert tasks_waiting(queue) == 0


def test_a_savepoint_rolled_back_takes_the_publications_of_the_savepoints_within_it(site, broker):
    queue = broker.client()
    with site.app_context():
        _queue_mail("kept@example.org")
        outer = db.session.begin_nested()
        db.session.begin_nested()  # still open when the one around it is rolled back
        outbox.publish_after_commit("notifications.send_mail", [[3]])
        outer.rollback()
        db.session.commit()
        assert tasks_waiting(queue) == 1  # only the delivery of the mail that was kept
