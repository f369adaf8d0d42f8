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

    return app


def test_an_unexpected_error_gives_a_friendly_500_page(failing_app):
    response = failing_app.test_client().get("/boom?lang=en")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong on our side" in page
    assert "a bug" not in page and "Traceback" not in page
