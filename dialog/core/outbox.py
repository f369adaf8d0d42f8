"""The outbox: facts recorded in the causing transaction, delivered to subscribers after commit.

An event is a fact ("comment_added"); any number of named subscribers, in any domain,
react to it. `record()` adds the event (deduplicated by key) and one delivery per
subscriber of its kind, and remembers the deliveries on the session. After the session
commits, each delivery's task is published with a short timeout; failure to publish is
logged once and never reaches the request. After a failure the broker is left alone for a
few seconds (`dialog.core.outages`), so a hung broker costs a request, or a sweeper run,
one publish timeout, not one per delivery. The periodic sweeper re-publishes deliveries
that are still pending, so a broker outage delays delivery and loses nothing. Each
delivery is claimed, retried with backoff and given up on by itself, so a failing
subscriber never makes the others run again.

Every attempt's outcome is one log line naming the delivery, its event, kind and
subscriber: delivered (INFO), failed and retried (WARNING) or given up on (ERROR). The
request that recorded the event is kept with it, so those lines carry its request id even
when the sweeper re-published the delivery.
"""

from __future__ import annotations

import logging
import random
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import redis
import sqlalchemy as sa
from flask import current_app
from flask_sqlalchemy.session import Session
from sqlalchemy import event, select, update

from dialog import logs
from dialog.core import outages, queues
from dialog.core.db import insert_ignoring_conflicts, utcnow
from dialog.core.models import OutboxDelivery, OutboxEvent, OutboxStatus
from dialog.extensions import db

log = logging.getLogger(__name__)

DELIVER_TASK = "core.deliver_outbox"
CLAIM_SECONDS = 120
_PENDING = "outbox_publications"
_NAME_LENGTH = OutboxDelivery.__table__.c.subscriber.type.length
# The recording request's id, kept in the event's payload (and taken out of what the
# subscribers get) so a delivery logs it however late and however often it runs.
_REQUEST_ID_KEY = "_request_id"
# Addresses may be in an error's text (a refused recipient); they stay out of the log.
_ADDRESS = re.compile(r"[^\s<>()\[\]{}'\",;:]+@[^\s<>()\[\]{}'\",;:]+")


@dataclass(frozen=True)
class Subscriber:
    name: str
    kind: str
    react: Callable[..., str | None]
    # Given the event's id too: a subscriber that keys its own rows by the event.
    with_event_id: bool = False
    queue: str = queues.DEFAULT


_subscribers: dict[str, Subscriber] = {}


class GiveUp(Exception):
    """Raised by a subscriber when trying again cannot help (a mail refused for good):
    the delivery is given up on at once, not after OUTBOX_MAX_ATTEMPTS."""


def subscriber(kind: str, *, name: str, with_event_id: bool = False, queue: str = queues.DEFAULT):
    """Register `func(payload)` to react to every event of `kind`; with `with_event_id`,
    `func(payload, event_id)`. Its deliveries run on the broker's `queue`.

    The function must be idempotent (a delivery may run again after a crash), flush and
    never commit. Deliveries are tracked by `name`, so it is unique across all kinds and
    stays stable once events have been recorded for it. What it returns, if anything, is
    added to the delivery's log line (a mail's Message-ID): never personal data.
    """

    def register(func: Callable[[dict[str, Any]], str | None]):
        _check_name_is_free(name, func)
        if queue not in queues.ALL:
            raise ValueError(f"outbox subscriber {name!r}: no queue {queue!r}")
        _subscribers[name] = Subscriber(
            name=name, kind=kind, react=func, with_event_id=with_event_id, queue=queue
        )
        return func

    return register


def _check_name_is_free(name: str, func: Callable) -> None:
    if len(name) > _NAME_LENGTH:
        raise ValueError(f"outbox subscriber name {name!r} is longer than {_NAME_LENGTH}")
    existing = _subscribers.get(name)
    if existing is not None:
        raise ValueError(
            f"outbox subscriber {name!r} is registered twice: by {_qualified(existing.react)}"
            f" for {existing.kind!r} and by {_qualified(func)}; subscriber names must be unique"
        )


def _qualified(func: Callable) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def subscribers_of(kind: str) -> list[Subscriber]:
    return [each for each in _subscribers.values() if each.kind == kind]


def record(kind: str, key: str, payload: dict[str, Any]) -> OutboxEvent | None:
    """Add an event unless one with the same key exists; returns the new event or None."""
    subscribers = subscribers_of(kind)
    now = utcnow()
    event_id = insert_ignoring_conflicts(
        OutboxEvent,
        {
            "kind": kind,
            "key": key,
            "payload": _with_request_id(payload),
            # Nothing is owed for a fact nobody reacts to yet.
            "status": OutboxStatus.pending if subscribers else OutboxStatus.delivered,
            "created_at": now,
        },
        ["key"],
        returning=OutboxEvent.id,
    )
    if event_id is None:
        return None
    _add_deliveries(event_id, subscribers)
    log.debug("outbox event %s (%s) recorded for %d subscribers", event_id, kind, len(subscribers))
    return db.session.get(OutboxEvent, event_id)


def _with_request_id(payload: dict[str, Any]) -> dict[str, Any]:
    request_id = logs.current_request_id()
    return {**payload, _REQUEST_ID_KEY: request_id} if request_id else payload


def payload_of(fact: OutboxEvent) -> dict[str, Any]:
    """What the event's subscribers were given."""
    return _subscriber_payload(fact)


def _subscriber_payload(fact: OutboxEvent) -> dict[str, Any]:
    return {key: value for key, value in fact.payload.items() if key != _REQUEST_ID_KEY}


def _add_deliveries(event_id: int, subscribers: list[Subscriber]) -> None:
    # The first attempt is the task published after commit; the sweeper steps in only
    # when that has not happened within the retry interval.
    sweep_after = utcnow() + timedelta(seconds=current_app.config["OUTBOX_RETRY_AFTER_SECONDS"])
    deliveries = [
        OutboxDelivery(
            event_id=event_id,
            subscriber=each.name,
            status=OutboxStatus.pending,
            attempts=0,
            next_attempt_at=sweep_after,
        )
        for each in subscribers
    ]
    db.session.add_all(deliveries)
    db.session.flush()
    for delivery, each in zip(deliveries, subscribers, strict=True):
        _publish_later(DELIVER_TASK, [delivery.id], each.queue)


def publish_after_commit(task: str, args: list) -> None:
    """Hand a task to the broker once the session commits (and never if it rolls back),
    as deliveries are: a failure is left to the task owner's sweeper."""
    _publish_later(task, args, None)


def _publish_later(task: str, args: list, queue: str | None) -> None:
    """Kept with the innermost transaction open now: a savepoint rolled back takes its
    publications with it."""
    session = db.session()
    within = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_PENDING, []).append((within, task, args, queue))


@event.listens_for(Session, "after_commit")
def _publish_after_commit(session) -> None:
    pending = session.info.get(_PENDING)
    if not pending:
        return
    if session.in_nested_transaction():
        # SQLAlchemy calls this when a savepoint is released too; nothing is committed
        # yet, and a worker handed the task now would not find the rows. What was
        # recorded within the savepoint now waits with the transaction around it.
        released = session.get_nested_transaction()
        session.info[_PENDING] = [
            (released.parent if within is released else within, *publication)
            for within, *publication in pending
        ]
        return
    del session.info[_PENDING]
    for _within, task, args, queue in pending:
        publish_task(task, args, queue=queue)


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session, previous_transaction) -> None:
    if not session.in_transaction():
        session.info.pop(_PENDING, None)
        return
    pending = session.info.get(_PENDING, [])
    session.info[_PENDING] = [
        entry for entry in pending if not _within(entry[0], previous_transaction)
    ]


def _within(transaction, outer) -> bool:
    """Whether `transaction` is `outer` or a savepoint inside it: rolling back a savepoint
    rolls back those still open within it too."""
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


def broker_outage() -> outages.Outage:
    return outages.of("broker", "outbox deliveries wait for the sweeper")


def publish(delivery_id: int, queue: str) -> bool:
    """Hand a delivery to the broker, on its subscriber's queue; False when the broker is
    unreachable or was just now.

    A delivery not published stays pending: the sweeper publishes it later."""
    return publish_task(DELIVER_TASK, [delivery_id], queue=queue)


def publish_task(task: str, args: list, *, queue: str | None = None) -> bool:
    """Publish `task` on `queue`, or on the one its name is routed to."""
    broker = broker_outage()
    if not broker.worth_trying():
        log.debug("task %s %s left to a sweeper: the broker is down", task, args)
        return False
    try:
        _send(task, args, queue or queues.of(task))
    except Exception as error:  # any broker failure: a sweeper publishes it later
        broker.failed(error)
        return False
    broker.succeeded()
    return True


def _send(task: str, args: list, queue: str) -> None:
    celery = current_app.extensions["celery"]
    try:
        celery.send_task(task, args=args, queue=queue, retry=False)
    except Exception as error:
        if not _connection_dropped(error):
            raise
        # A pooled connection that a Redis restart, a proxy or a NAT dropped fails once
        # although Redis is up; redis-py has closed it, so this goes on a fresh one. Kombu
        # takes no redis-py retry policy, and its own retry (retry=True) would also wait
        # out a second timeout on a hung broker: a timeout is never tried again here.
        celery.send_task(task, args=args, queue=queue, retry=False)


def _connection_dropped(error: BaseException) -> bool:
    """Whether Redis refused or dropped the connection (kombu wraps redis-py's error)."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, redis.exceptions.ConnectionError):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def claim(delivery_id: int) -> OutboxDelivery | None:
    """Take the delivery unless it is settled or another worker holds it."""
    now = utcnow()
    claimed = db.session.execute(
        update(OutboxDelivery)
        .where(
            OutboxDelivery.id == delivery_id,
            OutboxDelivery.status == OutboxStatus.pending,
            sa.or_(OutboxDelivery.claimed_until.is_(None), OutboxDelivery.claimed_until < now),
        )
        .values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        return None
    return db.session.get(OutboxDelivery, delivery_id, populate_existing=True)


def deliver(delivery: OutboxDelivery) -> None:
    """Run the delivery's subscriber and record the outcome; flushes, never commits."""
    with logs.request_id_bound(delivery.event.payload.get(_REQUEST_ID_KEY)):
        try:
            # A subscriber that fails halfway leaves none of its writes behind.
            with db.session.begin_nested():
                note = _react(_subscriber_named(delivery.subscriber), delivery.event)
        except Exception as error:
            _record_failure(delivery, error)
        else:
            _record_success(delivery, note)
        db.session.flush()
        _settle_event(delivery.event_id)


def _react(subscribed: Subscriber, fact: OutboxEvent) -> str | None:
    payload = _subscriber_payload(fact)
    if subscribed.with_event_id:
        return subscribed.react(payload, fact.id)
    return subscribed.react(payload)


def _subscriber_named(name: str) -> Subscriber:
    found = _subscribers.get(name)
    if found is None:
        raise LookupError(f"no outbox subscriber is registered as {name!r}")
    return found


def _record_success(delivery: OutboxDelivery, note: str | None) -> None:
    delivery.status = OutboxStatus.delivered
    delivery.delivered_at = utcnow()
    delivery.claimed_until = None
    delivery.attempts += 1
    _log_outcome(
        logging.INFO,
        delivery,
        "delivered",
        f"delivered on attempt {delivery.attempts}" + (f": {note}" if note else ""),
    )


def _record_failure(delivery: OutboxDelivery, error: Exception) -> None:
    delivery.attempts += 1
    delivery.last_error = f"{type(error).__name__}: {error}"[:2000]
    delivery.claimed_until = None
    reason = without_addresses(delivery.last_error)[:500]
    if log.isEnabledFor(logging.DEBUG):
        log.debug(
            "outbox delivery %s failed here:\n%s",
            delivery.id,
            without_addresses("".join(traceback.format_exception(error))),
        )
    if isinstance(error, GiveUp) or delivery.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        delivery.status = OutboxStatus.failed
        _log_outcome(
            logging.ERROR,
            delivery,
            "gave_up",
            f"gave up after {delivery.attempts} attempts ({reason})",
        )
        return
    wait = _backoff(delivery.attempts)
    delivery.next_attempt_at = utcnow() + timedelta(seconds=wait)
    _log_outcome(
        logging.WARNING,
        delivery,
        "retrying",
        f"failed on attempt {delivery.attempts} ({reason}); will retry in {wait:.0f} s",
        retry_in_seconds=wait,
    )


def without_addresses(text: str) -> str:
    return _ADDRESS.sub("<address>", text)


def _log_outcome(level: int, delivery: OutboxDelivery, outcome: str, text: str, **extra) -> None:
    # One line per attempt; the fields are also separate in the JSON format.
    log.log(
        level,
        "outbox delivery %s of event %s (%s, subscriber %s) %s",
        delivery.id,
        delivery.event_id,
        delivery.event.kind,
        delivery.subscriber,
        text,
        extra={
            "delivery_id": delivery.id,
            "event_id": delivery.event_id,
            "event_kind": delivery.event.kind,
            "subscriber": delivery.subscriber,
            "outcome": outcome,
            "attempts": delivery.attempts,
            **extra,
        },
    )


def _backoff(attempts: int) -> float:
    return backoff(current_app.config["OUTBOX_RETRY_AFTER_SECONDS"], attempts)


def backoff(base_seconds: float, attempts: int) -> float:
    """Exponential, with jitter so that what failed together does not retry together:
    between half and all of the doubled wait, doubling at most ten times."""
    ceiling = base_seconds * 2 ** min(attempts, 10)
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def _settle_event(event_id: int) -> None:
    """Sum the deliveries up in the event's status once none is pending any more."""
    # Two workers may settle the last two deliveries of one event at the same time:
    # locking the event row first makes the later one see the other's committed outcome.
    fact = db.session.scalar(
        select(OutboxEvent)
        .where(OutboxEvent.id == event_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    outcomes = set(
        db.session.scalars(
            select(OutboxDelivery.status).where(OutboxDelivery.event_id == event_id).distinct()
        )
    )
    if OutboxStatus.pending in outcomes:
        return
    fact.status = OutboxStatus.failed if OutboxStatus.failed in outcomes else OutboxStatus.delivered
    db.session.flush()


def due_deliveries(limit: int = 500) -> list[tuple[int, str]]:
    """Pending deliveries whose retry time has come, oldest first, each with the queue its
    subscriber runs on."""
    rows = db.session.execute(
        select(OutboxDelivery.id, OutboxDelivery.subscriber)
        .where(
            OutboxDelivery.status == OutboxStatus.pending,
            OutboxDelivery.next_attempt_at <= utcnow(),
        )
        .order_by(OutboxDelivery.next_attempt_at)
        .limit(limit)
    )
    return [(delivery_id, queue_of(name)) for delivery_id, name in rows]


def queue_of(subscriber_name: str) -> str:
    found = _subscribers.get(subscriber_name)
    return found.queue if found else queues.DEFAULT


def postpone(delivery_ids: list[int]) -> None:
    """Give re-published deliveries time to run before the sweeper tries them again."""
    if not delivery_ids:
        return
    db.session.execute(
        update(OutboxDelivery)
        .where(OutboxDelivery.id.in_(delivery_ids))
        .values(
            next_attempt_at=utcnow()
            + timedelta(seconds=current_app.config["OUTBOX_RETRY_AFTER_SECONDS"])
        )
        .execution_options(synchronize_session=False)
    )


def given_up() -> tuple[list[OutboxDelivery], int]:
    """The newest deliveries given up on (their events with them), and how many in all."""
    failed = OutboxDelivery.status == OutboxStatus.failed
    newest = db.session.scalars(
        select(OutboxDelivery).where(failed).order_by(OutboxDelivery.id.desc()).limit(100)
    ).all()
    total = db.session.scalar(select(sa.func.count()).select_from(OutboxDelivery).where(failed))
    return list(newest), total


def retry(delivery_id: int) -> OutboxDelivery | None:
    """Give a delivery that was given up on a fresh set of attempts, published after
    commit; None when there is no such delivery (or it is no longer given up on)."""
    delivery = db.session.scalar(
        select(OutboxDelivery).where(
            OutboxDelivery.id == delivery_id, OutboxDelivery.status == OutboxStatus.failed
        )
    )
    if delivery is None:
        return None
    delivery.status = OutboxStatus.pending
    delivery.attempts = 0
    delivery.claimed_until = None
    delivery.next_attempt_at = utcnow() + timedelta(
        seconds=current_app.config["OUTBOX_RETRY_AFTER_SECONDS"]
    )
    delivery.event.status = OutboxStatus.pending
    db.session.flush()
    _publish_later(DELIVER_TASK, [delivery.id], queue_of(delivery.subscriber))
    return delivery
