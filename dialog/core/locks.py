"""Leases in the database that keep periodic tasks from overlapping on any host."""

from __future__ import annotations

import secrets
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import update

from dialog.core.db import insert_ignoring_conflicts, utcnow
from dialog.core.models import JobLock
from dialog.extensions import db


@contextmanager
def exclusive(name: str, *, seconds: int):
    """Yield True when this caller holds the lease, False when someone else does.

    The lease is taken and released in transactions of their own, so it is visible to
    other workers while the job runs.
    """
    holder = secrets.token_hex(8)
    acquired = _acquire(name, holder, seconds)
    try:
        yield acquired
    finally:
        if acquired:
            db.session.rollback()
            db.session.execute(
                update(JobLock)
                .where(JobLock.name == name, JobLock.holder == holder)
                .values(locked_until=utcnow(), holder=None)
            )
            db.session.commit()


def _acquire(name: str, holder: str, seconds: int) -> bool:
    now = utcnow()
    insert_ignoring_conflicts(
        JobLock, {"name": name, "holder": None, "locked_until": now}, ["name"]
    )
    taken = db.session.execute(
        update(JobLock)
        .where(JobLock.name == name, JobLock.locked_until <= now)
        .values(holder=holder, locked_until=now + timedelta(seconds=seconds))
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return bool(taken)
