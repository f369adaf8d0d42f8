"""Worker tasks for the outbox: run one delivery; sweep what is still pending."""

from __future__ import annotations

from celery import shared_task

from dialog.core import outbox
from dialog.core.periodic import periodic
from dialog.extensions import db


@shared_task(name=outbox.DELIVER_TASK)
def deliver_outbox(delivery_id: int) -> None:
    delivery = outbox.claim(delivery_id)
    db.session.commit()
    if delivery is None:
        return
    outbox.deliver(delivery)
    db.session.commit()


@periodic("core.sweep_outbox", every="OUTBOX_SWEEP_INTERVAL_SECONDS", lease=60)
def sweep_outbox() -> int:
    delivery_ids = outbox.due_delivery_ids()
    outbox.postpone(delivery_ids)
    db.session.commit()
    return sum(outbox.publish(delivery_id) for delivery_id in delivery_ids)
