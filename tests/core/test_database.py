from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text

from dialog.core.db import NAMING_CONVENTION, include_in_autogenerate


def _include(obj, name, type_, reflected, compare_to):
    return name != "alembic_version" and include_in_autogenerate(
        obj, name, type_, reflected, compare_to
    )


def test_models_and_migrations_agree(app):
    from dialog.extensions import db

    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": _include}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_constraint_names_follow_the_convention(app, db):
    for table in db.metadata.tables.values():
        assert table.primary_key.name == f"pk_{table.name}"
        for fk in table.foreign_keys:
            assert fk.constraint.name.startswith(f"fk_{table.name}_")
    assert set(NAMING_CONVENTION) == {"ix", "uq", "ck", "fk", "pk"}


def test_every_foreign_key_is_indexed(db):
    for table in db.metadata.tables.values():
        covered = {tuple(c.name for c in index.columns) for index in table.indexes}
        covered |= {
            tuple(c.name for c in constraint.columns)
            for constraint in table.constraints
            if isinstance(constraint, sa.UniqueConstraint | sa.PrimaryKeyConstraint)
        }
        for fk in table.foreign_key_constraints:
            columns = tuple(c.name for c in fk.columns)
            assert any(ix[: len(columns)] == columns for ix in covered), (table.name, columns)


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(app, ctx, db):
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    for _ in [connection]:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_timestamps_are_stored_in_utc_and_read_back_aware(ctx, db):
    from dialog.core.models import JobLock

    stockholm_noon = datetime(2026, 7, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    db.session.add(JobLock(name="tz-check", locked_until=stockholm_noon))
    db.session.flush()
    db.session.expire_all()
    stored = db.session.get(JobLock, "tz-check").locked_until
    assert stored == stockholm_noon
    assert stored.utcoffset() == timedelta(0)
    raw = db.session.execute(
        text("SELECT locked_until FROM job_lock WHERE name = 'tz-check'")
    ).scalar()
    assert str(raw).startswith("2026-07-01 10:00")


def test_naive_datetimes_are_refused(ctx, db):
    from dialog.core.models import JobLock

    db.session.add(JobLock(name="naive", locked_until=datetime(2026, 1, 1, 12, 0)))
    with pytest.raises(Exception, match="naive"):
        db.session.flush()
    db.session.rollback()


def test_sqlite_writers_queue_instead_of_failing_when_another_commits_between(app, committed_db):
    """A POST that reads, then writes while another connection commits, must not fail
    with "database is locked" (SQLite's BUSY_SNAPSHOT): its transaction began IMMEDIATE."""
    import threading
    import time

    from dialog.core.db import utcnow
    from dialog.core.models import JobLock

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite only")
    read_done = threading.Event()
    errors = []

    def request_that_reads_then_writes():
        try:
            with app.test_request_context("/profile", method="POST"):
                committed_db.session.scalar(text("SELECT count(*) FROM job_lock"))
                read_done.set()
                time.sleep(0.5)
                committed_db.session.add(JobLock(name="from-request", locked_until=utcnow()))
                committed_db.session.commit()
        except Exception as error:  # noqa: BLE001 - the failure under test
            errors.append(error)
            read_done.set()

    def worker_that_writes():
        read_done.wait(10)
        with app.app_context():
            committed_db.session.add(JobLock(name="from-worker", locked_until=utcnow()))
            committed_db.session.commit()

    threads = [
        threading.Thread(target=request_that_reads_then_writes),
        threading.Thread(target=worker_that_writes),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    with app.app_context():
        names = set(committed_db.session.scalars(select(JobLock.name)))
    assert names == {"from-request", "from-worker"}


def test_migrations_that_rebuild_a_table_keep_the_rows_referring_to_it(app, committed_db):
    # SQLite alters the dialogue table by copying and dropping it; with foreign keys on,
    # the drop used to cascade to every proposal, vote and comment.
    from flask_migrate import downgrade, upgrade

    from dialog.demo import services as demo

    tables = ("dialogue", "phase", "proposal", "vote", "comment", "official_answer")

    def row_counts():
        with committed_db.engine.connect() as connection:
            return {t: connection.scalar(text(f"SELECT count(*) FROM {t}")) for t in tables}

    with app.app_context():
        demo.seed()
        committed_db.session.commit()
        committed_db.session.remove()
        before = row_counts()
        downgrade(revision="0006")
        upgrade()
        after = row_counts()
    assert before["proposal"] > 0 and before["vote"] > 0 and before["comment"] > 0
    assert after == before


def test_the_outbox_migration_keeps_pending_emails_and_settles_what_nobody_handled(
    app, committed_db
):
    from flask_migrate import downgrade, upgrade

    old_events = [
        ("email", "pending", 3),
        ("email", "delivered", 1),
        ("phase_started", "pending", 0),
    ]
    with app.app_context():
        committed_db.session.remove()
        downgrade(revision="0008")
        with committed_db.engine.begin() as connection:
            for number, (kind, status, attempts) in enumerate(old_events):
                connection.execute(
                    text(
                        "INSERT INTO outbox_event (kind, key, payload, status, attempts,"
                        " created_at, next_attempt_at, last_error) VALUES (:kind, :key, '{}',"
                        " :status, :attempts, '2026-01-01 10:00', '2026-01-01 10:05', 'boom')"
                    ),
                    {"kind": kind, "key": f"old:{number}", "status": status, "attempts": attempts},
                )
        upgrade()
        with committed_db.engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT e.key, e.status, d.subscriber, d.status, d.attempts, d.last_error"
                    " FROM outbox_event e LEFT JOIN outbox_delivery d ON d.event_id = e.id"
                    " ORDER BY e.key"
                )
            ).all()
    assert [tuple(row) for row in rows] == [
        ("old:0", "pending", "core.send_email", "pending", 3, "boom"),
        ("old:1", "delivered", "core.send_email", "delivered", 1, "boom"),
        ("old:2", "delivered", None, None, None, None),
    ]


def test_inserting_many_ignoring_conflicts_counts_only_the_new_rows(
    ctx, db, make_dialogue, make_user
):
    from dialog.core.db import insert_many_ignoring_conflicts
    from dialog.dialogues.models import DialogueFollow

    dialogue = make_dialogue("many")
    people = [make_user().id for _ in range(3)]
    rows = [{"dialogue_id": dialogue.id, "user_id": person} for person in people]

    assert insert_many_ignoring_conflicts(DialogueFollow, rows[:2], ["dialogue_id", "user_id"]) == 2
    assert insert_many_ignoring_conflicts(DialogueFollow, rows, ["dialogue_id", "user_id"]) == 1
    assert insert_many_ignoring_conflicts(DialogueFollow, [], ["dialogue_id", "user_id"]) == 0
    followers = db.session.scalars(
        select(DialogueFollow.user_id).where(DialogueFollow.dialogue_id == dialogue.id)
    )
    assert sorted(followers) == sorted(people)
