"""The declarative base, its naming convention, UTC timestamps, and the connection setup:
SQLite's pragmas, PostgreSQL's deadlines."""

from __future__ import annotations

import math
import sqlite3
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

import psycopg
import sqlalchemy as sa
from flask import current_app, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, registry

import config as config_module

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """Timestamps are aware UTC in Python on every database.

    SQLite has no time zone type, so values are stored as naive UTC there and made
    aware again on the way out; PostgreSQL stores `timestamp with time zone`.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )

    def __repr__(self) -> str:
        # The primary key only: a repr in a log must never carry personal data.
        identity = sa.inspect(self).identity
        key = ",".join(map(str, identity)) if identity else "new"
        return f"<{type(self).__name__} {key}>"


# Set by `statement_deadline()` for work that must not wait as long as its kind allows.
_statement_seconds_override: ContextVar[float | None] = ContextVar(
    "statement_seconds_override", default=None
)


@contextmanager
def statement_deadline(seconds: float):
    """Connections checked out in this block give up after `seconds` (more than 0): on
    PostgreSQL server and client side, the pool's check and a reconnect included; on
    SQLite as their busy timeout, the wait for the write lock."""
    token = _statement_seconds_override.set(seconds)
    try:
        yield
    finally:
        _statement_seconds_override.reset(token)


def configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """WAL, a busy timeout, foreign keys, and transactions that SQLAlchemy controls.

    The busy timeout is `busy_timeout_ms`, or inside `statement_deadline()` the seconds
    given there; it is changed on checkout only when the connection last had the other.
    Only for the app's own engines: other SQLite users in the process (the Kombu broker
    transport) manage their transactions themselves.
    """
    if engine.dialect.name != "sqlite":
        return

    def busy_timeout_now() -> int:
        override = _statement_seconds_override.get()
        return busy_timeout_ms if override is None else int(override * 1000)

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, record) -> None:
        # pysqlite's own transaction handling breaks SAVEPOINT and BEGIN IMMEDIATE;
        # SQLAlchemy documents taking it over: autocommit at the driver, BEGIN on "begin".
        dbapi_connection.isolation_level = None
        _set_busy_timeout(dbapi_connection, record, busy_timeout_now())  # WAL may wait too
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "checkout")
    def apply_busy_timeout(dbapi_connection, record, _proxy) -> None:
        # A pooled connection keeps what its last user needed: a heartbeat's short wait
        # must not be inherited by a task, nor a task's long one by a heartbeat.
        milliseconds = busy_timeout_now()
        if record.info.get("busy_timeout_ms") != milliseconds:
            _set_busy_timeout(dbapi_connection, record, milliseconds)

    @event.listens_for(engine, "begin")
    def on_begin(connection) -> None:
        connection.exec_driver_sql(f"BEGIN {_sqlite_begin_mode()}")


def _set_busy_timeout(dbapi_connection, record, milliseconds: int) -> None:
    # Autocommit at the driver: a pragma outside any transaction, kept for the connection.
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {int(milliseconds)}")
    cursor.close()
    record.info["busy_timeout_ms"] = milliseconds


# PostgreSQL's own statement-timeout error is the one meant to arrive; a connection that
# answers nothing at all (a stalled server or network) is given up this much later.
ANSWER_MARGIN_SECONDS = config_module.ANSWER_MARGIN


class DeadlineConnection(psycopg.Connection):
    """A psycopg connection that waits at most `answer_deadline` seconds for the server.

    libpq has no read timeout: a server that stops answering (stopped, or a network that
    swallows packets while the kernel still acknowledges them) would hold the request, and
    its web worker, for good. The connection is closed instead, which SQLAlchemy takes for a
    disconnect: that connection is dropped and the next checkout makes a new one.
    """

    answer_deadline: float | None = None
    # Between checkin and checkout: the next exchange is the pool's check.
    pooled: bool = False

    def wait(self, gen, *args, timeout: float | None = None, **kwargs):
        deadline = self._deadline()
        if timeout is not None or deadline is None:
            return super().wait(gen, *args, timeout=timeout, **kwargs)  # psycopg's own
        try:
            return super().wait(gen, *args, timeout=deadline, **kwargs)
        except psycopg.errors._WaitTimeout:  # the wait's own timeout, raised for callers
            self.pgconn.finish()
            raise psycopg.OperationalError(
                f"the database did not answer within {deadline:g} s"
            ) from None

    def _deadline(self) -> float | None:
        # The pool checks a connection before the checkout listener sets its deadlines;
        # inside `statement_deadline()` that check waits no longer than the block allows.
        override = _statement_seconds_override.get()
        if self.pooled and override and self.answer_deadline is not None:
            return min(self.answer_deadline, override)
        return self.answer_deadline


def configure_postgres(engine: Engine, config) -> None:
    """Deadlines on every connection: connecting, each statement, each answer.

    Statements in a web request give up after DATABASE_STATEMENT_TIMEOUT; outside one
    (tasks, beat, CLI commands) after DATABASE_WORKER_STATEMENT_TIMEOUT; inside
    `statement_deadline()` after the seconds given there, which also bound the pool's
    check of a pooled connection and the connect timeout of a new one. The setting is
    changed on checkout only when the connection last served the other kind of work, so a
    web process sets it once per connection.
    """
    if engine.dialect.name != "postgresql":
        return

    def statement_seconds() -> float:
        override = _statement_seconds_override.get()
        if override is not None:
            return override
        if has_request_context():
            return config["DATABASE_STATEMENT_TIMEOUT"]
        return config["DATABASE_WORKER_STATEMENT_TIMEOUT"]

    def answer_deadline(seconds: float) -> float | None:
        return seconds + ANSWER_MARGIN_SECONDS if seconds > 0 else None

    def connect_seconds() -> int:
        # libpq counts whole seconds (and waits at least 2); 0.5 must not become "none".
        override = _statement_seconds_override.get()
        if override:
            return min(config["DATABASE_CONNECT_TIMEOUT"], math.ceil(override))
        return config["DATABASE_CONNECT_TIMEOUT"]

    @event.listens_for(engine, "do_connect")
    def connect(_dialect, _record, cargs, cparams):
        cparams.setdefault("connect_timeout", connect_seconds())
        connection = DeadlineConnection.connect(*cargs, **cparams)
        connection.answer_deadline = answer_deadline(statement_seconds())
        return connection

    @event.listens_for(engine, "checkin")
    def expect_a_quick_answer(dbapi_connection, _record) -> None:
        # Back in the pool, its next exchange is the checkout's ping: any live server answers
        # that at once, so a stalled one is found out as fast as a refused connection.
        if dbapi_connection is not None:
            dbapi_connection.answer_deadline = config["DATABASE_CONNECT_TIMEOUT"]
            dbapi_connection.pooled = True

    @event.listens_for(engine, "checkout")
    def apply_statement_timeout(dbapi_connection, record, _proxy) -> None:
        seconds = statement_seconds()
        if record.info.get("statement_timeout") != seconds:
            _set_statement_timeout(dbapi_connection, seconds)
            record.info["statement_timeout"] = seconds
        dbapi_connection.answer_deadline = answer_deadline(seconds)
        dbapi_connection.pooled = False


def _set_statement_timeout(dbapi_connection, seconds: float) -> None:
    # A raw cursor: a session setting, not one of the app's statements. Committed at once,
    # since a setting rolled back with the request's transaction would be undone.
    with dbapi_connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('statement_timeout', %s, false)", (str(int(seconds * 1000)),)
        )
    dbapi_connection.commit()


# SQLite's primary result codes that say the file cannot be used now (held by another
# writer, the disk, the file itself), not that the statement is wrong.
SQLITE_OUTAGES = frozenset(
    {
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_NOMEM,
        sqlite3.SQLITE_INTERRUPT,
    }
)


def is_outage(error: BaseException) -> bool:
    """Whether a database error means "unavailable now" (503), not a bug (500).

    Unreachable, past a deadline, cut off or out of pooled connections is an outage; so
    is any OperationalError on PostgreSQL (timeouts, shutdowns, deadlocks, a full disk).
    pysqlite raises OperationalError for a missing column or table as well, so on
    SQLite the result code decides.
    """
    if isinstance(error, sa.exc.TimeoutError):  # no pooled connection in time
        return True
    if not isinstance(error, sa.exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if isinstance(error.orig, sqlite3.Error):
        return sqlite_result_code(error.orig) in SQLITE_OUTAGES
    return isinstance(error, sa.exc.OperationalError)


def sqlite_result_code(error: sqlite3.Error) -> int | None:
    """The primary result code (SQLITE_BUSY for SQLITE_BUSY_SNAPSHOT too)."""
    code = getattr(error, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def writes_on_safe_method(view):
    """Mark a GET view that changes data (following an emailed link, say)."""
    view.writes_on_safe_method = True
    return view


_one_snapshot: ContextVar[bool] = ContextVar("one_snapshot", default=False)


@contextmanager
def one_snapshot():
    """The session's reads in the block see the database as it was at the first of them,
    and take no lock a writer waits for: a long read-only job (a report) neither sees
    figures change halfway nor holds SQLite's single write lock while it works. On
    PostgreSQL a REPEATABLE READ, READ ONLY transaction; on SQLite a deferred one that
    only reads (WAL keeps its snapshot). The block starts and ends its own transaction."""
    from dialog.extensions import db

    db.session.rollback()
    token = _one_snapshot.set(True)
    try:
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.connection(
                execution_options={
                    "isolation_level": "REPEATABLE READ",
                    "postgresql_readonly": True,
                }
            )
        yield
    finally:
        db.session.rollback()
        _one_snapshot.reset(token)


def _sqlite_begin_mode() -> str:
    """IMMEDIATE for every transaction that may write, DEFERRED for reading pages.

    A deferred SQLite transaction that reads and then writes fails at once with
    "database is locked" (SQLITE_BUSY_SNAPSHOT; the busy timeout does not apply) when
    another connection committed in between. Taking the write lock at BEGIN makes writers
    queue behind the busy timeout instead, while GET pages keep reading concurrently.
    """
    if _one_snapshot.get():
        return "DEFERRED"
    if has_request_context() and request.method in SAFE_METHODS:
        view = current_app.view_functions.get(request.endpoint)
        if not getattr(view, "writes_on_safe_method", False):
            return "DEFERRED"
    return "IMMEDIATE"


def insert_ignoring_conflicts(model, values: dict, conflict_columns: list[str], returning=None):
    """INSERT ... ON CONFLICT DO NOTHING on PostgreSQL and SQLite.

    Returns the `returning` column of the new row (None when it already existed), or
    without `returning`, whether a row was added.
    """
    from dialog.extensions import db

    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = (
        insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict_columns)
    )
    if returning is not None:
        return db.session.scalar(statement.returning(returning))
    # psycopg reports -1 for an INSERT's rowcount unless asked to keep it.
    return db.session.execute(statement.execution_options(preserve_rowcount=True)).rowcount > 0


def insert_many_ignoring_conflicts(model, rows: list[dict], conflict_columns: list[str]) -> int:
    """The rows not there yet, by INSERT ... ON CONFLICT DO NOTHING; how many were new.

    One statement executed for many rows (executemany), on the table rather than the
    model: compiled once and cached, where a VALUES list of a thousand rows is compiled
    anew for each call (most of a fan-out chunk's time). The rows are keyed by column."""
    from dialog.extensions import db

    if not rows:
        return 0
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(model.__table__).on_conflict_do_nothing(index_elements=conflict_columns)
    result = db.session.execute(statement.execution_options(preserve_rowcount=True), rows)
    return result.rowcount


class AlreadyTaken(Exception):
    """A unique constraint refused the write: a concurrent transaction committed the same
    row (an address, a slug, a person's request) first."""


@contextmanager
def unique_write():
    """Run the block's writes in a SAVEPOINT and raise `AlreadyTaken` when a unique
    constraint refuses them.

    Checking first cannot see a twin that another request has not committed yet; the
    constraint does. The savepoint makes that refusal cost only this write (PostgreSQL
    would otherwise abort the whole transaction), so the caller can answer as it does
    when the row was there before: the form's message, never a 500.
    """
    from dialog.extensions import db

    try:
        with db.session.begin_nested():
            yield
    except sa.exc.IntegrityError as error:
        if not _is_unique_violation(error.orig):
            raise
        raise AlreadyTaken from error


def add_unless_taken(row) -> bool:
    """Add and flush `row`; False (and nothing added) when its unique key is taken."""
    from dialog.extensions import db

    try:
        with unique_write():
            db.session.add(row)
    except AlreadyTaken:
        return False
    return True


def _is_unique_violation(error: Exception) -> bool:
    # Only a duplicate key means "already there"; a missing parent row or a failed check
    # is a real error and must surface.
    if isinstance(error, sqlite3.IntegrityError):
        return error.sqlite_errorcode in {
            sqlite3.SQLITE_CONSTRAINT_UNIQUE,
            sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY,
        }
    return getattr(error, "sqlstate", None) == "23505"  # PostgreSQL unique_violation


# Objects only one database has (search indexes): migrations create them by hand, and
# autogenerate and the model/migration comparison must leave them alone.
DIALECT_SPECIFIC_OBJECTS = frozenset({"ix_proposal_search_swedish"})
DIALECT_SPECIFIC_TABLE_PREFIXES = ("proposal_search",)  # FTS5 and its shadow tables


def include_in_autogenerate(obj, name, type_, reflected, compare_to) -> bool:
    if name in DIALECT_SPECIFIC_OBJECTS:
        return False
    return not (type_ == "table" and name and name.startswith(DIALECT_SPECIFIC_TABLE_PREFIXES))
