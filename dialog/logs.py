"""One logging set-up for every process: the web app, the worker and beat.

Each line carries an ISO 8601 UTC timestamp, the level, the logger, the request id (and,
inside a task, the task id) and the message; with `LOG_FORMAT=json` the same fields, any
structured extras and the exception's text are one JSON object per line.

The request id is taken from a sane incoming `X-Request-ID` (a proxy that sets one ties
its lines to ours) or made up, sent back on the response, and travels with the work the
request causes: dialog/celery.py puts it in the headers of every task published while it
is current, and the outbox keeps it with the event, so a delivery the sweeper re-publishes
(or retries) logs it too.

Libraries' routine lines (each task received and succeeded, beat sending a task on time,
Alembic's set-up in every process) are shown only at DEBUG: an idle installation writes
nothing at INFO, and what a run did is in our own lines.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from celery import current_task
from celery.app import trace
from flask import Flask, Response, g, request

REQUEST_ID_HEADER = "X-Request-ID"
# A proxy's id (a UUID, nginx's hex $request_id, base64) passes; newlines, spaces, quotes
# and anything long are replaced by an id of our own.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:+/=-]{1,128}")
# The header a task carries its request id in (read back as `task.request.request_id`).
TASK_HEADER = "request_id"

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def init_app(app: Flask) -> None:
    """Configure logging for this process and give every request an id.

    Called first in create_app, so the id is set before any other extension's hook runs.
    """
    configure(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])
    app.before_request(_assign_request_id)
    app.after_request(_send_request_id)
    app.teardown_request(_forget_request_id)


def configure(level: str, log_format: str) -> None:
    """One handler on the root logger, to stderr; calling it again replaces it."""
    root = logging.getLogger()
    for previous in [each for each in root.handlers if isinstance(each, _Handler)]:
        root.removeHandler(previous)
    handler = _Handler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name, messages in _ROUTINE_LINES.items():
        logging.getLogger(name).addFilter(messages)
    _add_context_to_every_record()


class _Handler(logging.StreamHandler):
    """Ours, told apart from handlers others (pytest, gunicorn) put on the root logger."""


# --- the request id -------------------------------------------------------------------


def current_request_id() -> str | None:
    """The id of the request being served, or of the request that caused this task."""
    return _request_id.get() or _task_header(TASK_HEADER)


@contextmanager
def request_id_bound(request_id: str | None) -> Iterator[None]:
    """Log the block's lines with `request_id` (kept when None: nothing better is known)."""
    if request_id is None:
        yield
        return
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


def sane_request_id(candidate: str | None) -> str:
    if candidate and _SANE_REQUEST_ID.fullmatch(candidate):
        return candidate
    return uuid.uuid4().hex


def _assign_request_id() -> None:
    g.request_id_token = _request_id.set(sane_request_id(request.headers.get(REQUEST_ID_HEADER)))


def _send_request_id(response: Response) -> Response:
    request_id = _request_id.get()
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    return response


def _forget_request_id(_error: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        _request_id.reset(token)


def _task_header(name: str) -> str | None:
    return getattr(current_task.request, name, None) if current_task else None


def _current_task_id() -> str | None:
    return current_task.request.id if current_task else None


_base_record_factory = logging.getLogRecordFactory()


def _record_with_context(*args, **kwargs) -> logging.LogRecord:
    record = _base_record_factory(*args, **kwargs)
    record.request_id = current_request_id()
    record.task_id = _current_task_id()
    return record


def _add_context_to_every_record() -> None:
    # A record factory rather than a handler filter: every handler (a test's capture too)
    # sees the ids, whichever logger the line came from.
    logging.setLogRecordFactory(_record_with_context)


# --- formats --------------------------------------------------------------------------


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TextFormatter(logging.Formatter):
    """`2026-03-01T08:00:00.000Z INFO dialog.core.outbox request_id=… message`."""

    def format(self, record: logging.LogRecord) -> str:
        context = f"request_id={getattr(record, 'request_id', None) or '-'}"
        task_id = getattr(record, "task_id", None)
        if task_id:
            context += f" task_id={task_id}"
        # A newline in a message (a path, a header) must not forge a line of its own.
        message = record.getMessage().replace("\r", "\\r").replace("\n", "\\n")
        line = f"{_timestamp(record)} {record.levelname} {record.name} {context} {message}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


# What every LogRecord has; anything else on a record came as `extra=` and is written too.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "request_id",
    "task_id",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, request_id, task_id, message, the
    extras a line was logged with, and `exception` (its traceback) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", None),
            "task_id": getattr(record, "task_id", None),
            "message": record.getMessage(),
        }
        entry.update(
            (key, value) for key, value in vars(record).items() if key not in _RECORD_ATTRIBUTES
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


# --- library lines shown only at DEBUG ------------------------------------------------


class _RoutineToDebug(logging.Filter):
    """Turns a library's routine INFO lines (those whose format is one of `messages`, or
    all of them when None) into DEBUG lines, written only when DEBUG is on."""

    def __init__(self, messages: frozenset[str] | None = None):
        super().__init__()
        self.messages = messages

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO:
            return True
        routine = self.messages is None or (
            isinstance(record.msg, str) and record.msg in self.messages
        )
        if not routine:
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


_ROUTINE_LINES = {
    # Every task received and succeeded; our own lines say what a delivery or a periodic
    # run did, and a failure or retry stays at its level.
    "celery.worker.strategy": _RoutineToDebug(frozenset({trace.LOG_RECEIVED})),
    "celery.app.trace": _RoutineToDebug(frozenset({trace.LOG_SUCCESS})),
    # Beat sending each periodic task on time (the sweeper every few seconds).
    "celery.beat": _RoutineToDebug(frozenset({"Scheduler: Sending due task %s (%s)"})),
    # Alembic's plugins, set up in every process that imports it, and the two lines of
    # every migration context; "Running upgrade ..." stays.
    "alembic.runtime.plugins": _RoutineToDebug(),
    "alembic.runtime.migration": _RoutineToDebug(
        frozenset({"Context impl %s.", "Will assume %s DDL."})
    ),
}
