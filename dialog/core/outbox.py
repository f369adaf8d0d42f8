"""The outbox: facts recorded in the causing transaction, delivered to subscribers after commit.

An event is a fact ("comment_added"); any number of named subscribers, in any domain,
react to it. `record()` adds the event (deduplicated by key) and one delivery per
subscriber of its kind, and remembers the deliveries on the session. After the session
commits, each delivery's task is published with a short timeout; failure to publish is
logged and never reaches the request. The periodic sweeper re-publishes deliveries that
are still pending, so a broker outage delays delivery and loses nothing. Each delivery is
claimed, retried with backoff and given up on by itself, so a failing subscriber never
makes the others run again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_sqlalchemy.session import Session
from sqlalchemy import event, select, update

from dialog.core.db import insert_ignoring_conflicts, utcnow
from dialog.core.models import OutboxDelivery, OutboxEvent, OutboxStatus
from dialog.extensions import db

log = logging.getLogger(__name__)

DELIVER_TASK = "core.deliver_outbox"
CLAIM_SECONDS = 120
_SESSION_KEY = "outbox_delivery_ids"
_NAME_LENGTH = OutboxDelivery.__table__.c.subscriber.type.length


@dataclass(frozen=True)
class Subscriber:
    name: str
    kind: str
    react: Callable[[dict[str, Any]], None]


_subscribers: dict[str, Subscriber] = {}


def subscriber(kind: str, *, name: str):
    """Register `func(payload)` to react to every event of `kind`.

    The function must be idempotent (a delivery may run again after a crash), flush and
    never commit. Deliveries are tracked by `name`, so it is unique across all kinds and
    stays stable once events have been recorded for it.
    """

    def register(func: Callable[[dict[str, Any]], None]):
        _check_name_is_free(name, func)
        _subscribers[name] = Subscriber(name=name, kind=kind, react=func)
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
            "payload": payload,
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
    return db.session.get(OutboxEvent, event_id)


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
    db.session.info.setdefault(_SESSION_KEY, []).extend(d.id for d in deliveries)


@event.listens_for(Session, "after_commit")
def _publish_after_commit(session) -> None:
    for delivery_id in session.info.pop(_SESSION_KEY, []):
        publish(delivery_id)


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session, _previous_transaction) -> None:
    if not session.in_transaction():
        session.info.pop(_SESSION_KEY, None)


def publish(delivery_id: int) -> bool:
    """Hand a delivery to the broker; False (and a log line) when the broker is unreachable."""
    celery_app = current_app.extensions["celery"]
    try:
        celery_app.send_task(DELIVER_TASK, args=[delivery_id], retry=False)
    except Exception as error:  # any broker failure: the sweeper publishes it later
        log.warning(
            "outbox delivery %s not published now (%s); the sweeper will retry",
            delivery_id,
            error,
        )
        return False
    return True


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
    try:
        # A subscriber that fails halfway leaves none of its writes behind.
        with db.session.begin_nested():
            _subscriber_named(delivery.subscriber).react(delivery.event.payload)
    except Exception as error:
        _record_failure(delivery, error)
    else:
        _record_success(delivery)
    db.session.flush()
    _settle_event(delivery.event_id)


def _subscriber_named(name: str) -> Subscriber:
    found = _subscribers.get(name)
    if found is None:
        raise LookupError(f"no outbox subscriber is registered as {name!r}")
    return found


def _record_success(delivery: OutboxDelivery) -> None:
    delivery.status = OutboxStatus.delivered
    delivery.delivered_at = utcnow()
    delivery.claimed_until = None
    delivery.attempts += 1


def _record_failure(delivery: OutboxDelivery, error: Exception) -> None:
    log.exception(
        "outbox delivery %s (%s of event %s) failed",
        delivery.id,
        delivery.subscriber,
        delivery.event_id,
    )
    delivery.attempts += 1
    delivery.last_error = f"{type(error).__name__}: {error}"[:2000]
    delivery.claimed_until = None
    if delivery.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        delivery.status = OutboxStatus.failed
    else:
        delivery.next_attempt_at = utcnow() + timedelta(seconds=_backoff(delivery.attempts))


def _backoff(attempts: int) -> int:
    return current_app.config["OUTBOX_RETRY_AFTER_SECONDS"] * 2 ** min(attempts, 10)


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


def due_delivery_ids(limit: int = 500) -> list[int]:
    """Pending deliveries whose retry time has come, oldest first."""
    return list(
        db.session.scalars(
            select(OutboxDelivery.id)
            .where(
                OutboxDelivery.status == OutboxStatus.pending,
                OutboxDelivery.next_attempt_at <= utcnow(),
            )
            .order_by(OutboxDelivery.next_attempt_at)
            .limit(limit)
        )
    )


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
