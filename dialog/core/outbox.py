"""The outbox: side effects recorded in the causing transaction, published after commit.

`record()` adds a row (deduplicated by key) and remembers it on the session. After the
session commits, each row's delivery task is published with a short timeout; failure to
publish is logged and never reaches the request. The periodic sweeper re-publishes rows
that are still pending, so a broker outage delays delivery and loses nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_sqlalchemy.session import Session
from sqlalchemy import event, select, update

from dialog.core.db import insert_ignoring_conflicts, utcnow
from dialog.core.models import OutboxEvent, OutboxStatus
from dialog.extensions import db

log = logging.getLogger(__name__)

_SESSION_KEY = "outbox_event_ids"
_handlers: dict[str, Callable[[dict[str, Any]], None]] = {}
CLAIM_SECONDS = 120


def handler(kind: str):
    """Register the function that delivers events of one kind (it must be idempotent)."""

    def register(func):
        _handlers[kind] = func
        return func

    return register


def record(kind: str, key: str, payload: dict[str, Any]) -> OutboxEvent | None:
    """Add an event unless one with the same key exists; returns the new event or None."""
    retry_after = current_app.config["OUTBOX_RETRY_AFTER_SECONDS"]
    now = utcnow()
    event_id = insert_ignoring_conflicts(
        OutboxEvent,
        {
            "kind": kind,
            "key": key,
            "payload": payload,
            "status": OutboxStatus.pending,
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now + timedelta(seconds=retry_after),
        },
        ["key"],
        returning=OutboxEvent.id,
    )
    if event_id is None:
        return None
    db.session.info.setdefault(_SESSION_KEY, []).append(event_id)
    return db.session.get(OutboxEvent, event_id)


@event.listens_for(Session, "after_commit")
def _publish_after_commit(session) -> None:
    for event_id in session.info.pop(_SESSION_KEY, []):
        publish(event_id)


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session, _previous_transaction) -> None:
    if not session.in_transaction():
        session.info.pop(_SESSION_KEY, None)


def publish(event_id: int) -> bool:
    """Hand an event to the broker; False (and a log line) when the broker is unreachable."""
    celery_app = current_app.extensions["celery"]
    try:
        celery_app.send_task("core.deliver_outbox_event", args=[event_id], retry=False)
    except Exception as error:  # any broker failure: the sweeper publishes it later
        log.warning(
            "outbox event %s not published now (%s); the sweeper will retry", event_id, error
        )
        return False
    return True


def claim(event_id: int) -> OutboxEvent | None:
    """Take the event for delivery unless delivered or another worker holds it."""
    now = utcnow()
    claimed = db.session.execute(
        update(OutboxEvent)
        .where(
            OutboxEvent.id == event_id,
            OutboxEvent.status == OutboxStatus.pending,
            sa.or_(OutboxEvent.claimed_until.is_(None), OutboxEvent.claimed_until < now),
        )
        .values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        return None
    return db.session.get(OutboxEvent, event_id, populate_existing=True)


def deliver(event: OutboxEvent) -> None:
    """Run the event's handler and record the outcome; flushes, never commits."""
    handle = _handlers.get(event.kind)
    if handle is None:
        _wait_for_a_handler(event)
        return
    try:
        handle(event.payload)
    except Exception as error:
        _record_failure(event, error)
        return
    event.status = OutboxStatus.delivered
    event.delivered_at = utcnow()
    event.claimed_until = None
    event.attempts += 1
    db.session.flush()


def _wait_for_a_handler(event: OutboxEvent) -> None:
    # Events are recorded before every consumer exists (phase events wait for the
    # notifications domain); they stay pending and are looked at again hourly.
    event.claimed_until = None
    event.next_attempt_at = utcnow() + timedelta(hours=1)
    db.session.flush()


def _record_failure(event: OutboxEvent, error: Exception) -> None:
    log.exception("outbox event %s (%s) failed", event.id, event.kind)
    event.attempts += 1
    event.last_error = f"{type(error).__name__}: {error}"[:2000]
    event.claimed_until = None
    if event.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        event.status = OutboxStatus.failed
    else:
        backoff = current_app.config["OUTBOX_RETRY_AFTER_SECONDS"] * 2 ** min(event.attempts, 10)
        event.next_attempt_at = utcnow() + timedelta(seconds=backoff)
    db.session.flush()


def due_event_ids(limit: int = 500) -> list[int]:
    """Pending events whose retry time has come, oldest first."""
    return list(
        db.session.scalars(
            select(OutboxEvent.id)
            .where(
                OutboxEvent.status == OutboxStatus.pending,
                OutboxEvent.next_attempt_at <= utcnow(),
            )
            .order_by(OutboxEvent.next_attempt_at)
            .limit(limit)
        )
    )


def postpone(event_ids: list[int]) -> None:
    """Give re-published events time to be delivered before the sweeper tries again."""
    if not event_ids:
        return
    db.session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id.in_(event_ids))
        .values(
            next_attempt_at=utcnow()
            + timedelta(seconds=current_app.config["OUTBOX_RETRY_AFTER_SECONDS"])
        )
        .execution_options(synchronize_session=False)
    )
