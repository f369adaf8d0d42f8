"""What /healthz and /readyz report, each dependency probed with a deadline.

Every dependency (the database, the broker, the cache) is probed in a thread of its own
and waited for at most `HEALTH_CHECK_TIMEOUT` seconds, so a dependency that hangs is
reported as down in time instead of holding the web worker. A probe still running when
the next request asks is joined, not started again: a hung dependency costs one thread
per dependency and process, until its own socket or connect timeout ends it, however
often the load balancer asks.

The readings kept in the database (migrations, worker heartbeats, beat's last run, the
outbox) are taken by the database's probe, one after the other on its one connection;
each one reports as soon as it is taken, so a slow one leaves those before it standing.

Readiness is "down" (503) only when this host cannot serve: the database is unreachable
or lacks migrations this release needs. What every host shares (the broker, the cache,
the workers, beat, the outbox) makes it "degraded" (200): the site still works without
them (the outbox keeps what the broker could not take), and a load balancer that dropped
a host for them would drop every host at once.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import Flask, copy_current_request_context, current_app
from sqlalchemy import func, select, text

from dialog import logs
from dialog.core.db import utcnow
from dialog.core.models import (
    Heartbeat,
    HeartbeatKind,
    OutboxDelivery,
    OutboxEvent,
    OutboxStatus,
)
from dialog.extensions import cache, db

log = logging.getLogger(__name__)

OK, DOWN = "ok", "down"
# Readings whose failure means this host cannot serve; the rest only degrade it. A
# database a newer release has migrated ("ahead") still serves this one during a
# rolling upgrade.
SERVES_NOTHING_WITHOUT = {"database": {OK}, "migrations": {OK, "ahead"}}
_CACHE_PROBE_SECONDS = 10

Reading = dict  # {"status": ..., and what else the reading measured}
Readings = dict[str, Reading]
Report = Callable[[str, Reading], None]


def init_app(app: Flask) -> None:
    app.extensions["health"] = _Probes()


def health() -> tuple[dict, bool]:
    """The /healthz answer (database and broker), and whether both are up."""
    readings = _probe_all(
        {"database": _database({}), "broker": _broker}, names=("database", "broker")
    )
    answer = {name: reading["status"] for name, reading in readings.items()}
    healthy = all(status == OK for status in answer.values())
    return {"status": OK if healthy else "error", **answer}, healthy


def readiness() -> dict:
    """The /readyz answer: every check, and "ok", "degraded" or "down" over all."""
    checks = _probe_all(
        {"database+readings": _database(READINGS), "broker": _broker, "cache": _cache},
        names=("database", *READINGS, "broker", "cache"),
    )
    return {"status": _overall(checks), "checks": checks}


def _overall(checks: Readings) -> str:
    for name, serving in SERVES_NOTHING_WITHOUT.items():
        if checks[name]["status"] not in serving:
            return DOWN
    return OK if all(each["status"] == OK for each in checks.values()) else "degraded"


# --- Probes: each fills in its readings as it takes them ---------------------------------

_states_lock = threading.Lock()


def _note(check: str, failed: bool, error: object = None) -> None:
    """Log when a check starts or stops failing, not on every probe: a load balancer asks
    every few seconds, and one line says as much as thousands."""
    with _states_lock:
        states = current_app.extensions.setdefault("dialog.health_failing", set())
        changed = failed != (check in states)
        if failed:
            states.add(check)
        else:
            states.discard(check)
    if changed and failed:
        log.warning("health check: %s failing: %s", check, error)
    elif changed:
        log.info("health check: %s answering again", check)


def _database(readings: dict[str, Callable[[], Reading]]):
    def probe(report: Report) -> None:
        try:
            db.session.execute(text("SELECT 1"))
        except Exception as error:
            _note("database", True, _first_line(error))
            report("database", {"status": DOWN})
            return
        _note("database", False)
        report("database", {"status": OK})
        for name, take in readings.items():
            report(name, _reading(name, take))

    return probe


def _reading(name: str, take: Callable[[], Reading]) -> Reading:
    try:
        reading = take()
    except Exception as error:  # a missing table, say: the database answered, this did not
        db.session.rollback()
        _note(name, True, _first_line(error))
        return {"status": "error"}
    _note(name, False)
    return reading


def _broker(report: Report) -> None:
    celery_app = current_app.extensions["celery"]
    timeout = current_app.config["OUTBOX_PUBLISH_TIMEOUT"]
    try:
        with celery_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)
    except Exception as error:
        _note("broker", True, _first_line(error))
        report("broker", {"status": DOWN})
        return
    _note("broker", False)
    report("broker", {"status": OK})


def _cache(report: Report) -> None:
    """A value written and read back: the in-process cache always can, Redis when up."""
    key, token = f"health:{secrets.token_hex(8)}", secrets.token_hex(8)
    try:
        cache.set(key, token, timeout=_CACHE_PROBE_SECONDS)
        read_back = cache.get(key)
        cache.delete(key)
    except Exception as error:
        _note("cache", True, _first_line(error))
        read_back = None
    else:
        _note("cache", read_back != token, "the value written was not read back")
    report("cache", {"status": OK if read_back == token else DOWN})


def _first_line(error: Exception) -> str:
    return f"{type(error).__name__}: {next(iter(str(error).strip().splitlines()), '')}"


# --- Readings taken from the database ------------------------------------------------------


def _migrations() -> Reading:
    """ok at the head; behind (this release needs more); ahead (a newer release's)."""
    heads, known = _script_revisions(current_app)
    connection = db.session.connection()
    current: set[str] = set()
    if sa.inspect(connection).has_table("alembic_version"):
        current = set(db.session.scalars(text("SELECT version_num FROM alembic_version")))
    if current == heads:
        return {"status": OK}
    return {"status": "ahead" if current - known else "behind"}


def _script_revisions(app: Flask) -> tuple[set[str], set[str]]:
    """The heads and every revision of this release's migrations, read once per process."""
    probes = app.extensions["health"]
    if probes.revisions is None:
        directory = ScriptDirectory(app.extensions["migrate"].directory)
        probes.revisions = (
            set(directory.get_heads()),
            {script.revision for script in directory.walk_revisions()},
        )
    return probes.revisions


def _worker() -> Reading:
    seen = db.session.scalars(
        select(Heartbeat.seen_at).where(Heartbeat.kind == HeartbeatKind.worker)
    ).all()
    ages = sorted(_age(each) for each in seen)
    alive = sum(age <= current_app.config["READINESS_STALE_SECONDS"] for age in ages)
    status = OK if alive else ("stale" if ages else "missing")
    return {"status": status, "age_seconds": ages[0] if ages else None, "alive": alive}


def _beat() -> Reading:
    last_run = db.session.scalar(
        select(func.max(Heartbeat.seen_at)).where(Heartbeat.kind == HeartbeatKind.periodic)
    )
    if last_run is None:
        return {"status": "missing", "age_seconds": None}
    age = _age(last_run)
    fresh = age <= current_app.config["READINESS_STALE_SECONDS"]
    return {"status": OK if fresh else "stale", "age_seconds": age}


def _outbox() -> Reading:
    """Deliveries owed (and how long the oldest has waited) and given up on."""
    pending, oldest = db.session.execute(
        select(func.count(OutboxDelivery.id), func.min(OutboxEvent.created_at))
        .join(OutboxDelivery.event)
        .where(OutboxDelivery.status == OutboxStatus.pending)
    ).one()
    failed = db.session.scalar(
        select(func.count(OutboxDelivery.id)).where(OutboxDelivery.status == OutboxStatus.failed)
    )
    waited = _age(oldest) if oldest is not None else None
    old = waited is not None and waited > current_app.config["READINESS_BACKLOG_SECONDS"]
    return {
        "status": "backlog" if old else OK,
        "pending": pending,
        "oldest_pending_seconds": waited,
        "failed": failed,
    }


def _age(moment: datetime) -> int:
    return max(0, int((utcnow() - moment).total_seconds()))


READINGS = {"migrations": _migrations, "worker": _worker, "beat": _beat, "outbox": _outbox}


# --- Running probes with a deadline ------------------------------------------------------


class _Probe:
    """One probe's readings, reported from its thread as it takes them."""

    def __init__(self):
        self.done = threading.Event()
        self._lock = threading.Lock()
        self._found: Readings = {}

    def report(self, name: str, reading: Reading) -> None:
        with self._lock:
            self._found[name] = reading

    def found(self) -> Readings:
        with self._lock:
            return dict(self._found)


@dataclass
class _Probes:
    """The probes running in this process, by name; what the migrations folder holds."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    running: dict[str, _Probe] = field(default_factory=dict)
    revisions: tuple[set[str], set[str]] | None = None


def _probe_all(probes: dict[str, Callable[[Report], None]], names) -> Readings:
    """Every probe at once, each waited for until its deadline; a reading not taken by
    then is down."""
    deadline = time.monotonic() + current_app.config["HEALTH_CHECK_TIMEOUT"]
    started = [_start(name, probe) for name, probe in probes.items()]
    found: Readings = {}
    for each in started:
        each.done.wait(max(0.0, deadline - time.monotonic()))
        found.update(each.found())
    return {name: found.get(name, {"status": DOWN}) for name in names}


def _start(name: str, probe: Callable[[Report], None]) -> _Probe:
    probes: _Probes = current_app.extensions["health"]
    with probes.lock:
        running = probes.running.get(name)
        if running is not None:
            return running
        running = probes.running[name] = _Probe()
    # The probe runs in this request's context: the same app, a database session of its
    # own that the context's teardown removes, and SQLite's read-only transactions (GET).
    body = copy_current_request_context(lambda: probe(running.report))
    # A thread starts with no context variables: its log lines are given the request's id
    # by hand (a copy of the whole context would share the request's Flask context, whose
    # teardown in the thread would end the request's id).
    request_id = logs.current_request_id()
    threading.Thread(
        target=_run,
        args=(probes, name, running, body, request_id),
        name=f"health-{name}",
        daemon=True,
    ).start()
    return running


def _run(
    probes: _Probes,
    name: str,
    running: _Probe,
    body: Callable[[], None],
    request_id: str | None,
) -> None:
    try:
        with logs.request_id_bound(request_id):
            body()
    finally:
        with probes.lock:
            probes.running.pop(name, None)
        running.done.set()
