"""The API's links come from PUBLIC_URL, its answers are cached briefly, and odd query
parameters are a 400 with a reason."""

import pytest

from tests.factories import LIVE

FORGED = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}


@pytest.fixture
def proposal(ctx, db, make_dialogue, make_proposal, make_user):
    dialogue = make_dialogue("oppen", phases=LIVE)
    for n in range(2):
        make_dialogue(f"fler-{n}")
    return make_proposal(dialogue, make_user())


def _links(value):
    if isinstance(value, dict):
        for key, item in value.items():
            if key.endswith("url") or key in ("next", "previous"):
                if item is not None:
                    yield item
            else:
                yield from _links(item)
    elif isinstance(value, list):
        for item in value:
            yield from _links(item)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/dialogues?per_page=1&page=2",
        "/api/v1/dialogues/oppen",
        "/api/v1/dialogues/oppen/proposals",
        "/api/v1/proposals/{id}",
    ],
)
def test_a_forged_host_header_cannot_change_the_links(app, client, proposal, path):
    response = client.get(path.format(id=proposal.id), headers=FORGED)
    assert response.status_code == 200
    links = list(_links(response.get_json()))
    assert links
    public = app.config["PUBLIC_URL"].rstrip("/") + "/"
    assert all(link.startswith(public) for link in links), links
    assert "evil.example" not in response.get_data(as_text=True)


def test_links_follow_a_public_url_with_a_path(app, client, proposal, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://dialog.kommun.se/medborgare")
    body = client.get("/api/v1/dialogues/oppen").get_json()
    assert body["url"] == "https://dialog.kommun.se/medborgare/api/v1/dialogues/oppen"
    assert body["html_url"] == "https://dialog.kommun.se/medborgare/d/oppen"


def test_a_query_parameter_named_endpoint_is_kept_in_the_links(client, proposal):
    body = client.get("/api/v1/dialogues?per_page=1&endpoint=x").get_json()
    assert "endpoint=x" in body["next"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/dialogues",
        "/api/v1/dialogues/oppen",
        "/api/v1/proposals/{id}",
        "/api/v1/openapi.json",
    ],
)
def test_public_answers_are_cached_for_at_most_five_seconds(client, proposal, path):
    response = client.get(path.format(id=proposal.id))
    assert response.headers["Cache-Control"] == "public, max-age=5"


def test_the_openapi_document_tells_the_cache_time(client):
    text = client.get("/api/v1/openapi.json").get_data(as_text=True)
    assert "max-age=5" in text and "max-age=60" not in text


@pytest.mark.parametrize(
    "query",
    [
        "page=0001",
        "page=%EF%BC%91",  # a full-width digit one
        "page=1e3",
        "page=-1",
        "page=99999999999999999999999",
        "per_page=%00",
        "per_page=%20",
        "page=1&page=x",
        "sort=%0d%0a",
        "theme=" + "x" * 5000,
        "place=%5C%5C",
        "q=" + "%F0%9F%98%80" * 500,
        "status=0001-01-01",
    ],
)
def test_odd_query_parameters_never_give_a_500(client, proposal, query):
    for path in ("/api/v1/dialogues", "/api/v1/dialogues/oppen/proposals"):
        response = client.get(f"{path}?{query}")
        assert response.status_code in (200, 400), (path, query)
        if response.status_code == 400:
            assert response.get_json()["error"]["reason"]
