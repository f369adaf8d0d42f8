"""A prefork worker, as production runs one: pool processes killed by the kernel are
replaced, also while the heartbeat thread waits on a hung database, and the replacements
deliver. A fork that copied a lock held by the heartbeat thread would leave a new pool
process hanging on it for ever (dialog/core/heartbeat.py); so would the job queue's lock
on the SQLite broker, held by whichever idle process billiard had waiting for the next job
(dialog/celery.py)."""

from __future__ import annotations

import os
import signal
import time
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from dialog.core import mail
from tests.support import TcpProxy, WorkerProcess, wait_for

pytestmark = pytest.mark.worker

POOL_PROCESSES = 2
HEALTH_CHECK_TIMEOUT = 1.0
GAVE_UP = "worker heartbeat not written"


def _queue(app, db, to: str) -> None:
    with app.app_context():
        mail.queue(
            to=to,
            template="password_changed",
            locale="sv",
            key=f"prefork:{to}",
            name="Ada",
            reset_url="https://dialog.example/r",
        )
        db.session.commit()


def _delivered(folder: Path, to: str) -> bool:
    return any(
        message_from_bytes(path.read_bytes(), policy=policy.default)["To"] == to
        for path in folder.glob("*.eml")
    )


def _replaced(process: WorkerProcess, killed: set[int]) -> set[int]:
    pids = process.pool_pids()
    return pids if len(pids) == POOL_PROCESSES and not pids & killed else set()


@pytest.fixture
def database_relay(settings):
    """A proxy in front of PostgreSQL that the worker connects through (None on SQLite,
    whose database is a file: nothing there can hang on the network)."""
    url = make_url(settings["DATABASE_URL"])
    if url.get_backend_name() != "postgresql":
        yield None
        return
    relay = TcpProxy(url.port or 5432).start()
    yield relay
    relay.close()


def test_pool_processes_killed_while_the_database_hangs_are_replaced_and_the_next_mails_go(
    app, committed_db, database_relay, settings, tmp_path
):
    folder = tmp_path / "mail"
    env = dict(os.environ, MAIL_DIR=str(folder))
    env |= {"HEALTH_CHECK_TIMEOUT": str(HEALTH_CHECK_TIMEOUT), "DATABASE_CONNECT_TIMEOUT": "2"}
    env.pop("MAIL_SERVER", None)
    if database_relay:
        # A heartbeat every 0.1 s: during the hang the thread is (almost) always in a write,
        # and each write waits out a ping and a reconnect of 2 s each before it gives up.
        env["WORKER_HEARTBEAT_SECONDS"] = "0.1"
        url = make_url(settings["DATABASE_URL"]).set(host="127.0.0.1", port=database_relay.port)
        env["DATABASE_URL"] = url.render_as_string(hide_password=False)
    app.extensions["celery"].control.purge()
    process = WorkerProcess(tmp_path / "worker.log", env=env, pool_processes=POOL_PROCESSES).start()
    try:
        _queue(app, committed_db, "first@example.org")
        wait_for(lambda: _delivered(folder, "first@example.org"), timeout=30)
        # Every one: both are idle, so one of them is the process waiting for the next job.
        killed = process.pool_pids()
        assert len(killed) == POOL_PROCESSES

        if database_relay:
            database_relay.hang()
            wait_for(lambda: GAVE_UP in process.log_path.read_text(), timeout=30)
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        started = time.monotonic()
        # The fork waits for the write in progress no longer than HEALTH_CHECK_TIMEOUT.
        wait_for(lambda: _replaced(process, killed), timeout=HEALTH_CHECK_TIMEOUT + 15)
        replaced_after = time.monotonic() - started
        if database_relay:
            database_relay.resume()

        # Every pool process takes a task: two pool processes, four mails.
        later = [f"later-{number}@example.org" for number in range(2 * POOL_PROCESSES)]
        for to in later:
            _queue(app, committed_db, to)
        wait_for(lambda: all(_delivered(folder, to) for to in later), timeout=30)
    finally:
        process.stop()
    assert process.process.returncode == 0, process.log_path.read_text()
    log = process.log_path.read_text()
    # Billiard reports a job a killed process had taken (WorkerLostError, with its
    # traceback); the outbox delivers that mail again. Nothing else may fail.
    tracebacks = log.split("Traceback (most recent call last):")[1:]
    assert all("WorkerLostError" in each.split("\n20")[0] for each in tracebacks), log
    print(
        f"prefork: {len(killed)} killed pool processes were replaced after {replaced_after:.1f} s"
    )
