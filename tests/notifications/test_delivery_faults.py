"""Notification mail survives what production does to a worker: the broker away while
changes commit, a pool process killed in the middle of a batch, the whole service stopped
with SIGTERM, a mail server that answers 421 or 550. Real parts throughout: a prefork
Celery worker running beat (the sweepers), the configured broker, and an SMTP server on
loopback that keeps every message it accepted."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from sqlalchemy import select

from dialog import create_app
from dialog.accounts.models import User
from dialog.core import outbox, queues
from dialog.dialogues import services as dialogue_services
from dialog.dialogues.models import Dialogue
from dialog.notifications import sending, services
from dialog.notifications.models import Category, Delivery, DeliveryStatus, Frequency
from tests.factories import LIVE
from tests.support import RedisServer, log_in, wait_for

pytestmark = pytest.mark.worker

FOLLOWERS = 12


@pytest.fixture
def followed(app, committed_db, make_dialogue, make_user):
    """A dialogue, and FOLLOWERS people who want to hear of its phases at once."""
    dialogue = make_dialogue("fel", phases=LIVE)
    people = [make_user() for _ in range(FOLLOWERS)]
    with app.app_context():
        fresh = committed_db.session.get(Dialogue, dialogue.id)
        for person in people:
            user = committed_db.session.get(User, person.id)
            dialogue_services.follow(fresh, user)
            services.set_frequencies(user, {Category.phases: Frequency.immediately})
        committed_db.session.commit()
        phase_id = fresh.phases[1].id
    return dialogue.id, phase_id, [person.id for person in people]


def _announce(on_app, db, followed, key: str, kind: str = "phase_ending_soon") -> int:
    dialogue_id, phase_id, _people = followed
    with on_app.app_context():
        fact = outbox.record(
            kind,
            f"phase:{phase_id}:{key}",
            {"phase_id": phase_id, "dialogue_id": dialogue_id},
        )
        db.session.commit()
        return fact.id


def _deliveries(app, db, event_id: int) -> list[Delivery]:
    with app.app_context():
        db.session.expire_all()
        found = db.session.scalars(select(Delivery).where(Delivery.event_id == event_id)).all()
        db.session.expunge_all()
        return found


def _all_sent(app, db, event_id: int, count: int) -> list[Delivery]:
    deliveries = _deliveries(app, db, event_id)
    if len(deliveries) == count and all(d.status is DeliveryStatus.sent for d in deliveries):
        return deliveries
    return []


def _message_ids(app, deliveries: list[Delivery]) -> list[str]:
    with app.app_context():
        return [sending.message_id(delivery) for delivery in deliveries]


def _pid_with_local_port(port: int, candidates: set[int]) -> int:
    """The process among `candidates` owning the loopback socket bound to `port`."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port:
            inodes.add(f"socket:[{fields[9]}]")
    for pid in candidates:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd) in inodes:
                    return pid
            except FileNotFoundError:
                continue
    raise AssertionError(f"no worker process holds the connection from port {port}")


def test_mail_recorded_while_the_broker_is_unreachable_is_all_delivered_once_it_is_back(
    app, committed_db, followed, sink, workers
):
    cut_off = create_app(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
    event_id = _announce(cut_off, committed_db, followed, "outage")
    assert _deliveries(app, committed_db, event_id) == []  # nothing got through yet
    workers()
    sent = wait_for(lambda: _all_sent(app, committed_db, event_id, FOLLOWERS), timeout=90)
    copies = sink.copies()
    assert {copies[message_id] for message_id in _message_ids(app, sent)} == {1}
    assert sorted(d.user_id for d in sent) == sorted(followed[2])


def test_redis_stopped_mid_batch_and_back_empty_delivers_every_mail_once(
    app, committed_db, followed, sink, workers
):
    """The broker of a running worker goes away while it sends, and comes back empty (as
    after a crash): the batches still queued in it are gone, and an event recorded
    meanwhile could not be handed on. The sweepers find both in the database."""
    if not RedisServer.available():
        pytest.skip("redis-server is not installed")
    broker = RedisServer().start()
    try:
        on_broker = create_app(CELERY_BROKER_URL=broker.url)
        worker = workers(CELERY_BROKER_URL=broker.url)
        sink.hold_at = 3
        before = _announce(on_broker, committed_db, followed, "before")
        assert sink.held.wait(60), "no mail reached the server"
        # Both pool processes are busy with a batch each: the third waits in Redis, and
        # goes down with it.
        assert broker.client().llen(queues.MAIL) >= 1

        broker.stop()
        during = _announce(on_broker, committed_db, followed, "during")
        sink.release.set()
        wait_for(lambda: "Connection to broker lost" in worker.log_path.read_text(), timeout=60)
        assert len(_deliveries(app, committed_db, during)) == 0  # nobody could be told yet
        broker.start()

        def all_sent(event_id: int) -> list[Delivery]:
            # Now and then kombu (5.7) fails to close the lost connection and the worker
            # exits with status 1; the unit's Restart=on-failure starts it again, as here.
            nonlocal worker
            if worker.process.poll() is not None:
                assert worker.process.returncode != 0, "a clean exit would not be restarted"
                worker = workers(CELERY_BROKER_URL=broker.url)
            return _all_sent(app, committed_db, event_id, FOLLOWERS)

        for event_id in (before, during):
            sent = wait_for(lambda event_id=event_id: all_sent(event_id), timeout=120)
            copies = sink.copies()
            assert {copies[message_id] for message_id in _message_ids(app, sent)} == {1}
        assert len(sink.messages) == 2 * FOLLOWERS
    finally:
        broker.stop()


def test_a_pool_process_killed_mid_batch_loses_no_mail_and_repeats_at_most_the_one_in_flight(
    app, committed_db, followed, sink, workers
):
    worker = workers()
    sink.hold_at = 3
    event_id = _announce(app, committed_db, followed, "kill")
    assert sink.held.wait(60), "no mail reached the server"
    victim = _pid_with_local_port(sink.held_peer[1], worker.pool_pids())
    os.kill(victim, signal.SIGKILL)
    sink.release.set()
    sent = wait_for(lambda: _all_sent(app, committed_db, event_id, FOLLOWERS), timeout=90)
    copies = sink.copies()
    message_ids = _message_ids(app, sent)
    assert all(copies[message_id] >= 1 for message_id in message_ids)  # none lost
    # The mail whose 250 the killed process never read comes again, with the same
    # Message-ID (a receiver sees one message); every other mail came once.
    assert sum(copies[message_id] - 1 for message_id in message_ids) <= 1
    assert set(copies) == set(message_ids)


def test_the_whole_service_stopped_with_sigterm_mid_batch_then_started_sends_each_mail_once(
    app, committed_db, followed, sink, workers
):
    worker = workers()
    sink.hold_at = 3
    event_id = _announce(app, committed_db, followed, "stop")
    assert sink.held.wait(60), "no mail reached the server"
    worker.signal_group(signal.SIGTERM)  # systemd's stop: every process of the service
    sink.release.set()
    worker.process.wait(timeout=60)
    assert len(sink.messages) < FOLLOWERS  # mail was still owed when it stopped
    workers()
    sent = wait_for(lambda: _all_sent(app, committed_db, event_id, FOLLOWERS), timeout=90)
    copies = sink.copies()
    assert {copies[message_id] for message_id in _message_ids(app, sent)} == {1}
    assert len(sink.messages) == FOLLOWERS


def test_a_421_is_retried_until_the_250_and_a_550_is_dead_at_once_with_one_log_line(
    app, committed_db, followed, sink, workers, make_user
):
    sink.answers = ["421 Try again later"]
    worker = workers()
    event_id = _announce(app, committed_db, followed, "refusals")
    sent = wait_for(lambda: _all_sent(app, committed_db, event_id, FOLLOWERS), timeout=90)
    assert sorted(d.attempts for d in sent) == [1] * (FOLLOWERS - 1) + [2]
    assert set(sink.copies().values()) == {1}

    sink.answers = ["550 No such user here"]
    ended = _announce(app, committed_db, followed, "ended", kind="phase_ended")

    def settled():
        deliveries = _deliveries(app, committed_db, ended)
        done = [d for d in deliveries if d.status is not DeliveryStatus.pending]
        return deliveries if len(deliveries) == len(done) == FOLLOWERS else []

    deliveries = wait_for(settled, timeout=90)
    [dead] = [d for d in deliveries if d.status is DeliveryStatus.dead]
    assert dead.attempts == 1 and "550" in dead.last_error
    assert "@" not in dead.last_error
    lines = [
        line
        for line in worker.log_path.read_text().splitlines()
        if f"notification delivery {dead.id} " in line and "dead" in line
    ]
    assert len(lines) == 1, lines
    with app.app_context():
        bounced = committed_db.session.get(User, dead.user_id)
        assert bounced.mail_bounced_at is not None
        address = bounced.email
        committed_db.session.rollback()
    admin = make_user(role="admin")
    with app.app_context():
        client = app.test_client()
        log_in(client, admin.email)
        page = client.get("/admin/mail").get_data(as_text=True)
    assert "No such user here" in page and address in page
