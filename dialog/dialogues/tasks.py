"""The phase scheduler: a beat task every minute."""

from __future__ import annotations

from celery import shared_task

from dialog.core import locks
from dialog.dialogues import services
from dialog.extensions import db


@shared_task(name="dialogues.record_phase_transitions")
def record_phase_transitions() -> int:
    # The unique key on transitions already makes concurrent runs record each event
    # once; the lease spares the database the duplicate work.
    with locks.exclusive("record_phase_transitions", seconds=120) as acquired:
        if not acquired:
            return 0
        recorded = services.record_due_transitions()
        db.session.commit()
        return recorded
