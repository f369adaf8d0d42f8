"""Helpers the fixtures are built from."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event, select

# The user builder moved to tests/factories.py (the `make_user` fixture); the name stays
# importable here for modules that build users for an app of their own.
from tests.factories import UserFactory  # noqa: F401

PASSWORD = "correct horse battery staple"
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, path: str) -> str:
    page = client.get(path)
    match = CSRF_PATTERN.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post_form(client, path: str, data: dict, *, form_path: str | None = None, **kwargs):
    """Submit a form the way a browser does: with the token from the page it is on."""
    token = csrf_token(client, form_path or path)
    return client.post(path, data={"csrf_token": token, **data}, **kwargs)


def log_in(client, email: str, password: str = PASSWORD):
    return post_form(client, "/login", {"email": email, "password": password})


class Mailbox:
    """Runs pending outbox deliveries through the real task code and reads the mail folder."""

    def __init__(self, app, folder: Path):
        self.app = app
        self.folder = folder

    def deliver(self) -> int:
        from dialog.core import outbox
        from dialog.core.models import OutboxDelivery, OutboxStatus
        from dialog.extensions import db

        with self.app.app_context():
            ids = db.session.scalars(
                select(OutboxDelivery.id).where(OutboxDelivery.status == OutboxStatus.pending)
            ).all()
        for delivery_id in ids:
            run_task(self.app, outbox.DELIVER_TASK, delivery_id)
        return len(ids)

    def messages(self, to: str | None = None) -> list[EmailMessage]:
        self.deliver()
        if not self.folder.exists():
            return []
        found = []
        for path in sorted(self.folder.glob("*.eml")):
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            if to is None or message["To"] == to:
                found.append(message)
        return found

    def last(self, to: str) -> EmailMessage:
        messages = self.messages(to)
        assert messages, f"no email to {to}"
        return messages[-1]


def run_task(app, name: str, *args):
    """Run a task's real code in this process, bound to `app` (no broker involved)."""
    return app.extensions["celery"].tasks[name](*args)


def body(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def first_link(message: EmailMessage) -> str:
    match = re.search(r"https?://\S+", body(message))
    assert match, "no link in the email"
    return match.group(0)


class QueryCounter:
    """Counts SQL statements the app sends while the block runs."""

    def __init__(self, app):
        self.app = app

    def __call__(self):
        return _Counting()


class _Counting:
    def __enter__(self):
        self.statements: list[str] = []
        event.listen(sa.engine.Engine, "before_cursor_execute", self._record)
        return self

    def _record(self, _conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN")):
            self.statements.append(statement)

    def __exit__(self, *_exc):
        event.remove(sa.engine.Engine, "before_cursor_execute", self._record)

    @property
    def count(self) -> int:
        return len(self.statements)


def empty_all_tables(database) -> None:
    """Empty every table; on SQLite the audit triggers are lifted for the moment."""
    from dialog.core.audit import TRIGGERS

    engine = database.engine
    tables = [t.name for t in reversed(database.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql(
                "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
            )
            return
        connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_entry_no_update")
        connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_entry_no_delete")
        for table in tables:
            connection.exec_driver_sql(f'DELETE FROM "{table}"')
        for statement in TRIGGERS["sqlite"]:
            connection.exec_driver_sql(statement)


class WorkerProcess:
    """A real Celery worker (with beat when asked) in a child process."""

    def __init__(self, log_path: Path, *, beat: bool = False, env: dict | None = None):
        self.log_path = log_path
        self.beat = beat
        self.env = env
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> WorkerProcess:
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "worker.app",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        if self.beat:
            command += ["--beat", "--schedule", str(self.log_path.with_suffix(".beat"))]
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            command, stdout=self.log, stderr=subprocess.STDOUT, env=self.env, cwd=ROOT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("worker exited:\n" + self.log_path.read_text())
            if " ready." in self.log_path.read_text():
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("worker did not start:\n" + self.log_path.read_text())

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if getattr(self, "log", None):
            self.log.close()


def wait_for(condition, timeout: float = 30, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")
