"""The open-data API: public dialogues and proposals, paginated, no personal data."""

import json
from urllib.parse import urlsplit

import pytest
from openapi_spec_validator import validate

from dialog.dialogues.models import DialogueState, Visibility
from dialog.proposals.models import AnswerStatus, Stance
from tests.factories import LIVE


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_dialogues_are_listed_with_pagination_and_open_data_headers(client, ctx, db, make_dialogue):
    for n in range(3):
        make_dialogue(f"dialog-{n}", phases=LIVE)
    first = client.get("/api/v1/dialogues?per_page=2")
    body = first.get_json()
    assert first.status_code == 200
    assert (body["page"], body["per_page"], body["total"], len(body["items"])) == (1, 2, 3, 2)
    assert body["previous"] is None and "page=2" in body["next"]
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    assert first.headers["Cache-Control"] == "public, max-age=5"
    second = client.get(_path(body["next"])).get_json()
    assert len(second["items"]) == 1 and second["next"] is None
    item = body["items"][0]
    assert item["current_phase"]["kind"] == "proposals"
    assert item["current_phase"]["capabilities"] == ["comment", "propose", "reply"]


@pytest.mark.parametrize("query", ["per_page=0", "per_page=101", "page=0", "page=x"])
def test_bad_paging_is_a_400_with_a_reason(client, query):
    response = client.get(f"/api/v1/dialogues?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]["reason"]


def test_drafts_and_invite_only_dialogues_never_appear(client, ctx, db, make_dialogue):
    make_dialogue("utkast", state=DialogueState.draft)
    make_dialogue("sluten", visibility=Visibility.invited)
    make_dialogue("oppen")
    slugs = [d["slug"] for d in client.get("/api/v1/dialogues").get_json()["items"]]
    assert slugs == ["oppen"]
    for slug in ("utkast", "sluten", "finns-inte"):
        for path in (f"/api/v1/dialogues/{slug}", f"/api/v1/dialogues/{slug}/proposals"):
            response = client.get(path)
            assert response.status_code == 404
            reason = response.get_json()["error"]["reason"]
            assert reason == "Det finns ingen offentlig dialog med den adressen."


def test_reasons_come_in_the_language_asked_for(client):
    english = client.get("/api/v1/dialogues/finns-inte", headers={"Accept-Language": "en"})
    assert english.get_json()["error"]["reason"] == "No public dialogue has that slug."
    assert "Accept-Language" in english.headers["Vary"]


def test_a_dialogue_with_its_phases_and_overridden_capabilities(client, ctx, db, make_dialogue):
    make_dialogue(
        themes=["Stadslivet"],
        phases=[
            ("voting", -1, 1, {"title": "Rösta", "capability_overrides": {"comment": True}}),
        ],
    )
    body = client.get("/api/v1/dialogues/stadskarna").get_json()
    assert body["themes"] == ["Stadslivet"] and body["vote_mode"] == "for_against"
    [phase] = body["phases"]
    assert phase["capabilities"] == ["comment", "vote"]
    assert phase["starts_at"].endswith("+00:00")
    assert body["current_phase"]["title"] == "Rösta"


@pytest.fixture
def proposal_setup(make_dialogue, make_user, make_proposal, make_comment, make_answer):
    def setup():
        dialogue = make_dialogue(phases=LIVE, reference_prefix="STK")
        author = make_user(display_name="Hemlig Person", show_name_publicly=False)
        planner = make_user(role="planner")
        proposal = make_proposal(dialogue, author, title="Träd i parken", body="Lindar")
        make_comment(proposal, author, "Bra", stance=Stance.for_)
        make_answer(proposal, planner, status=AnswerStatus.accepted, body="Ja", publish=True)
        return dialogue, proposal, author

    return setup


def test_proposals_with_counts_comments_and_answer_but_no_personal_data(
    client, ctx, db, proposal_setup
):
    _, proposal, author = proposal_setup()
    listing = client.get("/api/v1/dialogues/stadskarna/proposals?q=parken").get_json()
    [item] = listing["items"]
    assert item["reference"] == "STK-0001" and item["counts"]["comments"] == 1
    assert item["author"] == author.pseudonym  # the person chose a pseudonym
    detail = client.get(f"/api/v1/proposals/{proposal.id}").get_json()
    assert detail["answer"]["status"] == "accepted"
    assert [c["body"] for c in detail["comments"]] == ["Bra"]
    text = json.dumps(detail) + json.dumps(listing)
    for secret in (author.email, "Hemlig Person", "email", "user_id", "password"):
        assert secret not in text


def test_proposal_list_rejects_unknown_sorts(client, ctx, db, proposal_setup):
    proposal_setup()
    response = client.get("/api/v1/dialogues/stadskarna/proposals?sort=random")
    assert response.status_code == 400


def test_the_lists_cost_a_fixed_number_of_queries(
    client, ctx, db, count_queries, make_dialogue, make_proposal
):
    make_dialogue("d-0", phases=LIVE)
    dialogue = make_dialogue("d-1", phases=LIVE)
    for n in range(3):
        make_proposal(dialogue, title=f"F {n}", body="B")
    with count_queries() as few_dialogues:
        client.get("/api/v1/dialogues")
    with count_queries() as few_proposals:
        client.get("/api/v1/dialogues/d-1/proposals")
    for n in range(2, 12):
        make_dialogue(f"d-{n}", phases=LIVE)
    for n in range(40):
        make_proposal(dialogue, title=f"G {n}", body="B")
    with count_queries() as many_dialogues:
        client.get("/api/v1/dialogues")
    with count_queries() as many_proposals:
        client.get("/api/v1/dialogues/d-1/proposals")
    assert few_dialogues.count == many_dialogues.count
    assert few_proposals.count == many_proposals.count


def test_the_openapi_document_is_valid_and_describes_every_endpoint(client):
    document = client.get("/api/v1/openapi.json").get_json()
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {
        "/dialogues",
        "/dialogues/{slug}",
        "/dialogues/{slug}/report",
        "/dialogues/{slug}/proposals",
        "/proposals/{id}",
    }


def test_the_openapi_document_states_the_licence_the_terms_grant(client):
    """Whoever reuses the open data reads its licence in the API's own document; it is
    the licence the terms of use have contributors grant."""
    document = client.get("/api/v1/openapi.json").get_json()
    licence = document["info"]["license"]
    assert licence == {"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"}
    terms = client.get("/terms").get_data(as_text=True)
    assert f'href="{licence["url"]}"' in terms
