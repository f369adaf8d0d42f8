"""Worker tasks for the outbox: deliver one event; sweep what is still pending."""

from __future__ import annotations

from celery import shared_task

from dialog.core import locks, outbox
from dialog.extensions import db


@shared_task(name="core.deliver_outbox_event")
def deliver_outbox_event(event_id: int) -> None:
    event = outbox.claim(event_id)
    db.session.commit()
    if event is None:
        return
    outbox.deliver(event)
    db.session.commit()


@shared_task(name="core.sweep_outbox")
def sweep_outbox() -> int:
    with locks.exclusive("sweep_outbox", seconds=60) as acquired:
        if not acquired:
            return 0
        event_ids = outbox.due_event_ids()
        outbox.postpone(event_ids)
        db.session.commit()
        return sum(outbox.publish(event_id) for event_id in event_ids)
