"""Logs an operator can use: timestamped lines with a request id, JSON on request, one
line per delivery outcome, routine runs at DEBUG, no library noise at start-up."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from dialog import logs
from dialog.core import outbox
from dialog.core.db import utcnow
from dialog.core.models import OutboxDelivery, OutboxEvent
from tests.support import ROOT, post_form, run_task

TIMESTAMP = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z"
GENERATED_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def subscribe(monkeypatch):
    """`outbox.subscriber` for test subscribers; the registry is restored afterwards."""
    monkeypatch.setattr(outbox, "_subscribers", dict(outbox._subscribers))
    return outbox.subscriber


def _outbox_lines(caplog, level=logging.INFO):
    return [r for r in caplog.records if r.name == outbox.__name__ and r.levelno >= level]


def _ask_for_a_reset_link(client, email, request_id):
    return post_form(
        client, "/password/forgot", {"email": email}, headers={"X-Request-ID": request_id}
    )


def test_a_request_without_an_id_gets_one_of_its_own_on_the_response(client):
    first, second = client.get("/robots.txt"), client.get("/no-such-page")
    assert GENERATED_ID.fullmatch(first.headers["X-Request-ID"])
    assert second.status_code == 404 and GENERATED_ID.fullmatch(second.headers["X-Request-ID"])
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


@pytest.mark.parametrize(
    "incoming",
    ["abc\r\n2026-01-01T00:00:00.000Z ERROR forged line", "a" * 500, "two words", "<script>"],
)
def test_an_unsafe_incoming_request_id_is_replaced(client, incoming):
    # Set in the environ: the test client (like a real server) refuses newlines in headers.
    response = client.get("/robots.txt", environ_overrides={"HTTP_X_REQUEST_ID": incoming})
    assert GENERATED_ID.fullmatch(response.headers["X-Request-ID"])


def test_a_sane_incoming_request_id_is_echoed_and_on_every_line_of_its_work(
    app, client, make_user, caplog, mailbox
):
    """The lines of the request and those of the delivery it caused, run later without
    any task header (as after a sweeper's re-publish), carry the proxy's id."""
    user = make_user()
    request_id = f"proxy-{uuid.uuid4()}"
    caplog.set_level(logging.DEBUG, logger=outbox.__name__)
    response = _ask_for_a_reset_link(client, user.email, request_id)
    assert response.headers["X-Request-ID"] == request_id
    (recorded,) = _outbox_lines(caplog, logging.DEBUG)
    assert recorded.request_id == request_id and "recorded" in recorded.getMessage()

    caplog.clear()
    message = mailbox.last(user.email)
    (delivered,) = _outbox_lines(caplog)
    assert delivered.request_id == request_id
    assert delivered.outcome == "delivered" and delivered.subscriber == "accounts.send_reset_link"
    assert f"event {delivered.event_id} " in delivered.getMessage()
    assert message["Message-ID"] in delivered.getMessage()
    assert user.email not in " ".join(r.getMessage() for r in caplog.records)


def test_the_event_keeps_the_request_id_and_the_subscriber_never_sees_it(app, ctx, db, subscribe):
    received = []
    subscribe("test_fact", name="test.sees_payload")(received.append)
    with logs.request_id_bound("req-1"):
        event = outbox.record("test_fact", f"fact:{uuid.uuid4()}", {"n": 1})
    db.session.commit()
    (delivery_id,) = db.session.scalars(
        select(OutboxDelivery.id).where(OutboxDelivery.event_id == event.id)
    )
    run_task(app, outbox.DELIVER_TASK, delivery_id)
    assert db.session.get(OutboxEvent, event.id).payload == {"n": 1, "_request_id": "req-1"}
    assert received == [{"n": 1}]


def test_a_text_line_is_timestamp_level_logger_request_id_then_the_message(client, caplog):
    caplog.set_level(logging.DEBUG, logger=outbox.__name__)
    _ask_for_a_reset_link(client, "nobody@example.org", "req-text-1")
    (record,) = _outbox_lines(caplog, logging.DEBUG)
    line = logs.TextFormatter().format(record)
    assert re.fullmatch(
        rf"{TIMESTAMP} DEBUG dialog\.core\.outbox request_id=req-text-1 outbox event \d+ "
        r"\(password_reset_requested\) recorded for 1 subscribers",
        line,
    ), line


def test_a_text_line_outside_any_request_says_so_and_a_newline_cannot_forge_a_line():
    record = logging.LogRecord(
        "dialog.x", logging.WARNING, __file__, 1, "path %s", ("/a\nb",), None
    )
    line = logs.TextFormatter().format(record)
    assert re.fullmatch(rf"{TIMESTAMP} WARNING dialog\.x request_id=- path /a\\nb", line), line


def test_a_json_line_has_the_same_fields_the_extras_and_the_exception(client, caplog):
    caplog.set_level(logging.DEBUG, logger=outbox.__name__)
    _ask_for_a_reset_link(client, "nobody@example.org", "req-json-1")
    (record,) = _outbox_lines(caplog, logging.DEBUG)
    entry = json.loads(logs.JsonFormatter().format(record))
    assert entry["request_id"] == "req-json-1" and entry["task_id"] is None
    assert re.fullmatch(TIMESTAMP, entry["time"])
    assert (entry["level"], entry["logger"]) == ("DEBUG", "dialog.core.outbox")
    assert entry["message"].startswith("outbox event ")

    try:
        raise ZeroDivisionError("a broken sum")
    except ZeroDivisionError:
        logging.getLogger("dialog.test").exception("it broke", extra={"event_id": 7})
    line = logs.JsonFormatter().format(caplog.records[-1])
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "it broke" and entry["event_id"] == 7
    assert "Traceback" in entry["exception"] and "ZeroDivisionError" in entry["exception"]


def test_every_delivery_outcome_is_one_line_and_giving_up_is_an_error(
    app, ctx, db, subscribe, caplog, monkeypatch
):
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 2)

    @subscribe("test_fact", name="test.refused")
    def refused(payload):
        raise ConnectionError("relay refused {'ada@example.org': (550, b'no such user')}")

    subscribe("test_fact", name="test.fine")(lambda payload: None)
    event = outbox.record("test_fact", f"fact:{uuid.uuid4()}", {})
    db.session.commit()
    deliveries = {
        d.subscriber: d.id
        for d in db.session.scalars(
            select(OutboxDelivery).where(OutboxDelivery.event_id == event.id)
        )
    }
    caplog.set_level(logging.DEBUG)
    run_task(app, outbox.DELIVER_TASK, deliveries["test.fine"])
    run_task(app, outbox.DELIVER_TASK, deliveries["test.refused"])
    run_task(app, outbox.DELIVER_TASK, deliveries["test.refused"])

    delivered, retrying, gave_up = _outbox_lines(caplog)
    retry_in = app.config["OUTBOX_RETRY_AFTER_SECONDS"] * 2
    assert (delivered.levelname, delivered.outcome) == ("INFO", "delivered")
    assert (retrying.levelname, retrying.outcome) == ("WARNING", "retrying")
    assert (gave_up.levelname, gave_up.outcome) == ("ERROR", "gave_up")
    assert {delivered.event_id, retrying.event_id, gave_up.event_id} == {event.id}
    assert (retrying.delivery_id, retrying.subscriber) == (
        deliveries["test.refused"],
        "test.refused",
    )
    waited = re.search(r"; will retry in (\d+) s$", retrying.getMessage())
    assert waited and retry_in / 2 - 1 <= int(waited.group(1)) <= retry_in
    assert "ConnectionError: relay refused" in retrying.getMessage()
    assert "gave up after 2 attempts (ConnectionError" in gave_up.getMessage()
    written = " ".join(r.getMessage() for r in caplog.records)
    assert "ada@example.org" not in written and "<address>" in written


def test_an_idle_sweep_logs_only_at_debug_and_a_sweep_that_did_something_at_info(
    app, ctx, db, caplog
):
    caplog.set_level(logging.DEBUG)
    assert run_task(app, "core.sweep_outbox") == 0
    assert [r.levelname for r in caplog.records if r.levelno >= logging.INFO] == []
    assert "core.sweep_outbox ran: 0 done" in caplog.messages

    event = outbox.record("email", f"due:{uuid.uuid4()}", {})
    db.session.execute(
        update(OutboxDelivery)
        .where(OutboxDelivery.event_id == event.id)
        .values(next_attempt_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    caplog.clear()
    assert run_task(app, "core.sweep_outbox") == 1
    (ran,) = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert (ran.levelname, ran.getMessage()) == ("INFO", "core.sweep_outbox ran: 1 done")


def _flask(*args, **env):
    """`flask --app dialog ...` in a process of its own, on the suite's database."""
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "dialog", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_start_up_and_an_upgrade_with_nothing_to_do_write_nothing(app, settings):
    done = _flask("db", "upgrade", LOG_LEVEL="INFO")
    assert done.returncode == 0, done.stderr
    assert (done.stdout, done.stderr) == ("", "")


def test_json_format_writes_one_object_per_line_and_library_set_up_only_at_debug(app, settings):
    done = _flask("db", "upgrade", LOG_LEVEL="DEBUG", LOG_FORMAT="json")
    assert done.returncode == 0, done.stderr
    entries = [json.loads(line) for line in done.stderr.splitlines()]
    alembic = [e for e in entries if e["logger"].startswith("alembic")]
    assert any("setup plugin" in e["message"] for e in alembic)
    assert any(e["message"].startswith("Context impl") for e in alembic)
    assert {e["level"] for e in entries} == {"DEBUG"}
    assert all(re.fullmatch(TIMESTAMP, e["time"]) and "request_id" in e for e in entries)


def test_an_unknown_log_format_is_a_clear_error(monkeypatch):
    import config

    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(config.ConfigurationError, match="LOG_FORMAT must be text or json"):
        config.load("development")
