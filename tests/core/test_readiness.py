"""/readyz: every check ok and failing with real parts, each answered within its deadline.

The database, migrations, heartbeats and outbox are read from real databases (the suite's,
and private SQLite files brought to a chosen revision); the broker and the cache are a
private redis-server stopped and started again, or a socket that accepts and never
answers. The heartbeat a real worker writes is tested in tests/worker/test_heartbeat.py.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from dialog.core import heartbeat, mail
from dialog.core.db import utcnow
from dialog.core.models import (
    Heartbeat,
    HeartbeatKind,
    OutboxDelivery,
    OutboxEvent,
    OutboxStatus,
)
from tests.support import RedisServer, answered_within, run_task, threads_named

CHECKS = {"database", "migrations", "worker", "beat", "outbox", "broker", "cache"}


@pytest.fixture
def redis_server():
    server = RedisServer().start()
    yield server
    server.stop()


class About:
    """Equal to the whole seconds from `seconds` to a few more: the test's own time."""

    def __init__(self, seconds: int):
        self.seconds = seconds

    def __eq__(self, other) -> bool:
        return isinstance(other, int) and self.seconds <= other < self.seconds + 5

    def __repr__(self) -> str:
        return f"About({self.seconds})"


def _build(**overrides):
    from dialog import create_app

    return create_app(**overrides)


def _alive(ctx_db, *, worker_age=0, beat_age=0):
    """A worker heartbeat and a periodic run `*_age` seconds ago."""
    for kind, name, age in (
        (HeartbeatKind.worker, "celery@web-test", worker_age),
        (HeartbeatKind.periodic, "core.sweep_outbox", beat_age),
    ):
        heartbeat.record(kind, name)
        _age(ctx_db, kind, age)
    ctx_db.session.commit()


def _age(ctx_db, kind, seconds):
    ctx_db.session.execute(
        update(Heartbeat)
        .where(Heartbeat.kind == kind)
        .values(seen_at=utcnow() - timedelta(seconds=seconds))
    )


def _ready(client):
    response = client.get("/readyz")
    return response.status_code, response.get_json()


def test_everything_ok_is_ready_uncached_and_says_what_it_checked(app, client, ctx, db):
    _alive(db)
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    answer = response.get_json()
    assert answer["status"] == "ok"
    assert set(answer["checks"]) == CHECKS
    assert {name: check["status"] for name, check in answer["checks"].items()} == dict.fromkeys(
        CHECKS, "ok"
    )
    assert answer["checks"]["worker"] == {"status": "ok", "age_seconds": About(0), "alive": 1}
    assert answer["checks"]["beat"] == {"status": "ok", "age_seconds": About(0)}
    assert answer["checks"]["outbox"] == {
        "status": "ok",
        "pending": 0,
        "oldest_pending_seconds": None,
        "failed": 0,
    }


def test_no_worker_heartbeat_or_a_stale_one_degrades(app, client, ctx, db):
    status, answer = _ready(client)
    assert (status, answer["status"]) == (200, "degraded")
    assert answer["checks"]["worker"] == {"status": "missing", "age_seconds": None, "alive": 0}

    stale = app.config["READINESS_STALE_SECONDS"] + 60
    _alive(db, worker_age=stale)
    status, answer = _ready(client)
    assert (status, answer["status"]) == (200, "degraded")
    assert answer["checks"]["worker"] == {
        "status": "stale",
        "age_seconds": About(stale),
        "alive": 0,
    }
    assert answer["checks"]["beat"]["status"] == "ok"


def test_beat_last_run_is_the_latest_periodic_run(app, client, ctx, db):
    status, answer = _ready(client)
    assert answer["checks"]["beat"] == {"status": "missing", "age_seconds": None}

    run_task(app, "proposals.reconcile_counts")  # any periodic task, run by its real code
    assert _ready(client)[1]["checks"]["beat"] == {"status": "ok", "age_seconds": About(0)}

    stale = app.config["READINESS_STALE_SECONDS"] + 1
    _age(db, HeartbeatKind.periodic, stale)
    heartbeat.record(HeartbeatKind.worker, "celery@web-test")
    db.session.commit()
    status, answer = _ready(client)
    assert (status, answer["status"]) == (200, "degraded")
    assert answer["checks"]["beat"] == {"status": "stale", "age_seconds": About(stale)}
    assert answer["checks"]["worker"]["status"] == "ok"


def _queue_mail(to: str) -> None:
    mail.queue(
        to=to,
        template="password_changed",
        locale="sv",
        key=to,
        name="Ada",
        reset_url="http://example.org/r",
    )


def test_the_outbox_backlog_and_failed_deliveries_are_counted(app, client, ctx, db):
    _alive(db)
    for each in ("a@example.org", "b@example.org", "c@example.org"):
        _queue_mail(each)
    db.session.commit()
    status, answer = _ready(client)
    assert (status, answer["status"]) == (200, "ok")
    assert answer["checks"]["outbox"] == {
        "status": "ok",
        "pending": 3,
        "oldest_pending_seconds": About(0),
        "failed": 0,
    }

    old = app.config["READINESS_BACKLOG_SECONDS"] + 30
    db.session.execute(update(OutboxEvent).values(created_at=utcnow() - timedelta(seconds=old)))
    given_up = db.session.scalar(select(OutboxDelivery.id).limit(1))
    db.session.execute(
        update(OutboxDelivery)
        .where(OutboxDelivery.id == given_up)
        .values(status=OutboxStatus.failed)
    )
    db.session.commit()
    status, answer = _ready(client)
    assert (status, answer["status"]) == (200, "degraded")
    assert answer["checks"]["outbox"] == {
        "status": "backlog",
        "pending": 2,
        "oldest_pending_seconds": About(old),
        "failed": 1,
    }


def test_migrations_must_be_current_and_a_newer_release_only_degrades(app, tmp_path):
    from flask_migrate import downgrade, upgrade

    from dialog.extensions import db

    private = _build(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'private.sqlite'}")
    client = private.test_client()
    status, answer = _ready(client)
    assert (status, answer["status"]) == (503, "down"), "an empty database"
    assert answer["checks"]["database"]["status"] == "ok"
    assert answer["checks"]["migrations"]["status"] == "behind"
    # Tables the readings need are missing: those readings fail, the answer does not.
    assert answer["checks"]["worker"]["status"] == "error"

    with private.app_context():
        upgrade()
    status, answer = _ready(client)
    assert answer["checks"]["migrations"]["status"] == "ok"
    assert (status, answer["status"]) == (200, "degraded")  # no worker, no beat here

    with private.app_context():
        downgrade(revision="-1")
    status, answer = _ready(client)
    assert (status, answer["status"]) == (503, "down")
    assert answer["checks"]["migrations"]["status"] == "behind"

    with private.app_context():
        upgrade()
        db.session.execute(
            text("UPDATE alembic_version SET version_num = '9999_from_a_newer_release'")
        )
        db.session.commit()
    status, answer = _ready(client)
    assert answer["checks"]["migrations"]["status"] == "ahead"
    assert (status, answer["status"]) == (200, "degraded")


def test_an_unreachable_database_is_down(app):
    broken = _build(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none")
    status, answer = _ready(broken.test_client())
    assert (status, answer["status"]) == (503, "down")
    for name in ("database", "migrations", "worker", "beat", "outbox"):
        assert answer["checks"][name] == {"status": "down"}
    assert answer["checks"]["broker"]["status"] == "ok"


def test_a_broken_broker_url_degrades_readiness(app, committed_db):
    broken = _build(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
    status, answer = _ready(broken.test_client())
    assert (status, answer["status"]) == (200, "degraded")
    assert answer["checks"]["broker"] == {"status": "down"}
    assert answer["checks"]["database"]["status"] == "ok"


def test_a_stopped_broker_degrades_and_readiness_recovers_when_it_returns(app, redis_server):
    on_private = _build(CELERY_BROKER_URL=redis_server.url)
    client = on_private.test_client()
    assert _ready(client)[1]["checks"]["broker"]["status"] == "ok"

    redis_server.stop()
    status, answer = _ready(client)
    assert (status, answer["checks"]["broker"]["status"]) == (200, "down")
    assert answer["status"] == "degraded"
    assert client.get("/healthz").status_code == 503

    redis_server.start()
    assert _ready(client)[1]["checks"]["broker"]["status"] == "ok"
    assert client.get("/healthz").status_code == 200


def test_a_stopped_cache_degrades_without_taking_the_host_out(app, redis_server):
    on_private = _build(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=redis_server.url)
    client = on_private.test_client()
    assert _ready(client)[1]["checks"]["cache"]["status"] == "ok"

    redis_server.stop()
    status, answer = _ready(client)
    assert (status, answer["status"]) == (200, "degraded")
    assert answer["checks"]["cache"] == {"status": "down"}
    assert answer["checks"]["database"]["status"] == "ok"
    # The cache is not part of /healthz's contract.
    assert client.get("/healthz").status_code == 200

    redis_server.start()
    assert _ready(client)[1]["checks"]["cache"]["status"] == "ok"


def _within_deadline(hung, path="/readyz"):
    # The deadline, and a second for the rest of the request.
    limit = hung.config["HEALTH_CHECK_TIMEOUT"] + 1.0
    response = answered_within(limit, lambda: hung.test_client().get(path))
    return response.status_code, response.get_json()


def test_a_hung_cache_degrades_within_the_deadline(app, black_hole):
    hung = _build(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=f"redis://127.0.0.1:{black_hole.port}/0")
    status, answer = _within_deadline(hung)
    assert (status, answer["status"]) == (200, "degraded")
    assert answer["checks"]["cache"] == {"status": "down"}
    assert answer["checks"]["database"]["status"] == "ok"


def test_a_hung_broker_degrades_within_the_deadline(app, black_hole):
    hung = _build(CELERY_BROKER_URL=f"redis://127.0.0.1:{black_hole.port}/0")
    status, answer = _within_deadline(hung)
    assert (status, answer["status"]) == (200, "degraded")
    assert answer["checks"]["broker"] == {"status": "down"}


def test_a_hung_database_is_down_within_the_deadline(app, black_hole):
    hung = _build(
        SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://nobody@127.0.0.1:{black_hole.port}/none"
    )
    status, answer = _within_deadline(hung)
    assert (status, answer["status"]) == (503, "down")
    assert answer["checks"]["database"] == {"status": "down"}
    assert answer["checks"]["cache"]["status"] == "ok"


def test_a_hung_probe_is_joined_not_started_again(app, black_hole):
    """However often it is asked, a hung dependency holds one thread per process."""
    hung = _build(
        SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://nobody@127.0.0.1:{black_hole.port}/none",
        HEALTH_CHECK_TIMEOUT=0.5,
    )
    probes = []
    for _ in range(3):
        status, answer = _within_deadline(hung)
        assert answer["checks"]["database"] == {"status": "down"}
        probes.append(threads_named("health-database"))
    [first] = probes[0]
    assert probes == [[first]] * 3


def test_the_answers_carry_no_secrets(app, monkeypatch, caplog):
    # Alembic's logging setup disables the app's loggers in this test process; the lines
    # these checks write must be seen to be checked.
    monkeypatch.setattr(logging.getLogger("dialog.core.health"), "disabled", False)
    secret = "s3cret-pw"
    broken = _build(
        SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://nobody:{secret}@127.0.0.1:1/none",
        CELERY_BROKER_URL=f"redis://:{secret}@127.0.0.1:1/0",
        CACHE_TYPE="RedisCache",
        CACHE_REDIS_URL=f"redis://:{secret}@127.0.0.1:1/0",
    )
    client = broken.test_client()
    asked = {"X-Request-ID": "probe-42"}
    with caplog.at_level(logging.WARNING, logger="dialog.core.health"):
        bodies = [
            client.get(path, headers=asked).get_data(as_text=True)
            for path in ("/healthz", "/readyz")
        ]
    assert all(secret not in body and "127.0.0.1" not in body for body in bodies)
    assert "health check: database failing: " in caplog.text
    assert "health check: broker failing: " in caplog.text
    assert "health check: cache failing: " in caplog.text
    assert secret not in caplog.text
    # The probe threads log under the id of the request that started them.
    health_lines = [each for each in caplog.records if each.name == "dialog.core.health"]
    assert health_lines and {each.request_id for each in health_lines} == {"probe-42"}
