import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from dialog.core import mail, outbox
from dialog.core.db import utcnow
from dialog.core.models import JobLock, OutboxDelivery, OutboxEvent, OutboxStatus
from tests.support import body, free_port, run_task, wait_for


@pytest.fixture
def subscribe(monkeypatch):
    """`outbox.subscriber` for test subscribers; the registry is restored afterwards."""
    monkeypatch.setattr(outbox, "_subscribers", dict(outbox._subscribers))
    return outbox.subscriber


def _count(db, **filters):
    query = select(func.count()).select_from(OutboxEvent)
    for name, value in filters.items():
        query = query.where(getattr(OutboxEvent, name) == value)
    return db.session.scalar(query)


def _deliveries(db, event) -> dict[str, OutboxDelivery]:
    db.session.expire_all()
    rows = db.session.scalars(select(OutboxDelivery).where(OutboxDelivery.event_id == event.id))
    return {row.subscriber: row for row in rows}


def _run(app, delivery: OutboxDelivery) -> None:
    run_task(app, outbox.DELIVER_TASK, delivery.id)


def _status(db, event) -> OutboxStatus:
    db.session.expire_all()
    return db.session.get(OutboxEvent, event.id).status


def _let_time_pass(db, delivery: OutboxDelivery) -> None:
    """As if the delivery's backoff had run out."""
    db.session.execute(
        update(OutboxDelivery)
        .where(OutboxDelivery.id == delivery.id)
        .values(next_attempt_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()


def test_an_event_is_recorded_once_per_key(ctx, db):
    first = outbox.record("email", "welcome:1", {"n": 1})
    second = outbox.record("email", "welcome:1", {"n": 2})
    db.session.commit()
    assert first is not None and second is None
    assert _count(db, key="welcome:1") == 1
    assert db.session.get(OutboxEvent, first.id).payload == {"n": 1}
    assert list(_deliveries(db, first)) == ["core.send_email"]


def test_an_event_from_a_rolled_back_transaction_does_not_exist(ctx, db):
    outbox.record("email", "rolled-back", {})
    db.session.rollback()
    assert _count(db, key="rolled-back") == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxDelivery)) == 0


def test_each_subscriber_of_the_kind_gets_a_delivery(ctx, db, subscribe):
    subscribe("test_fact", name="test.first")(lambda payload: None)
    subscribe("test_fact", name="test.second")(lambda payload: None)
    subscribe("test_other_fact", name="test.elsewhere")(lambda payload: None)

    event = outbox.record("test_fact", "fact:1", {"x": 1})
    db.session.commit()
    deliveries = _deliveries(db, event)
    assert sorted(deliveries) == ["test.first", "test.second"]
    assert {d.status for d in deliveries.values()} == {OutboxStatus.pending}
    assert _status(db, event) is OutboxStatus.pending


def test_delivery_runs_the_mail_subscriber_once_and_marks_the_event(app, ctx, db, mailbox):
    mail.queue(
        to="outbox-once@example.org",
        template="password_changed",
        locale="sv",
        key="k1",
        name="Ada",
        reset_url="http://example.org/reset",
    )
    db.session.commit()
    event = db.session.scalar(select(OutboxEvent).where(OutboxEvent.key.like("email:k1:%")))
    delivery = _deliveries(db, event)["core.send_email"]
    _run(app, delivery)
    _run(app, delivery)  # a duplicate message from the broker changes nothing
    delivery = _deliveries(db, event)["core.send_email"]
    assert delivery.status is OutboxStatus.delivered and delivery.delivered_at is not None
    assert delivery.attempts == 1
    assert _status(db, event) is OutboxStatus.delivered
    assert len(mailbox.messages("outbox-once@example.org")) == 1


def test_a_failing_subscriber_is_retried_with_backoff_without_rerunning_the_others(
    app, ctx, db, subscribe
):
    steady_calls, flaky_calls = [], []

    @subscribe("test_fact", name="test.steady")
    def steady(payload):
        steady_calls.append(payload)

    @subscribe("test_fact", name="test.flaky")
    def flaky(payload):
        flaky_calls.append(payload)
        if len(flaky_calls) <= 2:
            raise ConnectionError("service down")

    event = outbox.record("test_fact", "fact:retry", {"x": 1})
    db.session.commit()
    for delivery in _deliveries(db, event).values():
        _run(app, delivery)

    retry_after = app.config["OUTBOX_RETRY_AFTER_SECONDS"]
    waits = []
    for attempt in (1, 2):
        deliveries = _deliveries(db, event)
        flaky_delivery = deliveries["test.flaky"]
        assert flaky_delivery.status is OutboxStatus.pending
        assert flaky_delivery.attempts == attempt and "service down" in flaky_delivery.last_error
        assert flaky_delivery.claimed_until is None
        assert deliveries["test.steady"].status is OutboxStatus.delivered
        assert _due_ids() == []
        waits.append((flaky_delivery.next_attempt_at - utcnow()).total_seconds())
        _let_time_pass(db, flaky_delivery)
        assert _due_ids() == [flaky_delivery.id]
        _run(app, flaky_delivery)
        _run(app, deliveries["test.steady"])  # a stray duplicate is ignored

    # Doubling, with jitter: between half and all of each doubled wait.
    assert retry_after - 1 < waits[0] <= retry_after * 2
    assert retry_after * 2 - 1 < waits[1] <= retry_after * 4
    assert steady_calls == [{"x": 1}]
    assert flaky_calls == [{"x": 1}] * 3
    deliveries = _deliveries(db, event)
    assert deliveries["test.flaky"].status is OutboxStatus.delivered
    assert deliveries["test.flaky"].attempts == 3
    assert deliveries["test.steady"].attempts == 1
    assert _status(db, event) is OutboxStatus.delivered


def test_a_failing_subscriber_leaves_none_of_its_writes(app, ctx, db, subscribe):
    @subscribe("test_fact", name="test.half_done")
    def half_done(payload):
        from dialog.extensions import db as database

        database.session.add(JobLock(name="written-before-failing", locked_until=utcnow()))
        database.session.flush()
        raise RuntimeError("failed halfway")

    event = outbox.record("test_fact", "fact:half", {})
    db.session.commit()
    _run(app, _deliveries(db, event)["test.half_done"])
    assert db.session.get(JobLock, "written-before-failing") is None
    assert _deliveries(db, event)["test.half_done"].attempts == 1


def test_a_delivery_that_keeps_failing_ends_as_failed(app, ctx, db, subscribe, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 2)
    calls = []

    @subscribe("test_fact", name="test.broken")
    def broken(payload):
        calls.append(payload)
        raise RuntimeError("broken template")

    subscribe("test_fact", name="test.fine")(lambda payload: None)
    event = outbox.record("test_fact", "fact:dead", {})
    db.session.commit()
    deliveries = _deliveries(db, event)
    _run(app, deliveries["test.fine"])
    for _ in range(3):
        _run(app, deliveries["test.broken"])

    deliveries = _deliveries(db, event)
    assert len(calls) == 2
    assert deliveries["test.broken"].status is OutboxStatus.failed
    assert deliveries["test.fine"].status is OutboxStatus.delivered
    assert _status(db, event) is OutboxStatus.failed
    _let_time_pass(db, deliveries["test.broken"])
    assert _due_ids() == []


def test_a_delivery_for_a_subscriber_that_is_gone_fails_with_its_name(app, ctx, db, subscribe):
    subscribe("test_fact", name="test.removed_later")(lambda payload: None)
    event = outbox.record("test_fact", "fact:gone", {})
    db.session.commit()
    outbox._subscribers.pop("test.removed_later")
    _run(app, _deliveries(db, event)["test.removed_later"])
    delivery = _deliveries(db, event)["test.removed_later"]
    assert delivery.status is OutboxStatus.pending and "test.removed_later" in delivery.last_error


def test_a_subscriber_name_is_refused_the_second_time(subscribe):
    subscribe("test_fact", name="test.taken")(lambda payload: None)
    with pytest.raises(ValueError, match=r"'test\.taken' is registered twice"):
        subscribe("test_fact", name="test.taken")(lambda payload: None)
    with pytest.raises(ValueError, match=r"'test\.taken' is registered twice"):
        subscribe("test_other_fact", name="test.taken")(lambda payload: None)


def test_the_mail_subscriber_cannot_be_registered_again(subscribe):
    with pytest.raises(ValueError, match="dialog.core.mail.send_queued"):
        subscribe("email", name="core.send_email")(mail.send_queued)


def test_an_event_nobody_subscribes_to_is_done_at_once_and_never_republished(
    app, ctx, db, monkeypatch
):
    monkeypatch.setitem(app.config, "OUTBOX_RETRY_AFTER_SECONDS", 0)
    event = outbox.record("test_unheard_of", "nobody:1", {})
    db.session.commit()
    assert _status(db, event) is OutboxStatus.delivered
    assert _deliveries(db, event) == {}
    assert _due_ids() == []
    assert run_task(app, "core.sweep_outbox") == 0
    assert _status(db, event) is OutboxStatus.delivered


def test_a_claimed_delivery_is_not_run_by_a_second_worker(app, ctx, db, subscribe):
    calls = []
    subscribe("test_fact", name="test.first")(calls.append)
    subscribe("test_fact", name="test.second")(calls.append)
    event = outbox.record("test_fact", "fact:claimed", {"x": 1})
    db.session.commit()
    first, second = _deliveries(db, event).values()

    assert outbox.claim(first.id) is not None
    db.session.commit()
    assert outbox.claim(first.id) is None
    _run(app, first)
    assert calls == []
    assert _deliveries(db, event)[first.subscriber].attempts == 0
    # The claim is per delivery: the event's other subscriber runs meanwhile.
    _run(app, second)
    assert calls == [{"x": 1}]


def test_two_workers_running_one_delivery_at_once_run_it_once(app, committed_db, subscribe):
    calls = []

    @subscribe("test_fact", name="test.slow")
    def slow(payload):
        calls.append(payload)
        time.sleep(0.3)

    with app.app_context():
        event = outbox.record("test_fact", "fact:race", {"x": 1})
        committed_db.session.commit()
        (delivery,) = _deliveries(committed_db, event).values()
        committed_db.session.remove()
    barrier = threading.Barrier(2)
    errors = []

    def worker():
        try:
            barrier.wait(timeout=10)
            _run(app, delivery)
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert calls == [{"x": 1}]
    with app.app_context():
        assert _status(committed_db, event) is OutboxStatus.delivered


def test_the_sweeper_republishes_only_deliveries_that_are_due(app, ctx, db, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_RETRY_AFTER_SECONDS", 0)
    due = outbox.record("email", "due:1", {})
    db.session.commit()
    monkeypatch.setitem(app.config, "OUTBOX_RETRY_AFTER_SECONDS", 3600)
    later = outbox.record("email", "later:1", {})
    db.session.commit()
    (due_delivery,) = _deliveries(db, due).values()
    (later_delivery,) = _deliveries(db, later).values()
    assert _due_ids() == [due_delivery.id]
    published = run_task(app, "core.sweep_outbox")
    assert published == 1
    (due_delivery,) = _deliveries(db, due).values()
    assert due_delivery.next_attempt_at > due.created_at
    assert later_delivery.id not in _due_ids()


def _pending(db) -> dict[int, tuple]:
    """Each pending delivery's retry time, attempts and claim, with whether it is due."""
    due = set(_due_ids())
    rows = db.session.scalars(
        select(OutboxDelivery).where(OutboxDelivery.status == OutboxStatus.pending)
    )
    pending = {
        row.id: (row.next_attempt_at, row.attempts, row.claimed_until, row.id in due)
        for row in rows
    }
    # The task's own session writes next: SQLite takes its lock at BEGIN, so end ours.
    db.session.rollback()
    return pending


@pytest.mark.parametrize(
    "down_broker",
    [
        pytest.param(lambda tmp: f"redis://127.0.0.1:{free_port()}/0", id="redis-closed-port"),
        pytest.param(
            lambda tmp: f"sqla+sqlite:///{tmp}/no-such-dir/broker.sqlite", id="sqlite-unopenable"
        ),
    ],
)
def test_the_sweeper_skips_while_the_broker_backs_off_and_leaves_due_deliveries_as_they_were(
    committed_db, tmp_path, down_broker
):
    """A publish that failed marks the broker down for its back-off; a sweep meanwhile
    neither postpones nor publishes what is due: the deliveries stay due for the first
    sweep after the back-off, which tries the broker again."""
    from dialog import create_app
    from dialog.core import outages

    site = create_app(CELERY_BROKER_URL=down_broker(tmp_path), OUTBOX_RETRY_AFTER_SECONDS=0)
    with site.app_context():
        for n in range(3):
            mail.queue(
                to=f"sweep-{n}@example.org",
                template="password_changed",
                locale="sv",
                key=f"sweep-down:{n}",
                name="Ada",
                reset_url="http://example.org/r",
            )
        committed_db.session.commit()  # its publish fails: the broker is down for real
        broker = outbox.broker_outage()
        assert broker.down and not broker.worth_trying()
        before = _pending(committed_db)
        assert len(before) == 3 and all(due for *_, due in before.values())

        assert run_task(site, "core.sweep_outbox") == 0
        assert not broker.worth_trying()  # the sweep ran inside the back-off
        assert _pending(committed_db) == before  # still due, nothing postponed or claimed

        # Once the back-off has run out the sweeper tries the broker (still down) again.
        wait_for(broker.worth_trying, timeout=outages.RETRY_AFTER_SECONDS + 5)
        assert run_task(site, "core.sweep_outbox") == 0
        after = _pending(committed_db)
        assert sorted(after) == sorted(before)
        assert all(after[i][0] > before[i][0] for i in before)  # postponed by that sweep
        assert broker.down and not broker.worth_trying()


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
        (delivery,) = _deliveries(committed_db, event).values()
        assert delivery.status is OutboxStatus.pending and delivery.attempts == 0


def test_a_periodic_job_cannot_run_twice_at_once(app, ctx, db):
    from dialog.core import locks

    with (
        locks.exclusive("sweep_test", seconds=60) as first,
        locks.exclusive("sweep_test", seconds=60) as second,
    ):
        assert first is True and second is False
    with locks.exclusive("sweep_test", seconds=60) as after_release:
        assert after_release is True


def _due_ids() -> list[int]:
    return [delivery_id for delivery_id, _queue in outbox.due_deliveries()]
