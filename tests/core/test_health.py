from dialog.core.views import ROBOTS_TXT


def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "broker": "ok"}


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


def test_robots_txt_is_answered_without_any_query(client, count_queries):
    with count_queries() as counter:
        response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == ROBOTS_TXT
    assert counter.count == 0
    assert "Set-Cookie" not in response.headers
