"""Notification email end to end, next to a bare smtplib loop against the same server.

    .venv/bin/python bench/notifications.py --followers 20000
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench \\
      CELERY_BROKER_URL=redis://127.0.0.1:6379/12 \\
      .venv/bin/python bench/notifications.py --followers 100000

Seeds a dialogue with `seed-scale --followers N` (and one with fewer followers, to show
that the workers' memory does not grow with the audience), sets every follower's email
about phases to "at once", starts an SMTP sink on loopback (it only counts messages) and
real Celery workers (`celery -A worker.app worker`, prefork, the default, mail and
periodic queues, with beat unless --no-beat), records one `phase_ending_soon` event for
the dialogue's current phase and commits, as a web request would. It then measures until
every email delivery of the event is settled: messages per second end to end (fan-out,
composing, SMTP, bookkeeping) and the peak memory of the worker process tree (the sum of
RSS, and of PSS, which counts the pages the forked pool shares once; read from /proc
every 0.5 s). Before and after, a bare loop sends simple messages to the same sink with
smtplib on one connection (no Celery, no database, no templates); the faster of the two
is the ceiling the pipeline is compared with.

The database is a temporary SQLite file unless --database-url (or DATABASE_URL) names
one; it is migrated and seeded (a dialogue already seeded by an earlier run is reused).
The broker is the embedded SQLite transport unless CELERY_BROKER_URL (or REDIS_URL) is
set. Not a test: it takes minutes at 100,000 followers.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tests' worker process, as the fault tests start it
SAMPLE_SECONDS = 0.5


def main() -> int:
    args = _arguments()
    workdir = Path(tempfile.mkdtemp(prefix="bench-notifications-"))
    sink = Sink().start()
    try:
        env = _environment(args, workdir, sink.port)
        os.environ.update(env)  # the app this process builds uses the same settings
        _flask(env, "db", "upgrade")
        counts = sorted({n for n in (args.memory_check_followers, args.followers) if n > 0})
        if args.memory_check_followers >= args.followers:
            counts = [args.followers]
        for count in counts:
            _seed(env, count)
        app = _app()
        bare_messages = args.bare_messages or min(args.followers, 20_000)
        bare = [_bare_loop(sink.port, bare_messages)]
        results = [_pipeline(app, env, workdir, count, args, sink) for count in counts]
        bare.append(_bare_loop(sink.port, bare_messages))
        _report(env, args, results, bare)
    finally:
        sink.stop()
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--followers", type=int, default=100_000)
    parser.add_argument(
        "--memory-check-followers",
        type=int,
        default=10_000,
        help="a second, smaller audience measured first, to compare peak memory",
    )
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument(
        "--broker-url",
        default=os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL"),
    )
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--no-beat", action="store_true", help="run the worker without beat")
    parser.add_argument(
        "--bare-messages", type=int, default=0, help="default: the followers, at most 20,000"
    )
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per run")
    parser.add_argument("--keep", action="store_true", help="keep the instance directory")
    return parser.parse_args()


def _environment(args, workdir: Path, smtp_port: int) -> dict[str, str]:
    env = {
        "INSTANCE_PATH": str(workdir),
        "FLASK_APP": "dialog",
        "DATABASE_URL": args.database_url or f"sqlite:///{workdir / 'bench.sqlite'}",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "MAIL_SECURITY": "none",
        "MAIL_USERNAME": "",
        "RATELIMIT_ENABLED": "false",
    }
    if args.broker_url:
        env["CELERY_BROKER_URL"] = args.broker_url
    return env


def _flask(env: dict[str, str], *command: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "flask", *command],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        sys.exit(f"flask {' '.join(command)} failed:\n{done.stdout}{done.stderr}")


def _slug(count: int) -> str:
    return f"bench-{count}"


def _seed(env: dict[str, str], count: int) -> None:
    """The dialogue and its followers, through seed-scale (few proposals: only the
    followers matter here), unless an earlier run left it."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(env["DATABASE_URL"])
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    engine = create_engine(url)
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT 1 FROM dialogue WHERE slug = :slug"), {"slug": _slug(count)}
        ).first()
    engine.dispose()
    if found:
        return
    started = time.perf_counter()
    _flask(
        env,
        "seed-scale",
        "--slug",
        _slug(count),
        "--followers",
        str(count),
        "--proposals",
        "20",
        "--participants",
        "20",
        "--votes",
        "40",
        "--comments",
        "0",
    )
    print(f"seeded {count} followers in {time.perf_counter() - started:.1f} s", flush=True)


def _app():
    from dialog import create_app

    app = create_app()
    # The app's logging reaches aiosmtpd's too: a line per SMTP command would cost the
    # sink (in this process) more than it takes to receive a message.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    return app


# The pipeline -------------------------------------------------------------------------


def _pipeline(app, env, workdir: Path, count: int, args, sink: Sink) -> dict:
    from sqlalchemy import func, select

    from dialog.core import outbox
    from dialog.extensions import db
    from dialog.notifications.models import Delivery, DeliveryStatus, Notification

    with app.app_context():
        dialogue, phase = _dialogue_and_phase(_slug(count))
        followers = _everyone_at_once(dialogue)
        db.session.commit()
        _empty_the_queues(app)
    from dialog.core import queues
    from tests.support import WorkerProcess

    worker = WorkerProcess(
        workdir / f"worker-{count}.log",
        beat=not args.no_beat,
        env={**os.environ, **env},
        pool_processes=args.concurrency,
        queues=(queues.DEFAULT, queues.MAIL, queues.PERIODIC),
    ).start(timeout=90)
    memory = MemorySampler(worker.process.pid).start()
    received_before = sink.count
    try:
        with app.app_context():
            started = time.perf_counter()
            event = outbox.record(
                "phase_ending_soon",
                f"phase:{phase}:ending_soon:bench:{time.time_ns()}",
                {"phase_id": phase, "dialogue_id": dialogue},
            )
            event_id = event.id
            db.session.commit()  # publishes the deliveries, as after a web request
            fanned_out_at = None
            deadline = started + args.timeout
            while True:
                time.sleep(0.25)
                told = db.session.scalar(
                    select(func.count())
                    .select_from(Notification)
                    .where(Notification.event_id == event_id)
                )
                if fanned_out_at is None and told >= followers:
                    fanned_out_at = time.perf_counter() - started
                statuses = dict(
                    db.session.execute(
                        select(Delivery.status, func.count())
                        .where(Delivery.event_id == event_id)
                        .group_by(Delivery.status)
                    ).all()
                )
                db.session.rollback()  # no snapshot held between polls
                settled = sum(n for s, n in statuses.items() if s is not DeliveryStatus.pending)
                if settled >= followers or time.perf_counter() > deadline:
                    break
            elapsed = time.perf_counter() - started
    finally:
        memory.stop()
        worker.stop()
    sent = statuses.get(DeliveryStatus.sent, 0)
    result = {
        "followers": followers,
        "sent": sent,
        "settled": settled,
        "seconds": elapsed,
        "fan_out_seconds": fanned_out_at,
        "rate": sent / elapsed,
        "received": sink.count - received_before,
        "peak_rss": memory.peak_rss,
        "peak_pss": memory.peak_pss,
        "idle_rss": memory.first_rss,
        "processes": memory.most_processes,
    }
    print(
        f"{followers} followers: {sent} sent in {elapsed:.1f} s ({result['rate']:.0f}/s), "
        f"fan-out done at {fanned_out_at or float('nan'):.1f} s, "
        f"workers' peak RSS {memory.peak_rss / 1024:.0f} MB",
        flush=True,
    )
    return result


def _empty_the_queues(app) -> None:
    """Tasks an earlier run left on the broker (the sweeper's re-publications of
    deliveries long sent) would be measured with this run."""
    from dialog.core import queues

    with app.extensions["celery"].connection_for_write() as connection:
        for name in queues.ALL:
            connection.default_channel.queue_purge(name)


def _dialogue_and_phase(slug: str) -> tuple[int, int]:
    from sqlalchemy import select

    from dialog.dialogues.models import Dialogue
    from dialog.extensions import db

    dialogue = db.session.scalar(select(Dialogue).where(Dialogue.slug == slug))
    phase = dialogue.current_phase or dialogue.phases[0]
    return dialogue.id, phase.id


def _everyone_at_once(dialogue_id: int) -> int:
    """Every follower wants email about phases at once: one INSERT ... SELECT."""
    from sqlalchemy import func, literal, select
    from sqlalchemy.dialects import postgresql, sqlite

    from dialog.dialogues.models import DialogueFollow
    from dialog.extensions import db
    from dialog.notifications.models import Category, Frequency, Preference

    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    followers = select(
        DialogueFollow.user_id,
        literal(Category.phases, Preference.category.type),
        literal(Frequency.immediately, Preference.frequency.type),
    ).where(DialogueFollow.dialogue_id == dialogue_id)
    statement = dialect.insert(Preference).from_select(
        ["user_id", "category", "frequency"], followers
    )
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["user_id", "category"],
            set_={"frequency": statement.excluded.frequency},
        )
    )
    return db.session.scalar(select(func.count()).where(DialogueFollow.dialogue_id == dialogue_id))


class MemorySampler:
    """The sum of RSS (and PSS) over a process and its descendants, every 0.5 s."""

    def __init__(self, pid: int):
        self.pid = pid
        self.peak_rss = self.peak_pss = 0  # kB
        self.first_rss: int | None = None
        self.most_processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> MemorySampler:
        self._sample()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self._sample()

    def _sample(self) -> None:
        pids = _tree(self.pid)
        rss = sum(_status_kb(pid, "VmRSS:") for pid in pids)
        pss = sum(_rollup_kb(pid, "Pss:") for pid in pids)
        if self.first_rss is None:
            self.first_rss = rss
        self.peak_rss = max(self.peak_rss, rss)
        self.peak_pss = max(self.peak_pss, pss)
        self.most_processes = max(self.most_processes, len(pids))


def _tree(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                queue += [int(child) for child in (task / "children").read_text().split()]
        except OSError:  # it ended between the listing and the read
            continue
    return found


def _status_kb(pid: int, field: str) -> int:
    return _kb(Path(f"/proc/{pid}/status"), field)


def _rollup_kb(pid: int, field: str) -> int:
    return _kb(Path(f"/proc/{pid}/smaps_rollup"), field)


def _kb(path: Path, field: str) -> int:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# The sink and the bare loop -----------------------------------------------------------


class Sink:
    """An SMTP server on loopback that accepts every message and only counts it, in a
    process of its own, so that neither the bare loop nor this process's polling shares
    an interpreter lock with it."""

    def start(self) -> Sink:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._count = multiprocessing.Value("q", 0)
        ready = multiprocessing.Event()
        self._process = multiprocessing.Process(
            target=_serve, args=(self.port, self._count, ready), daemon=True
        )
        self._process.start()
        if not ready.wait(30):
            raise RuntimeError("the SMTP sink did not start")
        return self

    @property
    def count(self) -> int:
        return self._count.value

    def stop(self) -> None:
        self._process.terminate()
        self._process.join()


class _Counting:
    def __init__(self, count):
        self.count = count

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with self.count.get_lock():
            self.count.value += 1
        return "250 OK"


def _serve(port: int, count, ready) -> None:
    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    controller = Controller(_Counting(count), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    threading.Event().wait()


def _bare_loop(port: int, messages: int) -> dict:
    """smtplib on one connection, N small messages built in the loop: the ceiling."""
    client = smtplib.SMTP("127.0.0.1", port, timeout=10)
    started = time.perf_counter()
    for n in range(messages):
        message = EmailMessage()
        message["Subject"] = f"Meddelande {n}"
        message["From"] = "noreply@localhost"
        message["To"] = f"mottagare{n}@example.org"
        message.set_content("En fas slutar snart.")
        client.send_message(message)
    elapsed = time.perf_counter() - started
    client.quit()
    return {"messages": messages, "seconds": elapsed, "rate": messages / elapsed}


def _report(env, args, results: list[dict], bare: list[dict]) -> None:
    """`bare`: the loop before and after the pipeline; the faster is the ceiling."""
    database = env["DATABASE_URL"].split(":")[0]
    broker = (env.get("CELERY_BROKER_URL") or "embedded sqlite").split(":")[0]
    print()
    print(
        f"database {database}, broker {broker}, prefork concurrency {args.concurrency}, "
        f"beat {'off' if args.no_beat else 'on'}, {os.cpu_count()} CPUs"
    )
    print(
        f"{'followers':>10} {'sent':>8} {'seconds':>8} {'fan-out s':>9} {'mails/s':>8} "
        f"{'idle RSS':>9} {'peak RSS':>9} {'peak PSS':>9} {'procs':>5}"
    )
    for r in results:
        fan_out = f"{r['fan_out_seconds']:.1f}" if r["fan_out_seconds"] is not None else "-"
        print(
            f"{r['followers']:>10} {r['sent']:>8} {r['seconds']:>8.1f} {fan_out:>9} "
            f"{r['rate']:>8.0f} {r['idle_rss'] / 1024:>7.0f}MB {r['peak_rss'] / 1024:>7.0f}MB "
            f"{r['peak_pss'] / 1024:>7.0f}MB {r['processes']:>5}"
        )
        if r["received"] != r["sent"]:
            print(f"  note: the sink received {r['received']} messages for {r['sent']} sent")
    for when, loop in zip(("before", "after"), bare, strict=True):
        print(
            f"bare smtplib loop ({when}): {loop['messages']} messages in "
            f"{loop['seconds']:.1f} s ({loop['rate']:.0f}/s)"
        )
    ceiling = max(loop["rate"] for loop in bare)
    print(f"pipeline / faster bare loop: {results[-1]['rate'] / ceiling:.0%}")


if __name__ == "__main__":
    sys.exit(main())
