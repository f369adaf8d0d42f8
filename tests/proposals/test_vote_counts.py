"""A dialogue shows vote counts live, or only once its results are published: pages, the
cached list, the API and staff all follow the one permission."""

import io
import re

import pytest
from PIL import Image

from dialog.accounts.models import User
from dialog.core import images
from dialog.dialogues import schedule
from dialog.dialogues import services as dialogue_services
from dialog.dialogues.models import Dialogue, DialogueState, PhaseKind, Visibility, VoteCounts

VOTING_THEN_RESULT = (("proposals", -48, -2), ("voting", -2, 24), ("result", 24, None))
LIST = "/d/stadskarna/proposals?sort=newest"
COUNTS = "För 2 · Emot 0 · Avstår 0"


@pytest.fixture
def hidden(ctx, db, make_dialogue, make_proposal, make_user, cast_vote):
    def build():
        dialogue = make_dialogue(phases=VOTING_THEN_RESULT, vote_counts=VoteCounts.after_voting)
        proposal = make_proposal(dialogue, title="Bänkar")
        for _ in range(2):
            cast_vote(proposal, make_user())
        planner = make_user(role="planner")
        dialogue_services.assign_planner(
            db.session.get(Dialogue, dialogue.id), db.session.get(User, planner.id), by=None
        )
        db.session.commit()
        return dialogue, proposal, planner

    return build


def _sorts(page: str) -> set[str]:
    sort_select = page.split('name="sort"')[1].split("</select>")[0]
    return set(re.findall(r'<option value="(\w+)"', sort_select))


def test_hidden_counts_are_shown_to_nobody_but_staff_until_the_results(
    client, db, hidden, login, make_user
):
    dialogue, proposal, planner = hidden()
    anonymous_list = client.get(LIST).get_data(as_text=True)
    assert "Bänkar" in anonymous_list and COUNTS not in anonymous_list
    assert _sorts(anonymous_list) == {"newest", "discussed", "random"}
    page = client.get(f"/p/{proposal.id}").get_data(as_text=True)
    assert COUNTS not in page and "Resultatet publiceras" in page

    login(make_user())
    resident_list = client.get(LIST).get_data(as_text=True)  # fills the list's cache
    assert COUNTS not in resident_list
    assert COUNTS not in client.get(f"/p/{proposal.id}").get_data(as_text=True)
    # Asking for a sort by votes falls back to the default, which reveals nothing either.
    assert COUNTS not in client.get(f"{LIST[:-6]}support").get_data(as_text=True)

    login(planner)
    staff_list = client.get(LIST).get_data(as_text=True)
    assert COUNTS in staff_list and "support" in _sorts(staff_list)
    assert COUNTS in client.get(f"/p/{proposal.id}").get_data(as_text=True)

    login(make_user(role="admin"))
    assert COUNTS in client.get(f"/p/{proposal.id}").get_data(as_text=True)

    login(make_user())  # the staff's cached list is not served to residents
    assert COUNTS not in client.get(LIST).get_data(as_text=True)


def test_a_sort_by_votes_cannot_reveal_the_hidden_ranking(client, hidden, login, make_user):
    hidden()
    login(make_user())
    for sort in ("support", "agreement", "divided"):
        page = client.get(f"/d/stadskarna/proposals?sort={sort}").get_data(as_text=True)
        # The list falls back to the default order while voting runs: random, per visitor.
        assert 'value="random" selected' in page, sort
        assert f'value="{sort}"' not in page, sort


def test_the_open_data_document_allows_the_null_counts_it_sends(client, hidden):
    from jsonschema import validate

    _dialogue, proposal, _planner = hidden()
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    counts = client.get(f"/api/v1/proposals/{proposal.id}").get_json()["counts"]
    validate(counts, schema["Proposal"]["properties"]["counts"])


def test_the_api_keeps_the_count_keys_as_null_and_refuses_sorts_by_votes(client, hidden):
    _dialogue, proposal, _planner = hidden()
    detail = client.get(f"/api/v1/proposals/{proposal.id}").get_json()
    assert detail["counts"] == {
        "for": None,
        "against": None,
        "abstain": None,
        "support": None,
        "comments": 0,
    }
    listed = client.get("/api/v1/dialogues/stadskarna/proposals").get_json()
    assert listed["items"][0]["counts"]["for"] is None
    refused = client.get("/api/v1/dialogues/stadskarna/proposals?sort=support")
    assert refused.status_code == 400
    assert "när resultatet har publicerats" in refused.get_json()["error"]["reason"]
    assert client.get("/api/v1/dialogues/stadskarna").get_json()["vote_counts"] == "after_voting"


@pytest.mark.parametrize("when", ["result phase started", "archived"])
def test_counts_appear_once_the_results_are_published(client, db, hidden, when):
    dialogue, proposal, _ = hidden()
    dialogue = db.session.get(Dialogue, dialogue.id)
    if when == "archived":
        dialogue_services.set_state(dialogue, DialogueState.archived, by=None)
    else:
        result = next(phase for phase in dialogue.phases if phase.kind is PhaseKind.result)
        schedule.open_now(result, by=None, reason="Rösterna är räknade")
    db.session.commit()
    assert COUNTS in client.get(f"/p/{proposal.id}").get_data(as_text=True)
    assert COUNTS in client.get(LIST).get_data(as_text=True)
    assert client.get(f"/api/v1/proposals/{proposal.id}").get_json()["counts"]["for"] == 2
    assert client.get("/api/v1/dialogues/stadskarna/proposals?sort=support").status_code == 200


def test_live_counts_are_shown_while_voting_runs(
    client, ctx, db, make_dialogue, make_proposal, make_user, cast_vote
):
    dialogue = make_dialogue(phases=VOTING_THEN_RESULT)
    proposal = make_proposal(dialogue, title="Bänkar")
    for _ in range(2):
        cast_vote(proposal, make_user())
    assert COUNTS in client.get(f"/p/{proposal.id}").get_data(as_text=True)
    assert client.get(f"/api/v1/proposals/{proposal.id}").get_json()["counts"]["for"] == 2


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    "state, visibility, expected",
    [
        (DialogueState.published, Visibility.public, "public"),
        (DialogueState.draft, Visibility.public, "private"),
        (DialogueState.published, Visibility.invited, "private"),
    ],
)
def test_only_images_everyone_may_see_go_to_shared_caches(
    client, ctx, db, make_dialogue, make_proposal, make_user, login, state, visibility, expected
):
    dialogue = make_dialogue(phases=VOTING_THEN_RESULT, state=state, visibility=visibility)
    stored = images.store(_png(), "bild.png")
    db.session.commit()
    proposal = make_proposal(dialogue, image_id=stored.id)
    if expected == "public":  # what everyone may see, asked for by anyone
        with client.get(f"/p/{proposal.id}/image") as response:
            assert response.headers["Cache-Control"] == "public, max-age=300"
    login(make_user(role="admin"))
    with client.get(f"/p/{proposal.id}/image") as response:
        assert response.status_code == 200
        cache_control = response.headers["Cache-Control"]
    # Whatever the image, a response to a logged-in person is never stored.
    assert cache_control == "no-store"
