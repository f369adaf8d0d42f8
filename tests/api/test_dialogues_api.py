"""The open-data API for dialogues: listing, detail, privacy, cost, headers and its document."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from dialog.dialogues import services
from dialog.dialogues.models import DialogueState, PhaseKind, Visibility

try:  # in the test extras; the structural check is skipped where it is missing
    from openapi_spec_validator import validate as validate_openapi
except ImportError:  # pragma: no cover
    validate_openapi = None

PERSONAL_KEYS = {
    "email",
    "emails",
    "planners",
    "planner",
    "invitations",
    "invited",
    "user",
    "user_id",
    "users",
    "created_by",
    "invited_by_id",
    "author_id",
    "display_name",
    "password_hash",
}
ISO_UTC_SUFFIX = "+00:00"


THREE_PHASES = (("information", -48, -1), ("proposals", -1, 24), ("voting", 24, 48))


def _keys(value) -> set[str]:
    """Every key anywhere in a JSON document."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def _path(url: str) -> str:
    """The path and query of an absolute or relative link, for the test client."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


# Listing and pagination


def test_the_list_pages_through_public_dialogues_with_links_and_total(
    client, ctx, db, make_dialogue
):
    for n in range(5):
        make_dialogue(f"dialog-{n}")
    first = client.get("/api/v1/dialogues?per_page=2")
    assert first.status_code == 200
    assert first.mimetype == "application/json"
    body = first.get_json()
    assert (body["page"], body["per_page"], body["total"]) == (1, 2, 5)
    assert len(body["items"]) == 2
    assert body["previous"] is None
    assert "page=2" in body["next"] and "per_page=2" in body["next"]

    second = client.get(_path(body["next"])).get_json()
    assert second["page"] == 2 and len(second["items"]) == 2
    assert "page=1" in second["previous"] and "page=3" in second["next"]

    third = client.get(_path(second["next"])).get_json()
    assert len(third["items"]) == 1 and third["next"] is None
    seen = [i["slug"] for page in (body, second, third) for i in page["items"]]
    assert sorted(seen) == [f"dialog-{n}" for n in range(5)]  # each exactly once


def test_the_default_page_holds_twenty(client, ctx, db):
    body = client.get("/api/v1/dialogues").get_json()
    assert (body["page"], body["per_page"], body["total"], body["items"]) == (1, 20, 0, [])
    assert body["next"] is None and body["previous"] is None


def test_a_page_past_the_end_is_empty_and_leads_back(client, ctx, db, make_dialogue):
    make_dialogue("ensam")
    body = client.get("/api/v1/dialogues?page=7").get_json()
    assert body["items"] == [] and body["total"] == 1 and body["next"] is None
    assert "page=1" in body["previous"]


def test_a_list_item_has_the_documented_fields(client, ctx, db, make_dialogue):
    make_dialogue(
        "stadskarna",
        title="Stadskärnan",
        summary="Hur ska torget bli?",
        place_name="Stora torget",
        place_lat=59.19,
        place_lon=17.62,
        themes=["Stadslivet", "Grönska"],
        focus_areas=["Torget"],
        phases=THREE_PHASES,
    )
    [item] = client.get("/api/v1/dialogues").get_json()["items"]
    assert set(item) >= {
        "slug",
        "title",
        "summary",
        "state",
        "place",
        "themes",
        "focus_areas",
        "url",
        "html_url",
        "current_phase",
    }
    assert item["slug"] == "stadskarna" and item["title"] == "Stadskärnan"
    assert item["summary"] == "Hur ska torget bli?" and item["state"] == "published"
    assert item["place"] == {"name": "Stora torget", "lat": 59.19, "lon": 17.62}
    assert item["themes"] == ["Stadslivet", "Grönska"] and item["focus_areas"] == ["Torget"]
    assert item["url"].endswith("/api/v1/dialogues/stadskarna")
    assert item["html_url"].endswith("/d/stadskarna")
    assert client.get(_path(item["url"])).status_code == 200
    assert client.get(_path(item["html_url"])).status_code == 200
    current = item["current_phase"]
    assert current["kind"] == "proposals"
    assert current["capabilities"] == ["comment", "propose", "reply"]
    assert current["starts_at"].endswith(ISO_UTC_SUFFIX)
    assert "background" not in item and "phases" not in item  # detail only


def test_archived_dialogues_are_listed_and_without_a_phase_current_phase_is_null(
    client, ctx, db, make_dialogue
):
    make_dialogue("arkiv", state=DialogueState.archived)
    [item] = client.get("/api/v1/dialogues").get_json()["items"]
    assert item["state"] == "archived" and item["current_phase"] is None
    assert item["place"] == {"name": None, "lat": None, "lon": None}


@pytest.mark.parametrize(
    "query, named",
    [
        ("per_page=0", "per_page"),
        ("per_page=101", "per_page"),
        ("per_page=-5", "per_page"),
        ("per_page=ten", "per_page"),
        ("per_page=1_0", "per_page"),
        ("per_page=", "per_page"),
        ("page=0", "page"),
        ("page=x", "page"),
        ("page=2.5", "page"),
        ("page=100000000000000000000", "page"),  # would overflow the database's offset
    ],
)
def test_paging_out_of_bounds_is_a_400_with_a_reason(client, ctx, db, query, named):
    response = client.get(f"/api/v1/dialogues?{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["status"] == 400 and error["title"]
    assert named in error["reason"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_per_page_at_its_bounds_is_accepted(client, ctx, db):
    for per_page in (1, 100):
        response = client.get(f"/api/v1/dialogues?per_page={per_page}")
        assert response.status_code == 200
        assert response.get_json()["per_page"] == per_page


# What is never shown


def test_drafts_and_invite_only_dialogues_never_appear(client, ctx, db, make_dialogue):
    make_dialogue("utkast", state=DialogueState.draft)
    make_dialogue("sluten", visibility=Visibility.invited)
    make_dialogue("sluten-arkiv", state=DialogueState.archived, visibility=Visibility.invited)
    make_dialogue("oppen")
    body = client.get("/api/v1/dialogues").get_json()
    assert [item["slug"] for item in body["items"]] == ["oppen"]
    assert body["total"] == 1


def test_hidden_dialogues_are_indistinguishable_from_missing_ones(client, ctx, db, make_dialogue):
    make_dialogue("utkast", state=DialogueState.draft)
    make_dialogue("sluten", visibility=Visibility.invited)
    answers = []
    for slug in ("utkast", "sluten", "finns-inte"):
        response = client.get(f"/api/v1/dialogues/{slug}")
        assert response.status_code == 404
        assert response.mimetype == "application/json"
        answers.append(response.get_json())
    assert answers[0] == answers[1] == answers[2]
    assert answers[0]["error"]["status"] == 404 and answers[0]["error"]["reason"]


# Detail


def test_the_detail_has_background_settings_and_every_phase_in_order(
    client, ctx, db, make_dialogue, make_phase
):
    dialogue = make_dialogue(
        "stadskarna",
        background="## Bakgrund\n\nTorget byggdes *1962*.",
        votes_per_participant=3,
    )
    voting = make_phase(
        dialogue,
        PhaseKind.voting,
        24,
        48,
        title="Rösta",
        description="Välj det bästa",
    )
    proposals = make_phase(dialogue, PhaseKind.proposals, -1, 24, title="Förslag")
    result = make_phase(dialogue, PhaseKind.result, 48, None, title="Resultat")
    response = client.get("/api/v1/dialogues/stadskarna")
    assert response.status_code == 200
    body = response.get_json()
    assert body["slug"] == "stadskarna" and body["state"] == "published"
    assert body["background"] == "## Bakgrund\n\nTorget byggdes *1962*."  # raw markdown
    assert body["vote_mode"] == "for_against" and body["votes_per_participant"] == 3
    assert [p["id"] for p in body["phases"]] == [proposals.id, voting.id, result.id]
    first, second, last = body["phases"]
    assert set(first) >= {"id", "kind", "title", "description", "starts_at", "ends_at"}
    assert second == {
        "id": voting.id,
        "kind": "voting",
        "title": "Rösta",
        "description": "Välj det bästa",
        "starts_at": voting.starts_at.astimezone(UTC).isoformat(),
        "ends_at": voting.ends_at.astimezone(UTC).isoformat(),
        "capabilities": ["vote"],
    }
    assert last["ends_at"] is None and last["capabilities"] == ["answer", "show_results"]
    for phase in body["phases"]:
        assert phase["starts_at"].endswith(ISO_UTC_SUFFIX)
        datetime.fromisoformat(phase["starts_at"])  # parses as ISO 8601
    assert body["current_phase"]["title"] == "Förslag"
    assert body["current_phase"]["capabilities"] == ["comment", "propose", "reply"]
    for field in ("title", "summary", "place", "themes", "focus_areas", "url", "html_url"):
        assert field in body


def test_datetimes_are_utc_with_an_offset_whatever_zone_they_were_given_in(
    client, ctx, db, make_dialogue, make_phase
):
    dialogue = make_dialogue("tider")
    stockholm = datetime(2026, 3, 12, 9, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
    make_phase(
        dialogue,
        PhaseKind.information,
        stockholm,
        stockholm + timedelta(days=1),
        title="Information",
    )
    db.session.expire_all()
    [phase] = client.get("/api/v1/dialogues/tider").get_json()["phases"]
    assert phase["starts_at"] == "2026-03-12T08:00:00+00:00"
    assert phase["ends_at"] == "2026-03-13T08:00:00+00:00"


def test_a_capability_override_shows_in_the_phase_and_the_current_phase(
    client, ctx, db, make_dialogue, make_phase
):
    dialogue = make_dialogue("omrostning")
    make_phase(
        dialogue,
        PhaseKind.voting,
        -1,
        1,
        title="Rösta och kommentera",
        capability_overrides={"comment": True},
    )
    body = client.get("/api/v1/dialogues/omrostning").get_json()
    [phase] = body["phases"]
    assert phase["capabilities"] == ["comment", "vote"]
    assert body["current_phase"]["capabilities"] == ["comment", "vote"]
    [item] = client.get("/api/v1/dialogues").get_json()["items"]
    assert item["current_phase"]["capabilities"] == ["comment", "vote"]


def test_a_withdrawn_capability_is_not_shown(client, ctx, db, make_dialogue, make_phase):
    dialogue = make_dialogue("utan-kommentarer")
    make_phase(dialogue, PhaseKind.proposals, -1, 1, capability_overrides={"comment": False})
    [phase] = client.get("/api/v1/dialogues/utan-kommentarer").get_json()["phases"]
    assert phase["capabilities"] == ["propose", "reply"]


# Privacy


def test_no_personal_data_anywhere(client, ctx, db, make_user, make_dialogue):
    from dialog.accounts.models import User

    planner = make_user(role="planner", email="planerare@kommun.example", display_name="Pia P")
    dialogue = make_dialogue("stadskarna", phases=THREE_PHASES)
    planner = db.session.get(User, planner.id)
    services.assign_planner(dialogue, planner, by=None)
    services.invite(dialogue, ["gast@example.org"], by=planner)
    db.session.commit()
    documents = [
        client.get("/api/v1/dialogues").get_json(),
        client.get("/api/v1/dialogues/stadskarna").get_json(),
    ]
    for document in documents:
        assert not _keys(document) & PERSONAL_KEYS
        text = json.dumps(document, ensure_ascii=False)
        for secret in ("planerare@kommun.example", "gast@example.org", "Pia P", "@"):
            assert secret not in text


# Cost


def test_the_list_costs_the_same_number_of_queries_for_2_and_12_dialogues(
    client, ctx, db, count_queries, make_dialogue
):
    for n in range(2):
        make_dialogue(f"d-{n}", phases=THREE_PHASES)
    client.get("/api/v1/dialogues")  # warm up anything loaded once per process
    with count_queries() as few:
        response = client.get("/api/v1/dialogues")
    assert len(response.get_json()["items"]) == 2
    for n in range(2, 12):
        make_dialogue(f"d-{n}", phases=THREE_PHASES)
    with count_queries() as many:
        response = client.get("/api/v1/dialogues")
    items = response.get_json()["items"]
    assert len(items) == 12 and all(item["current_phase"] for item in items)
    assert few.count == many.count, many.statements


# Headers


@pytest.mark.parametrize(
    "path", ["/api/v1/dialogues", "/api/v1/dialogues/oppen", "/api/v1/openapi.json"]
)
def test_open_data_headers(client, ctx, db, path, make_dialogue):
    make_dialogue("oppen")
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"] == "public, max-age=5"
    assert "Set-Cookie" not in response.headers


def test_errors_carry_cors_too(client, ctx, db):
    response = client.get("/api/v1/dialogues/finns-inte")
    assert response.status_code == 404
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_a_response_that_sets_a_session_cookie_is_never_publicly_cached(client, ctx, db):
    response = client.get("/api/v1/dialogues?lang=en")  # the language choice is remembered
    assert response.status_code == 200
    assert "Set-Cookie" in response.headers
    assert response.headers["Cache-Control"] == "private, no-store"


def test_the_api_takes_no_posts_and_needs_no_csrf_token(client, ctx, db):
    response = client.post("/api/v1/dialogues")
    assert response.status_code == 405  # not 400 for a missing CSRF token
    assert response.get_json()["error"]["status"] == 405


# The OpenAPI document


def test_the_openapi_document_describes_both_endpoints(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.get_data(as_text=True))
    assert document["openapi"] == "3.1.0"
    assert {"/dialogues", "/dialogues/{slug}"} <= set(document["paths"])
    schemas = document["components"]["schemas"]
    assert {"Dialogue", "DialogueDetail", "Phase", "Page", "Error"} <= set(schemas)

    listing = document["paths"]["/dialogues"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"page", "per_page"}
    per_page = next(p for p in listing["parameters"] if p["name"] == "per_page")
    assert per_page["schema"]["maximum"] == 100
    assert {"200", "400"} <= set(listing["responses"])
    detail = document["paths"]["/dialogues/{slug}"]["get"]
    assert {"200", "404"} <= set(detail["responses"])
    error = {"$ref": "#/components/schemas/Error"}
    assert listing["responses"]["400"]["content"]["application/json"]["schema"] == error
    assert detail["responses"]["404"]["content"]["application/json"]["schema"] == error
    assert set(schemas["Error"]["properties"]["error"]["required"]) == {
        "status",
        "title",
        "reason",
    }
    assert {"background", "vote_mode", "votes_per_participant", "phases"} <= set(
        schemas["DialogueDetail"]["allOf"][1]["properties"]
    )
    assert set(schemas["Phase"]["properties"]) >= {
        "id",
        "kind",
        "title",
        "description",
        "starts_at",
        "ends_at",
        "capabilities",
    }


@pytest.mark.skipif(validate_openapi is None, reason="openapi-spec-validator is not installed")
def test_the_openapi_document_is_structurally_valid(client):
    validate_openapi(client.get("/api/v1/openapi.json").get_json())


def test_responses_match_the_documented_schemas(client, ctx, db, make_dialogue):
    """Every field the API answers with is documented, and every required one is there."""
    make_dialogue("stadskarna", phases=THREE_PHASES)
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]

    def documented(name):
        schema = schemas[name]
        parts = schema.get("allOf", [schema])
        properties, required = {}, set()
        for part in parts:
            if "$ref" in part:
                inner_properties, inner_required = documented(part["$ref"].rsplit("/", 1)[1])
                properties.update(inner_properties)
                required |= inner_required
            else:
                properties.update(part.get("properties", {}))
                required |= set(part.get("required", []))
        return properties, required

    page = client.get("/api/v1/dialogues").get_json()
    detail = client.get("/api/v1/dialogues/stadskarna").get_json()
    error = client.get("/api/v1/dialogues?per_page=0").get_json()
    for name, value in (
        ("Page", page),
        ("Dialogue", page["items"][0]),
        ("DialogueDetail", detail),
        ("Phase", detail["phases"][0]),
        ("Phase", page["items"][0]["current_phase"]),
        ("Error", error),
    ):
        properties, required = documented(name)
        assert set(value) <= set(properties), (name, set(value) - set(properties))
        assert required <= set(value), (name, required - set(value))
