"""A real worker leaves a heartbeat, and its beat periodic runs, where /readyz reads them."""

import time

import pytest
import sqlalchemy as sa

from dialog.core.models import Heartbeat
from tests.support import WorkerProcess

pytestmark = pytest.mark.worker


def _checks(client) -> dict:
    answer = client.get("/readyz").get_json()
    return {"overall": answer["status"], **answer["checks"]}


def _ready_within(client, seconds: float) -> dict:
    """The first answer that is ok, or the last one seen when none was in time."""
    deadline = time.monotonic() + seconds
    while (found := _checks(client))["overall"] != "ok" and time.monotonic() < deadline:
        time.sleep(0.2)
    return found


def test_a_worker_with_beat_makes_the_host_ready_and_is_missed_once_stopped(
    app, committed_db, tmp_path
):
    # Workers of earlier tests (the browser tests' beat) may have left their last rows.
    with app.app_context():
        committed_db.session.execute(sa.delete(Heartbeat))
        committed_db.session.commit()
    client = app.test_client()
    before = _checks(client)
    assert before["worker"]["status"] == "missing"
    assert before["beat"]["status"] == "missing"
    assert before["overall"] == "degraded"

    process = WorkerProcess(tmp_path / "worker.log", beat=True).start()
    try:
        ready = _ready_within(client, seconds=30)
        assert ready["overall"] == "ok", ready
        assert ready["worker"]["alive"] == 1
        assert ready["worker"]["age_seconds"] <= app.config["WORKER_HEARTBEAT_SECONDS"]
        assert ready["beat"]["status"] == "ok"
    finally:
        process.stop()

    after = _checks(client)
    assert after["worker"] == {"status": "missing", "age_seconds": None, "alive": 0}
    # Beat's last run stays until it is too old.
    assert after["beat"]["status"] == "ok"
