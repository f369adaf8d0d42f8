import re

import pytest
from sqlalchemy import select

from dialog.accounts.models import User
from dialog.dialogues.models import Dialogue, VoteMode
from dialog.proposals import services
from dialog.proposals.models import (
    AnswerStatus,
    Proposal,
    ProposalFollow,
    ProposalState,
    Stance,
    Vote,
)
from tests.support import post_form

PROPOSING = (("proposals", -1, 24), ("voting", 24, 48))
VOTING = (("proposals", -48, -1), ("voting", -1, 24))


def test_a_resident_makes_a_proposal_with_a_reference_code(
    client, ctx, db, resident, login, make_dialogue
):
    make_dialogue(
        phases=PROPOSING,
        themes=["Stadslivet"],
        focus_areas=["Trygghet"],
        reference_prefix="STK",
        named_places=["Marenplan", "Torget"],
    )
    login(resident)
    response = post_form(
        client,
        "/d/stadskarna/proposals/new",
        {
            "title": "Belysning på Marenplan",
            "body": "Varmare ljus **på vintern**.",
            "theme": "Stadslivet",
            "focus_area": "Trygghet",
            "dimensions": ["social", "ecological"],
            "place_name": "Marenplan",
            "place_lat": "59.1955",
            "place_lon": "17.6253",
        },
    )
    assert response.status_code == 302
    proposal = db.session.scalar(select(Proposal))
    assert proposal.reference == "STK-0001" and proposal.author_id == resident.id
    assert proposal.dimensions == ["social", "ecological"]
    assert db.session.scalar(
        select(ProposalFollow).where(
            ProposalFollow.proposal_id == proposal.id, ProposalFollow.user_id == resident.id
        )
    )
    page = client.get(response.location).get_data(as_text=True)
    assert "STK-0001" in page and "<strong>på vintern</strong>" in page


@pytest.mark.parametrize("who", ["anonymous", "unverified", "outside_phase"])
def test_proposals_are_refused_with_a_reason(client, ctx, db, make_user, login, who, make_dialogue):
    make_dialogue(phases=VOTING if who == "outside_phase" else PROPOSING)
    if who == "unverified":
        login(make_user(verified=False))
    elif who == "outside_phase":
        login(make_user())
    response = client.get("/d/stadskarna/proposals/new")
    if who == "anonymous":
        assert response.status_code == 302 and "/login" in response.location
    else:
        assert response.status_code == 403
        reason = (
            "Bekräfta din e-postadress"
            if who == "unverified"
            else "Det går inte att lämna förslag nu."
        )
        assert reason in response.get_data(as_text=True)
    assert db.session.scalar(select(Proposal)) is None


def test_the_form_explains_too_long_input_and_keeps_it(
    client, ctx, db, resident, login, make_dialogue
):
    make_dialogue(phases=PROPOSING)
    login(resident)
    response = post_form(
        client, "/d/stadskarna/proposals/new", {"title": "x" * 151, "body": "y" * 5001}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "högst 150 tecken" in page and "högst 5" in page
    assert "x" * 151 in page


def test_xss_in_every_text_field_is_shown_as_text(
    client, ctx, db, resident, login, make_dialogue, make_proposal
):
    dialogue = make_dialogue(phases=PROPOSING)
    payload = '<script>alert("x")</script>'
    proposal = make_proposal(dialogue, resident, title=payload, body=payload, place_name=payload)
    for path in (f"/p/{proposal.id}", "/d/stadskarna/proposals"):
        page = client.get(path).get_data(as_text=True)
        assert payload not in page and "&lt;script&gt;" in page
    services.withdraw_proposal(proposal, by=None, reason=payload)
    db.session.commit()
    page = client.get(f"/p/{proposal.id}").get_data(as_text=True)
    assert payload not in page and page.count("&lt;script&gt;") >= 2


def test_xss_in_dialogue_choices_search_and_the_similar_and_map_pages_is_text(
    client, ctx, db, resident, login, make_dialogue, make_proposal
):
    payload = '<script>alert("x")</script>'
    dialogue = make_dialogue(
        phases=PROPOSING, themes=[payload], focus_areas=[payload], named_places=[payload]
    )
    make_proposal(
        dialogue,
        resident,
        title=f"Parkerna {payload}",
        body=f"Träd {payload}",
        theme=payload,
        place_name=payload,
        place_lat=59.19,
        place_lon=17.62,
    )
    login(resident)
    pages = [
        client.get(f"/d/stadskarna/proposals?q={payload}").get_data(as_text=True),
        client.get("/d/stadskarna/proposals").get_data(as_text=True),
        client.get("/d/stadskarna/proposals/map").get_data(as_text=True),
        client.get("/d/stadskarna/proposals/new").get_data(as_text=True),
        post_form(
            client,
            "/d/stadskarna/proposals/new",
            {"title": f"Parkerna {payload}", "body": payload, "theme": payload},
        ).get_data(as_text=True),
    ]
    assert "Andra har föreslagit något liknande" in pages[-1]  # the similar step
    for page in pages:
        assert payload not in page
        assert "&lt;script&gt;" in page or "\\u003cscript\\u003e" in page


def test_voting_from_the_page_counts_changes_and_withdraws(
    client, ctx, db, resident, login, make_dialogue, make_proposal
):
    dialogue = make_dialogue(phases=VOTING)
    proposal = make_proposal(dialogue)
    login(resident)
    path = f"/p/{proposal.id}"
    post_form(client, f"{path}/vote", {"value": "for"}, form_path=path)
    post_form(client, f"{path}/vote", {"value": "against"}, form_path=path)
    page = client.get(path).get_data(as_text=True)
    assert "För 0 · Emot 1 · Avstår 0" in page and "Du röstade: Emot" in page
    post_form(client, f"{path}/unvote", {}, form_path=path)
    assert db.session.scalar(select(Vote)) is None
    assert "För 0 · Emot 0" in client.get(path).get_data(as_text=True)


def test_the_vote_limit_is_explained_before_the_click(
    client, ctx, db, resident, login, make_dialogue, make_proposal
):
    dialogue = make_dialogue(phases=VOTING, votes_per_participant=3)
    proposals = [make_proposal(dialogue, title=f"Förslag {n}") for n in range(4)]
    login(resident)
    for proposal in proposals[:3]:
        post_form(client, f"/p/{proposal.id}/vote", {"value": "for"}, form_path=f"/p/{proposal.id}")
    last = f"/p/{proposals[3].id}"
    page = client.get(last).get_data(as_text=True)
    assert "Du har använt dina 3 röster" in page
    assert f'action="{last}/vote"' not in page  # no buttons that could only be refused
    # A proposal already voted on can still change its vote: that uses no new one.
    voted = client.get(f"/p/{proposals[0].id}").get_data(as_text=True)
    assert f'action="/p/{proposals[0].id}/vote"' in voted and 'aria-pressed="true"' in voted
    response = post_form(
        client, f"{last}/vote", {"value": "for"}, form_path=f"/p/{proposals[0].id}"
    )
    assert response.status_code == 403
    assert "Du har använt dina 3 röster" in response.get_data(as_text=True)
    assert len(db.session.scalars(select(Vote)).all()) == 3


def test_the_vote_buttons_are_the_dialogues_values_and_show_the_chosen_one(
    client, ctx, db, resident, login, make_dialogue, make_proposal
):
    for_against = make_dialogue(phases=VOTING)
    support = make_dialogue(slug="stod", phases=VOTING, vote_mode=VoteMode.support)
    first, second = make_proposal(for_against), make_proposal(support)
    login(resident)
    page = client.get(f"/p/{first.id}").get_data(as_text=True)
    assert _button_values(page) == {"for": "false", "against": "false", "abstain": "false"}
    post_form(client, f"/p/{first.id}/vote", {"value": "against"}, form_path=f"/p/{first.id}")
    page = client.get(f"/p/{first.id}").get_data(as_text=True)
    assert _button_values(page) == {"for": "false", "against": "true", "abstain": "false"}
    assert _button_values(client.get(f"/p/{second.id}").get_data(as_text=True)) == {
        "support": "false"
    }


def _button_values(page: str) -> dict[str, str]:
    return dict(
        (value, pressed)
        for value, pressed in re.findall(
            r'<button type="submit" name="value" value="(\w+)" aria-pressed="(\w+)"', page
        )
    )


def test_votes_are_refused_outside_the_voting_phase(
    client, ctx, db, resident, login, make_dialogue, make_proposal
):
    dialogue = make_dialogue(phases=PROPOSING)
    proposal = make_proposal(dialogue)
    login(resident)
    response = post_form(
        client, f"/p/{proposal.id}/vote", {"value": "for"}, form_path=f"/p/{proposal.id}"
    )
    assert response.status_code == 403
    assert "Röstningen öppnar" in response.get_data(as_text=True)


def test_the_author_edits_until_the_first_vote_and_withdraws_with_a_reason(
    client, ctx, db, resident, make_user, login, make_dialogue, make_proposal
):
    dialogue = make_dialogue(phases=PROPOSING)
    proposal = make_proposal(dialogue, resident)
    other = make_user()
    login(other)
    assert client.get(f"/p/{proposal.id}/edit").status_code == 403
    post_form(client, "/logout", {}, form_path="/profile")
    login(resident)
    edited = post_form(client, f"/p/{proposal.id}/edit", {"title": "Nya bänkar", "body": "B"})
    assert edited.status_code == 302
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).title == "Nya bänkar"
    db.session.get(Proposal, proposal.id).votes_for = 1
    db.session.commit()
    assert client.get(f"/p/{proposal.id}/edit").status_code == 403
    no_reason = post_form(client, f"/p/{proposal.id}/withdraw", {"reason": ""})
    assert no_reason.status_code == 200
    post_form(client, f"/p/{proposal.id}/withdraw", {"reason": "Dubblett av STK-0002"})
    db.session.expire_all()
    withdrawn = db.session.get(Proposal, proposal.id)
    assert withdrawn.state is ProposalState.withdrawn
    assert "Dubblett av STK-0002" in client.get(f"/p/{proposal.id}").get_data(as_text=True)


def test_listing_filters_and_sorts(client, ctx, db, make_dialogue, make_proposal):
    dialogue = make_dialogue(phases=PROPOSING, themes=["Stadslivet", "Grönska"])
    popular = make_proposal(dialogue, title="Populär", theme="Stadslivet", dimensions=["social"])
    divided = make_proposal(dialogue, title="Delad", theme="Grönska", dimensions=["ecological"])
    quiet = make_proposal(dialogue, title="Stilla", theme="Grönska")
    popular.votes_for, popular.votes_against = 30, 2
    divided.votes_for, divided.votes_against = 6, 6
    quiet.comment_count = 9
    db.session.commit()

    def titles(query):
        page = client.get(f"/d/stadskarna/proposals?{query}").get_data(as_text=True)
        return [t for t in ("Populär", "Delad", "Stilla") if t in page and page.index(t) >= 0], page

    def order(query):
        page = client.get(f"/d/stadskarna/proposals?{query}").get_data(as_text=True)
        found = [t for t in ("Populär", "Delad", "Stilla") if t in page]
        return sorted(found, key=page.index)

    assert order("theme=Grönska") == ["Stilla", "Delad"]
    assert order("dimension=ecological") == ["Delad"]
    assert order("sort=support")[0] == "Populär"
    assert order("sort=divided")[0] == "Delad"
    assert order("sort=discussed")[0] == "Stilla"
    assert order("sort=newest") == ["Stilla", "Delad", "Populär"]
    first, again = order("sort=random"), order("sort=random")
    assert first == again  # stable for one visitor
    assert titles("sort=nonsense")[1]


def test_random_is_the_default_order_while_voting(client, ctx, db, make_dialogue):
    make_dialogue(phases=VOTING)
    page = client.get("/d/stadskarna/proposals").get_data(as_text=True)
    assert '<option value="random" selected>' in page


@pytest.mark.parametrize(
    "path", ["/d/stadskarna/proposals", "/d/stadskarna/proposals?sort=random", "proposal"]
)
def test_list_and_proposal_pages_cost_a_fixed_number_of_queries(
    client, ctx, db, resident, login, count_queries, path, make_dialogue, make_proposal
):
    dialogue = make_dialogue(phases=VOTING)
    login(resident)
    proposals = [make_proposal(dialogue, resident, title=f"Förslag {n}") for n in range(5)]
    target = f"/p/{proposals[0].id}" if path == "proposal" else path
    with count_queries() as few:
        assert client.get(target).status_code == 200
    for n in range(495):
        services.create_proposal(
            db.session.get(Dialogue, dialogue.id),
            author=db.session.get(User, resident.id),
            title=f"Fler {n}",
            body="Text",
        )
    db.session.commit()
    with count_queries() as many:
        assert client.get(target).status_code == 200
    assert few.count == many.count


def test_a_planner_records_input_received_another_way(
    client, ctx, db, make_user, login, make_dialogue
):
    from dialog.core.models import AuditEntry
    from dialog.dialogues import services as dialogue_services
    from dialog.proposals.models import Source

    dialogue = make_dialogue(phases=VOTING)
    planner = make_user(role="planner")
    dialogue_services.assign_planner(dialogue, db.session.get(User, planner.id), by=None)
    db.session.commit()
    resident = make_user()
    login(resident)
    assert client.get("/d/stadskarna/proposals/enter").status_code == 403
    post_form(client, "/logout", {}, form_path="/profile")
    login(planner)
    response = post_form(
        client,
        "/d/stadskarna/proposals/enter",
        {
            "source": "letter",
            "received_on": "2026-11-30",
            "title": "Brev om parkering",
            "body": "Från Ingrid.",
        },
    )
    assert response.status_code == 302
    proposal = db.session.scalar(select(Proposal))
    assert (proposal.source, proposal.author_id, proposal.entered_by_id) == (
        Source.letter,
        None,
        planner.id,
    )
    assert "(Brev)" in client.get(f"/p/{proposal.id}").get_data(as_text=True)
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "proposal_entered"))
    bad = post_form(
        client, "/d/stadskarna/proposals/enter", {"source": "online", "title": "X", "body": "Y"}
    )
    assert bad.status_code == 200


def test_listing_filters_by_answer_status_and_place(
    client, ctx, db, make_user, make_dialogue, make_proposal
):
    dialogue = make_dialogue(phases=PROPOSING)
    planner = db.session.get(User, make_user(role="planner").id)
    answered = make_proposal(dialogue, title="Besvarad", place_name="Marenplan")
    make_proposal(dialogue, title="Obesvarad", place_name="Torget")
    drafted = make_proposal(dialogue, title="Utkastsvar")
    services.save_answer(
        answered, status=AnswerStatus.accepted, body="Ja", publish=True, by=planner
    )
    services.save_answer(
        drafted, status=AnswerStatus.rejected, body="Nej", publish=False, by=planner
    )
    db.session.commit()

    def shown(query):
        page = client.get(f"/d/stadskarna/proposals?{query}").get_data(as_text=True)
        return {t for t in ("Besvarad", "Obesvarad", "Utkastsvar") if f">{t}</a>" in page}

    assert shown("status=accepted") == {"Besvarad"}
    assert shown("status=rejected") == set()  # a draft answer is not an answer yet
    assert shown("status=unanswered") == {"Obesvarad", "Utkastsvar"}
    assert shown("place=Torget") == {"Obesvarad"}
    assert shown("dimension=%25") == {"Besvarad", "Obesvarad", "Utkastsvar"}  # ignored
    api = client.get("/api/v1/dialogues/stadskarna/proposals?status=accepted").get_json()
    assert [p["title"] for p in api["items"]] == ["Besvarad"]


def test_net_agreement_and_divided_orders_follow_their_formulas(
    client, ctx, db, make_dialogue, make_proposal
):
    dialogue = make_dialogue(phases=PROPOSING)
    rows = {  # title: (for, against, abstain)
        "Enig": (8, 0, 2),  # net 0.8
        "Mest för": (30, 10, 0),  # net 0.5
        "Emot": (1, 9, 0),  # net -0.8
        "Delad jämnt": (6, 6, 0),  # divided 1.0, 12 votes
        "Delad lite": (9, 5, 0),  # divided ~0.71, 14 votes
        "För få": (2, 2, 0),  # divided 1.0 but under 10 votes
    }
    for title, (yes, no, abstain) in rows.items():
        proposal = make_proposal(dialogue, title=title)
        proposal.votes_for, proposal.votes_against, proposal.votes_abstain = yes, no, abstain
    db.session.commit()

    def order(sort):
        page = client.get(f"/d/stadskarna/proposals?sort={sort}").get_data(as_text=True)
        return sorted(
            (t for t in rows if f">{t}</a>" in page), key=lambda t: page.index(f">{t}</a>")
        )

    agreement = order("agreement")
    assert agreement.index("Enig") < agreement.index("Mest för") < agreement.index("Emot")
    divided = order("divided")
    assert divided[:2] == ["Delad jämnt", "Delad lite"]
    assert divided.index("För få") > divided.index("Delad lite")


def test_the_first_comment_ends_editing(
    client, ctx, db, resident, make_user, login, make_dialogue, make_proposal
):
    dialogue = make_dialogue(phases=PROPOSING)
    proposal = make_proposal(dialogue, resident)
    services.add_comment(
        proposal, author=db.session.get(User, make_user().id), body="Hm", stance=Stance.neutral
    )
    db.session.commit()
    login(resident)
    response = client.get(f"/p/{proposal.id}/edit")
    assert response.status_code == 403
    assert "kan inte längre ändras" in response.get_data(as_text=True)


def test_places_come_from_the_dialogues_list(client, ctx, db, resident, login, make_dialogue):
    make_dialogue(phases=PROPOSING, named_places=["Marenplan"])
    login(resident)
    page = client.get("/d/stadskarna/proposals/new").get_data(as_text=True)
    assert '<option value="Marenplan">Marenplan</option>' in page
    refused = post_form(
        client,
        "/d/stadskarna/proposals/new",
        {"title": "Okänd plats", "body": "B", "place_name": "Atlantis"},
    )
    assert refused.status_code == 200
    assert db.session.scalar(select(Proposal)) is None
