"""Swedish full-text search and the similar-proposals step, on both databases."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from dialog.core.db import utcnow
from dialog.dialogues import schedule
from dialog.dialogues.models import PhaseKind, VoteMode
from dialog.proposals import queries, services
from dialog.proposals.models import Proposal, ProposalFollow, Vote, VoteValue
from tests.support import csrf_token, post_form

PROPOSING = (("proposals", -1, 24),)
TEXTS = {
    "Parkerna behöver fler träd": "Plantera lindar i parkerna runt centrum.",
    "Säkra cykelbanor till stationen": "Breda cykelbanor skilda från bilarna.",
    "Belysning på Marenplan": "Varmt ljus längs kajen.",
    "Torghandel på lördagar": "Lokala bönder säljer grönsaker.",
}


@pytest.fixture
def dialogue(ctx, db, make_dialogue, make_proposal):
    dialogue = make_dialogue(phases=PROPOSING)
    for title, body in TEXTS.items():
        make_proposal(dialogue, title=title, body=body)
    return dialogue


def _titles(db, dialogue, words):
    page = queries.proposals_page(dialogue, queries.Filters(text=words), 1)
    return sorted(p.title for p in page.items)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("parken", ["Parkerna behöver fler träd"]),
        ("cykelbana", ["Säkra cykelbanor till stationen"]),
        ("CYKELBANOR stationen", ["Säkra cykelbanor till stationen"]),
        ("belysningen", ["Belysning på Marenplan"]),
        ("träd och cykelbana", []),  # every word must match; "och" is a stop word
        ("och", []),
        ("tunnelbana", []),
    ],
)
def test_swedish_search_finds_other_forms_of_a_word(db, dialogue, query, expected):
    assert _titles(db, dialogue, query) == expected


def test_edited_proposals_are_found_by_their_new_words(ctx, db, dialogue):
    proposal = db.session.scalar(select(Proposal).where(Proposal.title.like("Torg%")))
    services.update_proposal(proposal, by=None, title="Bondemarknad", body="Ost och bröd")
    db.session.commit()
    assert _titles(db, dialogue, "bönder") == []
    assert _titles(db, dialogue, "bröden") == ["Bondemarknad"]


def test_the_list_page_searches(client, db, dialogue):
    page = client.get("/d/stadskarna/proposals?q=parken").get_data(as_text=True)
    assert "Parkerna behöver fler träd" in page and "Torghandel" not in page


def test_similar_proposals_are_ranked_and_limited(ctx, db, dialogue):
    for n in range(6):
        services.create_proposal(dialogue, author=None, title=f"Träd i parken {n}", body="Lind")
    db.session.commit()
    similar = queries.similar(dialogue, "Fler träd i parkerna")
    assert len(similar) == 5 and all("Träd" in p.title or "träd" in p.title for p in similar)
    assert queries.similar(dialogue, "och att") == []


def test_submitting_goes_through_the_similar_proposals_step(client, db, dialogue, resident, login):
    login(resident)
    data = {"title": "Fler träd i parken", "body": "Gärna ekar.", "dimensions": ["ecological"]}
    step = post_form(client, "/d/stadskarna/proposals/new", data)
    page = step.get_data(as_text=True)
    assert step.status_code == 200 and "Parkerna behöver fler träd" in page
    assert db.session.scalar(select(Proposal).where(Proposal.title == data["title"])) is None
    back = post_form(client, "/d/stadskarna/proposals/new", {**data, "edit": "1"})
    assert 'value="Fler träd i parken"' in back.get_data(as_text=True)
    done = post_form(client, "/d/stadskarna/proposals/new", {**data, "confirmed": "1"})
    assert done.status_code == 302
    created = db.session.scalar(select(Proposal).where(Proposal.title == data["title"]))
    assert created.dimensions == ["ecological"]


def test_a_proposal_with_nothing_similar_is_published_at_once(
    client, db, dialogue, resident, login
):
    login(resident)
    response = post_form(
        client,
        "/d/stadskarna/proposals/new",
        {"title": "Konstgräsplan i Hovsjö", "body": "För fotboll."},
    )
    assert response.status_code == 302


def test_the_similar_step_lets_people_follow_a_proposal_instead(
    client, db, dialogue, resident, login
):
    login(resident)
    data = {"title": "Fler träd i parken", "body": "Gärna ekar."}
    page = post_form(client, "/d/stadskarna/proposals/new", data).get_data(as_text=True)
    existing = db.session.scalar(select(Proposal).where(Proposal.title.like("Parkerna%")))
    assert (
        f'action="/p/{existing.id}/follow"' in page and "Följ det här förslaget i stället" in page
    )
    assert "/vote" not in page  # voting has not opened
    response = post_form(client, f"/p/{existing.id}/follow", {}, form_path=f"/p/{existing.id}")
    assert response.status_code == 302
    followers = db.session.scalars(
        select(ProposalFollow.user_id).where(ProposalFollow.proposal_id == existing.id)
    ).all()
    assert followers == [resident.id]
    assert db.session.scalar(select(Proposal).where(Proposal.title == data["title"])) is None


def test_while_voting_is_open_the_similar_step_offers_a_vote_instead(
    client, ctx, db, resident, login, make_dialogue
):
    dialogue = make_dialogue("medan-rostning")
    schedule.add_phase(
        dialogue,
        schedule.PhasePlan(
            kind=PhaseKind.proposals,
            title="Förslag och röster",
            starts_at=utcnow() - timedelta(hours=1),
            ends_at=utcnow() + timedelta(hours=1),
            capability_overrides={"vote": True},
        ),
        by=None,
    )
    existing = services.create_proposal(
        dialogue, author=None, title="Parkerna behöver fler träd", body="Ekar."
    )
    db.session.commit()
    login(resident)
    data = {"title": "Fler träd i parken", "body": "Gärna ekar."}
    page = post_form(client, "/d/medan-rostning/proposals/new", data).get_data(as_text=True)
    assert f'action="/p/{existing.id}/vote"' in page
    assert "Rösta för det här förslaget i stället" in page
    token = csrf_token(client, f"/p/{existing.id}")
    client.post(f"/p/{existing.id}/vote", data={"csrf_token": token, "value": "for"})
    assert db.session.scalar(select(Vote.proposal_id).where(Vote.user_id == resident.id)) == (
        existing.id
    )
    # Asked again, the step tells the vote already cast rather than offering it twice.
    again = post_form(client, "/d/medan-rostning/proposals/new", data).get_data(as_text=True)
    assert "Du röstade: För" in again
    assert f'action="/p/{existing.id}/vote"' not in again


def test_in_a_dialogue_of_support_votes_the_similar_step_offers_support(
    client, ctx, db, resident, login, make_dialogue, make_proposal
):
    dialogue = make_dialogue(
        "stod",
        phases=(("proposals", -1, 24, {"capability_overrides": {"vote": True}}),),
        vote_mode=VoteMode.support,
    )
    existing = make_proposal(dialogue, title="Parkerna behöver fler träd", body="Ekar.")
    login(resident)
    data = {"title": "Fler träd i parken", "body": "Gärna ekar."}
    page = post_form(client, "/d/stod/proposals/new", data).get_data(as_text=True)
    assert "Stöd det här förslaget i stället" in page
    assert 'name="value" value="support"' in page and 'value="for"' not in page
    token = csrf_token(client, f"/p/{existing.id}")
    client.post(f"/p/{existing.id}/vote", data={"csrf_token": token, "value": "support"})
    assert db.session.scalar(select(Vote.value).where(Vote.user_id == resident.id)) == (
        VoteValue.support
    )


def test_the_similar_step_costs_the_same_statements_for_one_or_five_matches(
    client, db, resident, login, make_dialogue, make_proposal, count_queries
):
    for slug, matches in (("en", 1), ("fem", 5)):
        dialogue = make_dialogue(
            slug,
            phases=(("proposals", -1, 24, {"capability_overrides": {"vote": True}}),),
            votes_per_participant=3,
        )
        for n in range(matches):
            make_proposal(dialogue, title=f"Träd vid kanalen {n}", body="Ekar.")
    login(resident)
    data = {"title": "Träd i parken", "body": "Ekar."}

    def similar_step(slug: str) -> int:
        token = csrf_token(client, f"/d/{slug}/proposals/new")
        with count_queries() as counted:
            page = client.post(f"/d/{slug}/proposals/new", data={"csrf_token": token, **data})
        assert "Rösta för det här förslaget i stället" in page.get_data(as_text=True)
        return counted.count

    assert similar_step("en") == similar_step("fem")
