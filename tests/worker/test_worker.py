"""A real worker process delivers through the configured broker (SQLite or Redis)."""

from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import select

from dialog.core import mail
from dialog.core.models import OutboxEvent, OutboxStatus
from tests.support import wait_for

pytestmark = pytest.mark.worker


def _mail_to(settings, address):
    folder = Path(settings["MAIL_DIR"])
    if not folder.exists():
        return None
    for path in folder.glob("*.eml"):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["To"] == address:
            return message
    return None


def _status(app, key_prefix):
    from dialog.extensions import db

    with app.app_context():
        event = db.session.scalar(select(OutboxEvent).where(OutboxEvent.key.like(f"{key_prefix}%")))
        return event.status if event else None


def test_the_worker_delivers_an_email_published_after_commit(app, committed_db, worker, settings):
    broker = app.config["CELERY_BROKER_URL"].split(":", 1)[0]
    with app.app_context():
        mail.queue(
            to=f"worker-{broker}@example.org",
            template="password_changed",
            locale="en",
            key="worker-test",
            name="Ada",
            reset_url="http://example.org/r",
        )
        committed_db.session.commit()
    message = wait_for(lambda: _mail_to(settings, f"worker-{broker}@example.org"), timeout=30)
    assert message["Subject"] == "Your password has been changed"
    assert wait_for(lambda: _status(app, "email:worker-test") is OutboxStatus.delivered)


def test_a_broker_outage_delays_delivery_and_loses_nothing(app, committed_db, worker, settings):
    """Recorded while the broker is unreachable, delivered later by the sweeper."""
    from dialog import create_app

    cut_off = create_app(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
    with cut_off.app_context():
        mail.queue(
            to="outage@example.org",
            template="password_changed",
            locale="sv",
            key="outage-test",
            name="Ada",
            reset_url="http://example.org/r",
        )
        committed_db.session.commit()
    assert _status(app, "email:outage-test") is OutboxStatus.pending
    message = wait_for(lambda: _mail_to(settings, "outage@example.org"), timeout=45)
    assert message is not None
    assert wait_for(lambda: _status(app, "email:outage-test") is OutboxStatus.delivered)
