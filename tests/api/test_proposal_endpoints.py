"""The open-data API for proposals: what a proposal shows, the documented sorts, paging
and the filters of a dialogue's proposal list."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from dialog.accounts.models import User
from dialog.core.db import utcnow
from dialog.dialogues.models import DialogueState, Visibility, VoteMode
from dialog.proposals import services
from dialog.proposals.models import AnswerStatus, Proposal, Stance, VoteValue
from tests.factories import LIVE

VOTING = (("proposals", -48, -1), ("voting", -1, 24))
LIST = "/api/v1/dialogues/stadskarna/proposals"


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _titles(client, query=""):
    body = client.get(f"{LIST}?{query}").get_json()
    return [item["title"] for item in body["items"]]


# One proposal --------------------------------------------------------------------------


def test_a_draft_answer_is_not_shown_and_a_published_one_is(
    client, ctx, db, make_user, make_dialogue, make_proposal
):
    dialogue = make_dialogue(phases=LIVE)
    proposal = make_proposal(dialogue)
    planner = db.session.get(User, make_user(role="planner").id)
    path = f"/api/v1/proposals/{proposal.id}"
    assert client.get(path).get_json()["answer"] is None

    services.save_answer(
        proposal, status=AnswerStatus.under_review, body="Vi utreder.", publish=False, by=planner
    )
    db.session.commit()
    draft = client.get(path)
    assert draft.get_json()["answer"] is None
    assert "Vi utreder." not in draft.get_data(as_text=True)
    assert "under_review" not in draft.get_data(as_text=True)

    services.save_answer(
        proposal,
        status=AnswerStatus.accepted,
        body="Bänkarna kommer i maj.",
        publish=True,
        by=planner,
    )
    db.session.commit()
    answer = client.get(path).get_json()["answer"]
    assert answer["status"] == "accepted" and answer["body"] == "Bänkarna kommer i maj."
    assert answer["published_at"].endswith("+00:00")


def test_a_drafted_change_to_a_published_answer_waits_until_it_is_published(
    client, ctx, db, make_user, make_dialogue, make_proposal
):
    dialogue = make_dialogue(phases=LIVE)
    proposal = make_proposal(dialogue)
    planner = db.session.get(User, make_user(role="planner").id)
    path = f"/api/v1/proposals/{proposal.id}"
    services.save_answer(
        proposal, status=AnswerStatus.accepted, body="Kommer i maj.", publish=True, by=planner
    )
    services.save_answer(
        proposal, status=AnswerStatus.implemented, body="Nu på plats.", publish=False, by=planner
    )
    db.session.commit()
    response = client.get(path)
    answer = response.get_json()["answer"]
    assert (answer["status"], answer["body"]) == ("accepted", "Kommer i maj.")
    assert "Nu på plats." not in response.get_data(as_text=True)
    assert _titles(client, "status=implemented") == []
    assert _titles(client, "status=accepted") == ["Bänkar vid kanalen"]

    services.save_answer(
        proposal, status=AnswerStatus.implemented, body="Nu på plats.", publish=True, by=planner
    )
    db.session.commit()
    answer = client.get(path).get_json()["answer"]
    assert (answer["status"], answer["body"]) == ("implemented", "Nu på plats.")
    assert _titles(client, "status=implemented") == ["Bänkar vid kanalen"]


def test_a_deleted_comment_is_a_placeholder_without_text_or_author(
    client, ctx, db, make_user, make_comment, make_dialogue, make_proposal
):
    dialogue = make_dialogue(phases=LIVE)
    proposal = make_proposal(dialogue)
    writer = make_user(display_name="Greta Skribent", show_name_publicly=True)
    kept = make_comment(proposal, make_user(), "Det här står kvar", stance=Stance.neutral)
    gone = make_comment(proposal, writer, "Hemlig åsikt om bänkarna", stance=Stance.neutral)
    reply = make_comment(proposal, make_user(), "Ett svar", stance=Stance.neutral, parent=gone)
    services.delete_comment(gone, by=db.session.get(User, writer.id))
    db.session.commit()

    response = client.get(f"/api/v1/proposals/{proposal.id}")
    comments = {c["id"]: c for c in response.get_json()["comments"]}
    assert list(comments) == [kept.id, gone.id, reply.id]
    placeholder = comments[gone.id]
    assert placeholder["deleted"] is True
    assert placeholder["body"] is None and placeholder["author"] is None
    assert placeholder["depth"] == 1 and placeholder["parent_id"] is None
    assert comments[reply.id]["parent_id"] == gone.id  # the reply keeps its place
    assert comments[kept.id]["deleted"] is False
    assert comments[kept.id]["body"] == "Det här står kvar"
    text = response.get_data(as_text=True)
    assert "Hemlig åsikt" not in text and "Greta Skribent" not in text


@pytest.mark.parametrize(
    "hidden",
    [{"visibility": Visibility.invited}, {"state": DialogueState.draft}],
    ids=["invite_only", "draft"],
)
def test_proposals_of_hidden_dialogues_are_404(
    client, ctx, db, hidden, make_dialogue, make_proposal
):
    shown = make_proposal(make_dialogue("oppen", phases=LIVE), title="Synligt förslag")
    secret = make_proposal(make_dialogue(phases=LIVE, **hidden), title="Dolt förslag")
    assert client.get(f"/api/v1/proposals/{shown.id}").status_code == 200
    for path in (f"/api/v1/proposals/{secret.id}", LIST):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.get_json()["error"]["status"] == 404
        assert "Dolt förslag" not in response.get_data(as_text=True)


# Sorting -------------------------------------------------------------------------------

# title: (for, against, abstain, comments)
TALLIES = {
    "Delad": (6, 6, 0, 1),  # divided 1.0 over 12 votes, net 0
    "Populär": (9, 1, 0, 0),  # most support, net 0.8, divided 0.2 over 10 votes
    "Enig": (3, 0, 2, 2),  # net 0.6: abstentions count; few votes
    "Emot": (1, 4, 0, 3),  # net -0.6; divided 0.4 but under ten votes
    "Blandad": (5, 3, 2, 5),  # net 0.2, divided 0.75 over 10 votes, most discussed
    "Tyst": (0, 0, 0, 4),  # no votes at all
}
SORTED = {
    # support: votes for (and support votes), most first
    "support": ["Populär", "Delad", "Blandad", "Enig", "Emot", "Tyst"],
    # agreement: (for - against) / all votes, highest first; no votes last
    "agreement": ["Populär", "Enig", "Blandad", "Delad", "Emot", "Tyst"],
    # discussed: most comments first
    "discussed": ["Blandad", "Tyst", "Emot", "Enig", "Delad", "Populär"],
    # divided: ten votes or more first, then closest to an even split, then more votes
    "divided": ["Delad", "Blandad", "Populär", "Emot", "Enig", "Tyst"],
    # newest: by when it was made (set below in an order unlike the ids)
    "newest": ["Emot", "Tyst", "Populär", "Enig", "Delad", "Blandad"],
}


@pytest.fixture
def voted(ctx, db, make_user, cast_vote, make_comment, make_dialogue, make_proposal):
    """Six proposals with real votes cast in the voting phase, and real comments."""
    dialogue = make_dialogue(phases=VOTING)
    voters = [make_user() for _ in range(12)]
    made = {}
    for title, (yes, no, abstain, comments) in TALLIES.items():
        proposal = make_proposal(dialogue, title=title)
        values = [VoteValue.for_] * yes + [VoteValue.against] * no + [VoteValue.abstain] * abstain
        for voter, value in zip(voters, values, strict=False):
            cast_vote(proposal, voter, value)
        for n in range(comments):
            make_comment(proposal, voters[n], f"Kommentar {n}", stance=Stance.neutral)
        made[title] = proposal
    now = utcnow()
    for age, title in enumerate(SORTED["newest"]):
        db.session.get(Proposal, made[title].id).created_at = now - timedelta(hours=age)
    db.session.commit()
    return made


def test_the_counts_are_the_votes_cast(client, voted):
    items = client.get(f"{LIST}?per_page=100").get_json()["items"]
    counts = {
        i["title"]: (
            i["counts"]["for"],
            i["counts"]["against"],
            i["counts"]["abstain"],
            i["counts"]["comments"],
        )
        for i in items
    }
    assert counts == TALLIES


@pytest.mark.parametrize("sort", list(SORTED))
def test_each_sort_orders_as_documented(client, voted, sort):
    assert _titles(client, f"sort={sort}") == SORTED[sort]


def test_newest_is_the_default_sort(client, voted):
    assert _titles(client) == SORTED["newest"]


def test_support_counts_support_votes_where_the_dialogue_uses_them(
    client, ctx, db, make_user, cast_vote, make_dialogue, make_proposal
):
    dialogue = make_dialogue(phases=VOTING, vote_mode=VoteMode.support)
    voters = [make_user() for _ in range(3)]
    for title, supporters in (("Två", 2), ("Ingen", 0), ("Tre", 3)):
        proposal = make_proposal(dialogue, title=title)
        for voter in voters[:supporters]:
            cast_vote(proposal, voter, VoteValue.support)
    items = client.get(f"{LIST}?sort=support").get_json()["items"]
    assert [(i["title"], i["counts"]["support"]) for i in items] == [
        ("Tre", 3),
        ("Två", 2),
        ("Ingen", 0),
    ]


# Paging --------------------------------------------------------------------------------


def test_pages_split_the_sorted_list_and_the_last_page_ends_it(client, voted):
    first = client.get(f"{LIST}?sort=support&per_page=4").get_json()
    assert (first["page"], first["per_page"], first["total"]) == (1, 4, 6)
    assert first["previous"] is None
    assert "sort=support" in first["next"] and "per_page=4" in first["next"]
    last = client.get(_path(first["next"])).get_json()
    assert (last["page"], last["total"], last["next"]) == (2, 6, None)
    assert "page=1" in last["previous"]
    titles = [i["title"] for i in first["items"]] + [i["title"] for i in last["items"]]
    assert titles == SORTED["support"]
    assert [len(first["items"]), len(last["items"])] == [4, 2]
    past = client.get(f"{LIST}?sort=support&per_page=4&page=3").get_json()
    assert past["items"] == [] and past["total"] == 6 and past["next"] is None


def test_a_page_of_one_walks_the_list_one_proposal_at_a_time(client, voted):
    seen, path = [], f"{LIST}?sort=agreement&per_page=1"
    while path:
        body = client.get(path).get_json()
        assert body["total"] == 6 and len(body["items"]) == 1
        seen.append(body["items"][0]["title"])
        path = _path(body["next"]) if body["next"] else None
    assert seen == SORTED["agreement"]


# Filters -------------------------------------------------------------------------------


# title: (theme, focus area, dimensions, place)
VARIED = {
    "Träd": ("Grönska", "Parker", ["ecological"], "Torget"),
    "Bänkar": ("Stadslivet", "Parker", ["social"], "Kanalen"),
    "Cykelbana": ("Stadslivet", "Trafik", ["economic", "social"], "Torget"),
}


@pytest.fixture
def varied(ctx, db, make_user, make_answer, make_dialogue, make_proposal):
    """Three proposals: Träd has a published answer, Bänkar a draft one, Cykelbana none."""
    dialogue = make_dialogue(
        phases=LIVE,
        themes=["Grönska", "Stadslivet"],
        focus_areas=["Parker", "Trafik"],
        named_places=["Torget", "Kanalen"],
    )
    made = {
        title: make_proposal(
            dialogue,
            title=title,
            theme=theme,
            focus_area=area,
            dimensions=dims,
            place_name=place,
        )
        for title, (theme, area, dims, place) in VARIED.items()
    }
    planner = make_user(role="planner")
    make_answer(made["Träd"], planner, status=AnswerStatus.accepted, body="Ja", publish=True)
    make_answer(made["Bänkar"], planner, status=AnswerStatus.rejected, body="Nej", publish=False)
    # Another dialogue's proposal that every filter would match.
    make_proposal(
        make_dialogue("annan", phases=LIVE),
        title="Annan dialog",
        theme="Stadslivet",
        focus_area="Parker",
        dimensions=["social"],
        place_name="Torget",
    )


@pytest.mark.parametrize(
    "query, shown",
    [
        ("", {"Träd", "Bänkar", "Cykelbana"}),
        ("theme=Grönska", {"Träd"}),
        ("theme=Stadslivet", {"Bänkar", "Cykelbana"}),
        ("focus_area=Parker", {"Träd", "Bänkar"}),
        ("dimension=social", {"Bänkar", "Cykelbana"}),
        ("dimension=ecological", {"Träd"}),
        ("place=Torget", {"Träd", "Cykelbana"}),
        ("status=accepted", {"Träd"}),
        ("status=rejected", set()),  # a draft answer is not an answer yet
        ("status=unanswered", {"Bänkar", "Cykelbana"}),
        ("theme=Stadslivet&place=Torget", {"Cykelbana"}),
        ("focus_area=Parker&dimension=social&status=unanswered", {"Bänkar"}),
    ],
)
def test_each_filter_narrows_the_list(client, varied, query, shown):
    body = client.get(f"{LIST}?{query}").get_json()
    assert {item["title"] for item in body["items"]} == shown
    assert body["total"] == len(shown)
