"""Worker tasks for the outbox (run one delivery; sweep what is still pending) and the
expiry of uploads nothing refers to."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from flask import current_app

from dialog.core import outbox, storage
from dialog.core.db import utcnow
from dialog.core.periodic import periodic
from dialog.extensions import db

# Files removed per transaction, and transactions per run: a backlog drains over a few
# runs without one run outlasting its lease.
EXPIRY_BATCH = 200
EXPIRY_BATCHES_PER_RUN = 50


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
    # While the broker is in its back-off the due deliveries stay due for a later run.
    if not outbox.broker_outage().worth_trying():
        return 0
    due = outbox.due_deliveries()
    outbox.postpone([delivery_id for delivery_id, _queue in due])
    db.session.commit()
    return sum(outbox.publish(delivery_id, queue) for delivery_id, queue in due)


@periodic("core.expire_unreferenced_uploads", every=3600, lease=900)
def expire_unreferenced_uploads() -> int:
    """Remove uploads older than UNREFERENCED_UPLOAD_HOURS that no proposal (nor any
    other row) uses: images of proposals that were never sent; then bytes in the file
    directory that no row names at all."""
    age = timedelta(hours=current_app.config["UNREFERENCED_UPLOAD_HOURS"])
    older_than = utcnow() - age
    removed = 0
    for _ in range(EXPIRY_BATCHES_PER_RUN):
        expired = storage.expire_unreferenced(older_than, limit=EXPIRY_BATCH)
        db.session.commit()
        storage.remove_bytes(expired)
        removed += len(expired)
        if len(expired) < EXPIRY_BATCH:
            break
    if current_app.config["FILE_STORAGE"] == "directory":
        removed += storage.remove_orphaned_bytes(
            older_than, limit=EXPIRY_BATCH * EXPIRY_BATCHES_PER_RUN
        )
    return removed
