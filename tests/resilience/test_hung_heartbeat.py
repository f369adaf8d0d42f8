"""A worker's heartbeat write is short-lived when the database hangs, and never holds a
fork (of beat or a pool process) for longer than its own deadline."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from dialog.core.heartbeat import _HeartbeatThread, record
from tests.resilience.journey import BOUND_SECONDS

needs_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL"), reason="the database hangs through a proxy: PostgreSQL"
)


@needs_postgres
def test_a_heartbeat_write_into_a_hung_database_gives_up_within_the_health_check_timeout(
    app, committed_db, build_site, proxy, settings
):
    from dialog.extensions import db

    url = make_url(settings["DATABASE_URL"])
    relay = proxy(url.port or 5432)
    site = build_site(
        DATABASE_URL=url.set(host="127.0.0.1", port=relay.port).render_as_string(False),
        DATABASE_WORKER_STATEMENT_TIMEOUT="600",
        HEALTH_CHECK_TIMEOUT="1",
    )
    beat = _HeartbeatThread(site, "celery@hängd")
    beat._write(record)  # a pooled connection, as after the first beat
    with site.app_context():
        engine = db.engine

    def hang_mid_write(*_args, **_kwargs):
        relay.hang()

    event.listen(engine, "before_cursor_execute", hang_mid_write)
    try:
        writer = threading.Thread(target=beat._write, args=(record,), daemon=True)
        writer.start()
        started = time.monotonic()
        writer.join(BOUND_SECONDS)
        took = time.monotonic() - started
    finally:
        event.remove(engine, "before_cursor_execute", hang_mid_write)
        relay.resume()
    assert not writer.is_alive(), "the heartbeat write still waits on the hung database"
    assert took < BOUND_SECONDS
    assert beat.writing.acquire(blocking=False)  # and a fork need not wait
    beat.writing.release()


_FORK_WHILE_WRITING = textwrap.dedent(
    """
    import os, time
    from dialog import create_app
    from dialog.core.heartbeat import _HeartbeatThread

    beat = _HeartbeatThread(create_app(), "celery@gaffel")
    beat._make_forks_wait_for_writes()
    beat.writing.acquire()  # a write that does not end
    started = time.monotonic()
    child = os.fork()
    if child == 0:
        # The child has no heartbeat thread: its lock must be free for its own forks.
        os._exit(0 if beat.writing.acquire(timeout=1) else 3)
    _, status = os.waitpid(child, 0)
    print(round(time.monotonic() - started, 2), os.waitstatus_to_exitcode(status))
    """
)


def test_a_fork_goes_on_when_the_heartbeat_write_outlasts_its_deadline(app, monkeypatch):
    monkeypatch.setenv("HEALTH_CHECK_TIMEOUT", "1")
    finished = subprocess.run(
        [sys.executable, "-c", _FORK_WHILE_WRITING],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert finished.returncode == 0, finished.stderr
    waited, child_status = finished.stdout.split()
    assert 0.9 <= float(waited) < BOUND_SECONDS
    assert child_status == "0"


@needs_postgres
def test_a_heartbeat_after_the_database_hung_between_beats_waits_its_own_deadline(
    app, committed_db, build_site, proxy, settings
):
    """The pooled connection's check and the reconnect after it wait the heartbeat's
    deadline, not DATABASE_CONNECT_TIMEOUT each (5 s + 5 s here)."""
    url = make_url(settings["DATABASE_URL"])
    relay = proxy(url.port or 5432)
    site = build_site(
        DATABASE_URL=url.set(host="127.0.0.1", port=relay.port).render_as_string(False),
        DATABASE_CONNECT_TIMEOUT="5",
        HEALTH_CHECK_TIMEOUT="0.5",
    )
    beat = _HeartbeatThread(site, "celery@mellan")
    beat._write(record)  # a pooled connection, as after the first beat
    relay.hang()
    try:
        started = time.monotonic()
        beat._write(record)
        took = time.monotonic() - started
    finally:
        relay.resume()
    # The check (0.5 s) and a reconnect (libpq waits at least 2 s for one).
    assert took < 0.5 + 2 + 1.5


@needs_postgres
def test_a_connection_checked_out_under_a_deadline_answers_within_it_and_then_as_before(
    app, committed_db, build_site, settings
):
    from dialog.core.db import ANSWER_MARGIN_SECONDS, statement_deadline
    from dialog.extensions import db

    site = build_site(DATABASE_WORKER_STATEMENT_TIMEOUT="600")
    with site.app_context():
        db.session.execute(text("SELECT 1"))  # pooled, set up for a task's work
        db.session.commit()
        engine = db.engine

    def deadlines() -> tuple[str, float | None]:
        with engine.connect() as connection:
            timeout = connection.exec_driver_sql("SHOW statement_timeout").scalar()
            return timeout, connection.connection.dbapi_connection.answer_deadline

    with site.app_context():
        with statement_deadline(0.5):
            assert deadlines() == ("500ms", 0.5 + ANSWER_MARGIN_SECONDS)
        assert deadlines() == ("10min", 600 + ANSWER_MARGIN_SECONDS)
    assert engine.pool.checkedout() == 0 and engine.pool.size() >= 1


def test_a_heartbeat_write_waits_for_sqlites_write_lock_no_longer_than_its_deadline(
    app, committed_db, build_site, settings, caplog
):
    from dialog.extensions import db

    if not settings["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("SQLite's write lock")
    site = build_site(SQLITE_BUSY_TIMEOUT_MS="10000", HEALTH_CHECK_TIMEOUT="0.5")
    beat = _HeartbeatThread(site, "celery@låst")
    beat._write(record)  # a pooled connection, as after the first beat
    holder = sqlite3.connect(make_url(settings["DATABASE_URL"]).database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a long write elsewhere holds SQLite's one lock
    try:
        started = time.monotonic()
        beat._write(record)
        took = time.monotonic() - started
    finally:
        holder.rollback()
        holder.close()
    assert took < 3, "the heartbeat waited out the 10 s busy timeout"
    assert "worker heartbeat not written: OperationalError" in caplog.text
    # The same pooled connection waits the full busy timeout again for other work.
    with site.app_context():
        busy_timeout = db.session.connection().exec_driver_sql("PRAGMA busy_timeout").scalar()
        db.session.rollback()
    assert busy_timeout == 10000
