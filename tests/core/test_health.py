from dialog.core.views import ROBOTS_TXT
from tests.support import answered_within


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
