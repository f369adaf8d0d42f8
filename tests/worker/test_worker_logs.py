"""A real worker with beat logs in the app's format, carries the request id of the request
that caused a delivery, and writes nothing at INFO while there is nothing to do."""

from __future__ import annotations

import os
import re
import uuid

import pytest

from tests.support import WorkerProcess, post_form, wait_for

pytestmark = pytest.mark.worker

TIMESTAMP = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z"


@pytest.fixture(scope="module")
def debug_worker(app, tmp_path_factory):
    """The worker with beat, at DEBUG: routine lines are written, so a test can wait for
    them and check that none of them is above DEBUG."""
    app.extensions["celery"].control.purge()
    log_path = tmp_path_factory.mktemp("debug-worker") / "worker.log"
    process = WorkerProcess(log_path, beat=True, env={**os.environ, "LOG_LEVEL": "DEBUG"})
    yield process.start()
    process.stop()


def _lines(worker, after: int = 0) -> list[str]:
    return worker.log_path.read_text().splitlines()[after:]


def test_the_worker_logs_in_the_apps_format(debug_worker):
    (ready,) = [line for line in _lines(debug_worker) if line.endswith(" ready.")]
    assert re.fullmatch(rf"{TIMESTAMP} INFO celery\.\S+ request_id=- celery@\S+ ready\.", ready)


def test_the_request_id_reaches_the_workers_lines_for_the_delivery_it_caused(
    app, committed_db, debug_worker, make_user
):
    user = make_user()
    request_id = f"proxy-{uuid.uuid4()}"
    response = post_form(
        app.test_client(),
        "/password/forgot",
        {"email": user.email},
        headers={"X-Request-ID": request_id},
    )
    assert response.headers["X-Request-ID"] == request_id

    def delivered_line():
        found = [line for line in _lines(debug_worker) if "delivered on attempt" in line]
        return next((line for line in found if f"request_id={request_id} " in line), None)

    line = wait_for(delivered_line, timeout=30)
    assert re.fullmatch(
        rf"{TIMESTAMP} INFO dialog\.core\.outbox request_id={re.escape(request_id)} "
        r"task_id=[0-9a-f-]{36} outbox delivery \d+ of event \d+ \(password_reset_requested, "
        r"subscriber accounts\.send_reset_link\) delivered on attempt 1: "
        r"Message-ID <[^>]+> written to \S+\.eml",
        line,
    ), line
    task_id = re.search(r"task_id=(\S+)", line).group(1)
    # Celery's own line for that task (at DEBUG) has the id from the task's headers.
    # Written by the main process when the pool reports back: it may follow our line.
    assert wait_for(
        lambda: any(
            f"request_id={request_id} task_id={task_id} Task core.deliver_outbox" in each
            for each in _lines(debug_worker)
        ),
        timeout=10,
    )
    assert user.email not in debug_worker.log_path.read_text()


def test_an_idle_worker_and_beat_write_nothing_at_info(debug_worker, committed_db):
    start = len(_lines(debug_worker))
    sweeps = re.compile(rf"{TIMESTAMP} DEBUG dialog\.core\.periodic .*core\.sweep_outbox ran: 0")
    wait_for(
        lambda: sum(1 for each in _lines(debug_worker, start) if sweeps.match(each)) >= 3,
        timeout=30,
    )
    idle = _lines(debug_worker, start)
    above_debug = [line for line in idle if not re.match(rf"{TIMESTAMP} DEBUG ", line)]
    assert above_debug == []
