import pytest


def test_not_found_page_is_friendly_in_both_languages(client):
    swedish = client.get("/finns-inte")
    assert swedish.status_code == 404
    assert "Sidan kunde inte hittas" in swedish.get_data(as_text=True)
    english = client.get("/finns-inte?lang=en")
    assert "The page could not be found" in english.get_data(as_text=True)


def test_api_errors_are_json_with_a_reason(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404
    assert response.get_json()["error"]["reason"]


def test_method_not_allowed_names_the_allowed_methods(client):
    response = client.delete("/login")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


@pytest.fixture
def failing_app(committed_db):
    from dialog import create_app

    app = create_app()

    @app.get("/boom")
    def boom():
        raise RuntimeError("a bug")

    @app.get("/broken-flush")
    def broken_flush():
        from dialog.core.db import utcnow
        from dialog.core.models import JobLock
        from dialog.extensions import db

        db.session.add(JobLock(name="twice", locked_until=utcnow()))
        db.session.add(JobLock(name="twice", locked_until=utcnow()))
        db.session.flush()

    return app


def test_an_unexpected_error_gives_a_friendly_500_page(failing_app):
    response = failing_app.test_client().get("/boom?lang=en")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong on our side" in page
    assert "a bug" not in page and "Traceback" not in page


def test_forbidden_page_explains_in_both_languages(resident_client):
    swedish = resident_client.get("/admin/users")
    assert swedish.status_code == 403
    assert "Bara administratörer kan göra det här." in swedish.get_data(as_text=True)
    english = resident_client.get("/admin/users?lang=en")
    assert "Only administrators can do this." in english.get_data(as_text=True)


def test_too_many_requests_page_in_english(app, client, monkeypatch):
    from tests.support import post_form

    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN_PER_IP", "1 per minute")
    client.get("/?lang=en")
    post_form(client, "/login", {"email": "a@example.org", "password": "x" * 12})
    blocked = post_form(client, "/login", {"email": "b@example.org", "password": "x" * 12})
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)
    assert blocked.headers.get("Retry-After")


def test_the_error_page_survives_a_failed_flush_for_a_logged_in_person(failing_app):
    from tests.support import UserFactory, post_form

    user = UserFactory(failing_app)()
    client = failing_app.test_client()
    post_form(client, "/login", {"email": user.email, "password": "correct horse battery staple"})
    response = client.get("/broken-flush")
    assert response.status_code == 500
    assert "Något gick fel hos oss" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/p/{id}", "/c/{id}", "/p/{id}/image", "/api/v1/proposals/{id}"])
def test_an_id_larger_than_an_id_column_holds_is_a_404(client, path):
    # Ids are 32-bit INTEGER columns on PostgreSQL: a larger one must never reach the query.
    assert client.get(path.format(id=2**31)).status_code == 404
    assert client.get(path.format(id=2**31 - 1)).status_code == 404  # in range, not there
