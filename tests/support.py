"""Helpers the fixtures are built from."""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import shutil
import socket
import struct
import subprocess
import sys
import threading
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


# A production environment that passes every check; each test spoils one thing.
PRODUCTION = {
    "SECRET_KEY": "s" * 40,
    "DATABASE_URL": "postgresql://db/dialog",
    "REDIS_URL": "redis://cache:6379/0",
    "PUBLIC_URL": "https://dialog.kommun.se",
    "MAIL_SERVER": "smtp.kommun.se",
    "MAIL_SECURITY": "starttls",
    "MAIL_DEFAULT_SENDER": "noreply@kommun.se",
    "ACCESSIBILITY_FEEDBACK_EMAIL": "tillganglighet@kommun.se",
}


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


# TRUNCATE takes every table's lock in turn: a worker or the live server finishing a
# transaction over several tables meanwhile can deadlock with it. PostgreSQL then aborts
# one of the two, and the other has finished by the time this runs again.
EMPTYING_ATTEMPTS = 5


def empty_all_tables(database) -> None:
    """Back to the database as migrated: every table empty but for the districts the
    migration lists; on SQLite the audit triggers are lifted for the moment."""
    for attempt in range(1, EMPTYING_ATTEMPTS + 1):
        try:
            _empty_all_tables(database)
            return
        except sa.exc.OperationalError as error:
            if "deadlock detected" not in str(error) or attempt == EMPTYING_ATTEMPTS:
                raise


def _empty_all_tables(database) -> None:
    from dialog.core.audit import TRIGGERS

    engine = database.engine
    tables = [t.name for t in reversed(database.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql(
                "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
            )
        else:
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_entry_no_update")
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_entry_no_delete")
            for table in tables:
                connection.exec_driver_sql(f'DELETE FROM "{table}"')
            for statement in TRIGGERS["sqlite"]:
                connection.exec_driver_sql(statement)
        _migrated_districts(connection)


def _migrated_districts(connection) -> None:
    from dialog.districts.models import District
    from dialog.districts.services import DEMO_DISTRICTS

    connection.execute(
        sa.insert(District),
        [
            {"code": code, "name": name, "position": position}
            for position, (code, name) in enumerate(DEMO_DISTRICTS.items(), start=1)
        ],
    )


class WorkerProcess:
    """A real Celery worker (with beat when asked) in a child process."""

    def __init__(
        self,
        log_path: Path,
        *,
        beat: bool = False,
        env: dict | None = None,
        pool_processes: int = 0,
        queues: tuple[str, ...] = (),
    ):
        """`pool_processes`: that many forked pool processes (prefork, as production
        runs); 0 runs tasks in the worker's own process (solo), which starts faster.
        `queues`: the broker queues it takes (every queue when empty). The worker leads a
        process group of its own, as under a service manager (`signal_group`)."""
        self.log_path = log_path
        self.beat = beat
        self.env = env
        self.pool_processes = pool_processes
        self.queues = queues
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> WorkerProcess:
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "worker.app",
            "worker",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        if self.pool_processes:
            command += ["--pool=prefork", f"--concurrency={self.pool_processes}"]
        else:
            command += ["--pool=solo"]
        if self.beat:
            command += ["--beat", "--schedule", str(self.log_path.with_suffix(".beat"))]
        if self.queues:
            command += ["--queues", ",".join(self.queues)]
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            command,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=self.env,
            cwd=ROOT,
            start_new_session=True,
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

    def pool_pids(self) -> set[int]:
        """The worker's child processes (its pool, and beat when it runs one)."""
        tasks = Path(f"/proc/{self.process.pid}/task")
        return {
            int(pid) for task in tasks.iterdir() for pid in (task / "children").read_text().split()
        }

    def signal_group(self, signum: int) -> None:
        """Signal the worker and all its children at once, as systemd stops a service."""
        os.killpg(self.process.pid, signum)

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


def in_threads(app, count: int, work) -> list:
    """work(index) in `count` threads started together, each in an app context; what each
    returned, or the reason of its refusal."""
    from dialog.core.permissions import Refused

    barrier = threading.Barrier(count)
    outcomes = []

    def run(index):
        with app.app_context():
            barrier.wait()
            try:
                outcomes.append(work(index))
            except Refused as refused:
                from dialog.extensions import db

                db.session.rollback()
                outcomes.append(refused.decision.reason)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


def wait_for(condition, timeout: float = 30, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


# Fault injection: real processes and sockets, nothing of the app's own replaced ----------


class RedisServer:
    """A private redis-server on a free port, keeping nothing on disk; stop and start it
    again on the same port to take Redis away and give it back (empty, as after a crash)."""

    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for(self.answers, timeout=10, interval=0.05)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def client(self):
        import redis

        return redis.Redis(port=self.port, socket_timeout=2, socket_connect_timeout=2)

    def answers(self) -> bool:
        import redis

        try:
            return bool(self.client().ping())
        except redis.exceptions.ConnectionError:
            return False


class TcpProxy:
    """A loopback TCP proxy in front of a real server, to make it fail the ways networks do.

    `refuse()`: nothing listens any more and open connections are cut (the server is gone);
    `hang()`: connections are still accepted, but nothing is forwarded either way (a stalled
    server, or a network that swallows packets); `resume()`: forwarding again, on fresh
    connections (those stalled meanwhile are cut, as a restarted server would);
    `lose_connections()`: the server stays up, but the proxy forgets the connections open
    now without telling either end (a restarted load balancer or NAT, a failover): the next
    bytes a client sends on one are answered with a reset.
    """

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.port = free_port()
        self._forwarding = threading.Event()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._lost: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self.accepted = 0  # connections clients opened through it, ever

    def start(self) -> TcpProxy:
        self._forwarding.set()
        self._listen()
        return self

    def refuse(self) -> None:
        self._forwarding.clear()
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        self._cut_connections()

    def hang(self) -> None:
        self._forwarding.clear()

    def resume(self) -> None:
        self._cut_connections()
        self._forwarding.set()
        if self._listener is None:
            self._listen()

    def lose_connections(self) -> None:
        with self._lock:
            self._lost |= self._sockets

    def close(self) -> None:
        self.refuse()

    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # refused or closed
            self.accepted += 1
            self._keep(client)
            if not self._forwarding.is_set():
                continue  # accepted, and never answered
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                self._close(client)
                continue
            self._keep(upstream)
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        peer = {client: upstream, upstream: client}
        with selectors.DefaultSelector() as selector:
            for sock in peer:
                selector.register(sock, selectors.EVENT_READ)
            while client.fileno() != -1 and upstream.fileno() != -1:
                if not self._forwarding.is_set():
                    time.sleep(0.02)  # stalled: what was sent waits unread
                    continue
                for key, _ in selector.select(timeout=0.05):
                    if key.fileobj in self._lost:
                        self._reset(client)
                        self._close(upstream)
                        return
                    try:
                        data = key.fileobj.recv(65536)
                        if not data:
                            raise OSError("closed")
                        if self._forwarding.is_set():
                            peer[key.fileobj].sendall(data)
                    except OSError:
                        self._close(client)
                        self._close(upstream)
                        return

    def _keep(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)

    def _close(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
            self._lost.discard(sock)
        with contextlib.suppress(OSError):  # already cut by the other side
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def _reset(self, sock: socket.socket) -> None:
        # No FIN first: with a zero linger, close() sends the peer a reset straight away.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with self._lock:
            self._sockets.discard(sock)
            self._lost.discard(sock)
        sock.close()

    def _cut_connections(self) -> None:
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            self._close(sock)


class BlackHole:
    """Accepts every connection and never sends a byte: a dependency that hangs.

    Closing it closes what it accepted, so whatever still waits on it fails then.
    """

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.closing = threading.Event()
        self.thread = threading.Thread(target=self._accept, name="black-hole", daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.closing.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.accepted.append(connection)

    def close(self) -> None:
        self.closing.set()
        self.thread.join()
        self.listener.close()
        for connection in self.accepted:
            connection.close()


def threads_named(prefix: str) -> list[threading.Thread]:
    return [each for each in threading.enumerate() if each.name.startswith(prefix)]


def answered_within(limit: float, call):
    """What `call()` returned, or a failure once it has taken `limit` seconds (the call
    is left to finish in its thread when the hang ends)."""
    done = threading.Event()
    outcome = {}

    def run():
        outcome["result"] = call()
        done.set()

    threading.Thread(target=run, name="timed-request", daemon=True).start()
    assert done.wait(limit), f"no answer within {limit} s"
    return outcome["result"]


def pending_deliveries(app) -> int:
    """How many outbox deliveries are still owed (committed ones: read in a fresh session)."""
    from sqlalchemy import func

    from dialog.core.models import OutboxDelivery, OutboxStatus
    from dialog.extensions import db

    with app.app_context():
        return db.session.scalar(
            select(func.count()).where(OutboxDelivery.status == OutboxStatus.pending)
        )


def tasks_waiting(redis_client) -> int:
    """Tasks published to a Redis broker and not yet taken, on every queue."""
    from dialog.core import queues

    return sum(redis_client.llen(name) for name in queues.ALL)


def compiled_by_its_planner(app, dialogue, planner) -> int:
    """The planner made staff of the dialogue, then a version asked for by them and
    compiled by the worker's task in this process; its id."""
    from dialog.accounts.models import User
    from dialog.dialogues import services as dialogue_services
    from dialog.dialogues.models import Dialogue
    from dialog.extensions import db
    from dialog.reports import services

    with app.app_context():
        dialogue_services.assign_planner(
            db.session.get(Dialogue, dialogue.id), db.session.get(User, planner.id), by=None
        )
        report_id = services.request_report(
            db.session.get(Dialogue, dialogue.id), by=db.session.get(User, planner.id)
        ).id
        db.session.commit()  # ids kept before it: reading one after would hold a lock
        assert run_task(app, services.COMPILE_TASK, report_id) == "done"
    return report_id


# Address names the dialogue form refuses, with what the refusal says.
BAD_ADDRESS_NAMES = [
    ("Bad Slug!", "'Bad Slug!' is not an address name"),
    ("a" * 300, "is 300 characters long: at most 80"),
    ("kopia-\n", "is not an address name"),
]
BAD_ADDRESS_NAME_IDS = ["bad-characters", "too-long", "final-newline"]
