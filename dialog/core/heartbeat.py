"""Signs of life that workers leave in the database, where every web host's /readyz reads them.

Each Celery worker process writes its own row (its node name) when it starts and every
`WORKER_HEARTBEAT_SECONDS` after, from a thread of its own so that a long task does not
hold the heartbeat back, and removes the row when it stops cleanly. Every run of a
periodic task writes the task's row (`dialog/core/periodic.py`): the freshest of those is
beat's last run, since only beat starts them.
"""

from __future__ import annotations

import logging
import os
import threading

from celery import bootsteps
from flask import Flask
from sqlalchemy import delete, update

from dialog.core.db import insert_ignoring_conflicts, statement_deadline, utcnow
from dialog.core.models import Heartbeat, HeartbeatKind
from dialog.extensions import db

log = logging.getLogger(__name__)

# How long a clean stop waits for the last write before leaving the row to go stale.
STOP_WAIT_SECONDS = 5
_NAME_LENGTH = Heartbeat.__table__.c.name.type.length


def record(kind: HeartbeatKind, name: str) -> None:
    """Note that `name` is alive now; the caller commits."""
    now = utcnow()
    name = name[:_NAME_LENGTH]
    updated = db.session.execute(
        update(Heartbeat)
        .where(Heartbeat.kind == kind, Heartbeat.name == name)
        .values(seen_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not updated:
        insert_ignoring_conflicts(
            Heartbeat, {"kind": kind, "name": name, "seen_at": now}, ["kind", "name"]
        )


def forget(kind: HeartbeatKind, name: str) -> None:
    db.session.execute(
        delete(Heartbeat).where(Heartbeat.kind == kind, Heartbeat.name == name[:_NAME_LENGTH])
    )


def init_app(app: Flask) -> None:
    app.extensions["celery"].steps["worker"].add(_worker_step(app))


def _worker_step(app: Flask) -> type[bootsteps.StartStopStep]:
    class WorkerHeartbeat(bootsteps.StartStopStep):
        """Runs in each worker's main process, after its pool has started."""

        requires = {"celery.worker.components:Pool"}

        def create(self, worker):
            return _HeartbeatThread(app, worker.hostname)

    return WorkerHeartbeat


class _HeartbeatThread:
    def __init__(self, app: Flask, node_name: str):
        self.app = app
        self.node_name = node_name
        self.stopping = threading.Event()
        # Held while the thread writes. The worker forks (beat, pool processes) while
        # the thread runs; a child forked in the middle of a write would inherit the
        # database driver's locks held by a thread it does not have, and hang on them.
        self.writing = threading.Lock()
        # A write gives up after this long (a hung database), and a fork waits no longer
        # for it: a child gets a fresh pool anyway, so it never touches that connection.
        self.deadline = app.config["HEALTH_CHECK_TIMEOUT"]
        # Per forking thread: two threads forking at once each release only what they took.
        self._fork = threading.local()
        self.thread = threading.Thread(target=self._run, name=f"heartbeat-{node_name}", daemon=True)

    def start(self) -> None:
        self._make_forks_wait_for_writes()
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(STOP_WAIT_SECONDS)

    def _run(self) -> None:
        interval = self.app.config["WORKER_HEARTBEAT_SECONDS"]
        while True:
            self._write(record)
            if self.stopping.wait(interval):
                break
        self._write(forget)

    def _write(self, change) -> None:
        with self.writing, self.app.app_context(), statement_deadline(self.deadline):
            try:
                change(HeartbeatKind.worker, self.node_name)
                db.session.commit()
            except Exception as error:  # the database is down: /readyz will say so
                db.session.rollback()
                first_line = next(iter(str(error).strip().splitlines()), "")
                log.warning(
                    "worker heartbeat not written: %s: %s", type(error).__name__, first_line
                )

    def _make_forks_wait_for_writes(self) -> None:
        with self.app.app_context():
            engines = list(db.engines.values())

        def before() -> None:
            self._fork.held = self.writing.acquire(timeout=self.deadline)

        def in_parent() -> None:
            if getattr(self._fork, "held", False):
                self._fork.held = False
                self.writing.release()

        def in_child() -> None:
            # Free whoever held it: the child has no heartbeat thread to release it.
            self.writing = threading.Lock()
            # The heartbeat's connection stays pooled in this process; a child must not
            # reuse its socket: SQLAlchemy's advice is a fresh pool in the child.
            for engine in engines:
                engine.dispose(close=False)

        os.register_at_fork(before=before, after_in_parent=in_parent, after_in_child=in_child)
