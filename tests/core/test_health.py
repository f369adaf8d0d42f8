import logging

import pytest

from dialog.core.views import ROBOTS_TXT
from tests.support import RedisServer, TcpProxy, answered_within


def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_names_the_broker_when_it_is_down(committed_db):
    from dialog import create_app

    broken = create_app(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.get_json() == {"status": "error", "database": "ok", "broker": "down"}


def test_healthz_names_the_database_when_it_is_down(committed_db, tmp_path):
    from dialog import create_app

    broken = create_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none")
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "down"


def _healthz_within_deadline(hung):
    # The deadline, and a second for the rest of the request.
    limit = hung.config["HEALTH_CHECK_TIMEOUT"] + 1.0
    response = answered_within(limit, lambda: hung.test_client().get("/healthz"))
    return response.status_code, response.get_json()


def test_healthz_answers_within_its_deadline_when_the_database_hangs(app, black_hole):
    from dialog import create_app

    hung = create_app(
        SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://nobody@127.0.0.1:{black_hole.port}/none"
    )
    assert _healthz_within_deadline(hung) == (
        503,
        {"status": "error", "database": "down", "broker": "ok"},
    )


def test_healthz_answers_within_its_deadline_when_the_broker_hangs(app, black_hole):
    from dialog import create_app

    hung = create_app(CELERY_BROKER_URL=f"redis://127.0.0.1:{black_hole.port}/0")
    assert _healthz_within_deadline(hung) == (
        503,
        {"status": "error", "database": "ok", "broker": "down"},
    )


def test_robots_txt_is_answered_without_any_query(client, count_queries):
    with count_queries() as counter:
        response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == ROBOTS_TXT
    assert counter.count == 0
    assert "Set-Cookie" not in response.headers


def test_a_failing_check_is_logged_when_it_fails_and_when_it_answers_again_only(
    app, committed_db, caplog, monkeypatch
):
    """A load balancer probes every few seconds: an outage is two lines, not thousands."""
    if not RedisServer.available():
        pytest.skip("redis-server is not installed")
    from dialog import create_app

    server = RedisServer().start()
    relay = TcpProxy(server.port).start()
    try:
        site = create_app(CELERY_BROKER_URL=f"redis://127.0.0.1:{relay.port}/0")
        # The suite's migration run (Alembic's fileConfig) disabled the loggers it found.
        monkeypatch.setattr(logging.getLogger("dialog.core.health"), "disabled", False)
        caplog.set_level(logging.INFO, logger="dialog.core.health")
        client = site.test_client()
        assert client.get("/healthz").status_code == 200
        relay.refuse()
        assert [client.get("/healthz").status_code for _ in range(5)] == [503] * 5
        assert all(client.get("/readyz").status_code in (200, 503) for _ in range(3))
        relay.resume()
        assert client.get("/healthz").status_code == 200
    finally:
        relay.close()
        server.stop()
    said = [r.getMessage() for r in caplog.records if r.name == "dialog.core.health"]
    assert len(said) == 2, said
    assert said[0].startswith("health check: broker failing: ")
    assert said[1] == "health check: broker answering again"
