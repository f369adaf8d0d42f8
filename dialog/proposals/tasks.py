"""Periodic upkeep of proposal counters."""

from __future__ import annotations

from celery import shared_task

from dialog.core import locks
from dialog.extensions import db
from dialog.proposals import services


@shared_task(name="proposals.reconcile_counts")
def reconcile_counts() -> int:
    """Rebuild vote counters from the vote rows; they should already agree."""
    with locks.exclusive("reconcile_counts", seconds=3600) as acquired:
        if not acquired:
            return 0
        fixed = services.reconcile_counts()
        db.session.commit()
        return fixed
