import time
from datetime import timedelta

from sqlalchemy import func, select

from dialog.core import mail, outbox
from dialog.core.models import OutboxEvent, OutboxStatus
from tests.support import body, run_task


def _count(db, **filters):
    query = select(func.count()).select_from(OutboxEvent)
    for name, value in filters.items():
        query = query.where(getattr(OutboxEvent, name) == value)
    return db.session.scalar(query)


def test_an_event_is_recorded_once_per_key(ctx, db):
    first = outbox.record("email", "welcome:1", {"n": 1})
    second = outbox.record("email", "welcome:1", {"n": 2})
    db.session.commit()
    assert first is not None and second is None
    assert _count(db, key="welcome:1") == 1
    assert db.session.get(OutboxEvent, first.id).payload == {"n": 1}


def test_an_event_from_a_rolled_back_transaction_does_not_exist(ctx, db):
    outbox.record("email", "rolled-back", {})
    db.session.rollback()
    assert _count(db, key="rolled-back") == 0


def test_delivery_runs_the_handler_once_and_marks_the_event(app, ctx, db, mailbox):
    mail.queue(
        to="ada@example.org",
        template="password_changed",
        locale="sv",
        key="k1",
        name="Ada",
        reset_url="http://example.org/reset",
    )
    db.session.commit()
    event = db.session.scalar(select(OutboxEvent).where(OutboxEvent.key.like("email:k1:%")))
    run_task(app, "core.deliver_outbox_event", event.id)
    run_task(
        app, "core.deliver_outbox_event", event.id
    )  # a duplicate message from the broker changes nothing
    db.session.expire_all()
    event = db.session.get(OutboxEvent, event.id)
    assert event.status is OutboxStatus.delivered and event.delivered_at is not None
    assert event.attempts == 1
    assert len(mailbox.messages("ada@example.org")) == 1


def test_a_failing_handler_is_recorded_and_retried_later(app, ctx, db):
    calls = []

    @outbox.handler("test_failing")
    def fail(payload):
        calls.append(payload)
        raise ConnectionError("smtp down")

    event = outbox.record("test_failing", "fails:1", {"x": 1})
    db.session.commit()
    run_task(app, "core.deliver_outbox_event", event.id)
    db.session.expire_all()
    event = db.session.get(OutboxEvent, event.id)
    assert calls == [{"x": 1}]
    assert event.status is OutboxStatus.pending
    assert event.attempts == 1 and "smtp down" in event.last_error
    assert event.claimed_until is None
    assert event.next_attempt_at > event.created_at


def test_an_event_that_keeps_failing_ends_as_failed(app, ctx, db, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 2)

    @outbox.handler("test_always_failing")
    def fail(payload):
        raise RuntimeError("broken template")

    event = outbox.record("test_always_failing", "fails:2", {})
    db.session.commit()
    run_task(app, "core.deliver_outbox_event", event.id)
    db.session.get(OutboxEvent, event.id).claimed_until = None
    run_task(app, "core.deliver_outbox_event", event.id)
    db.session.expire_all()
    assert db.session.get(OutboxEvent, event.id).status is OutboxStatus.failed


def test_a_claimed_event_is_not_delivered_twice_at_once(app, ctx, db):
    event = outbox.record("email", "claimed:1", {})
    db.session.commit()
    assert outbox.claim(event.id) is not None
    assert outbox.claim(event.id) is None


def test_the_sweeper_republishes_only_events_that_are_due(app, ctx, db, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_RETRY_AFTER_SECONDS", 0)
    due = outbox.record("email", "due:1", {})
    db.session.commit()
    monkeypatch.setitem(app.config, "OUTBOX_RETRY_AFTER_SECONDS", 3600)
    later = outbox.record("email", "later:1", {})
    db.session.commit()
    assert outbox.due_event_ids() == [due.id]
    published = run_task(app, "core.sweep_outbox")
    assert published == 1
    db.session.expire_all()
    assert (
        db.session.get(OutboxEvent, due.id).next_attempt_at
        > db.session.get(OutboxEvent, due.id).created_at
    )
    assert later.id not in outbox.due_event_ids()


def test_an_email_is_rendered_in_the_recipients_language(app, ctx, db, mailbox):
    for locale, to in (("sv", "sv@example.org"), ("en", "en@example.org")):
        mail.queue(
            to=to,
            template="reset_password",
            locale=locale,
            key=f"lang-{locale}",
            name="Kim",
            reset_url="http://example.org/r",
            hours=3,
        )
    db.session.commit()
    swedish, english = mailbox.last("sv@example.org"), mailbox.last("en@example.org")
    assert swedish["Subject"] == "Välj ett nytt lösenord"
    assert english["Subject"] == "Choose a new password"
    assert "Hej Kim" in body(swedish) and "Hello Kim" in body(english)
    assert english.get_body(preferencelist=("html",)) is not None
    assert swedish["Content-Language"] == "sv"


def test_publishing_waits_at_most_the_timeout_when_the_broker_is_down(committed_db, settings):
    """A request that records an event succeeds quickly although no broker answers."""
    from dialog import create_app
    from tests.support import UserFactory, post_form

    broken = create_app(CELERY_BROKER_URL="redis://10.255.255.1:6379/0")
    user = UserFactory(broken)(role="resident")
    client = broken.test_client()
    started = time.monotonic()
    response = post_form(client, "/password/forgot", {"email": user.email})
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert elapsed < 1 + 2.0  # the 1 s publish timeout plus rendering two pages
    with broken.app_context():
        event = committed_db.session.scalar(select(OutboxEvent))
        assert event.status is OutboxStatus.pending and event.payload["to"] == user.email


def test_a_periodic_job_cannot_run_twice_at_once(app, ctx, db):
    from dialog.core import locks

    with (
        locks.exclusive("sweep_test", seconds=60) as first,
        locks.exclusive("sweep_test", seconds=60) as second,
    ):
        assert first is True and second is False
    with locks.exclusive("sweep_test", seconds=60) as after_release:
        assert after_release is True


def test_an_event_nobody_handles_yet_waits_without_failing(app, ctx, db):
    event = outbox.record("not_yet_handled", "nobody:1", {})
    db.session.commit()
    run_task(app, "core.deliver_outbox_event", event.id)
    db.session.expire_all()
    event = db.session.get(OutboxEvent, event.id)
    assert event.status is OutboxStatus.pending and event.attempts == 0
    assert event.next_attempt_at > event.created_at + timedelta(minutes=30)
    assert event.id not in outbox.due_event_ids()
