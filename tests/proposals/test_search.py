"""Swedish full-text search and the similar-proposals step, on both databases."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from dialog.core import search
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


# The search box: words as prefixes, and references -----------------------------------

# A fixed set of Swedish proposals; every query below has its exact answer, the same on
# SQLite and on PostgreSQL (the suite runs on both).
SWEDISH = {
    1: ("Fler bänkar på torget", "Sittplatser i skuggan runt fontänen."),
    2: ("Marknad på torget varje lördag", "Lokala odlare säljer grönsaker."),
    3: ("Säkra cykelplatser vid stationen", "Med tak och ramlås."),
    4: ("Vinterbelysning längs kajen", "Ljusslingor i träden när det är mörkt."),
    5: ("Bättre snöröjning av gångbanor", "Plogning före sju på vintern."),
    6: ("Ny cykelbana till skolan", "Barnen ska kunna cykla tryggt."),
    7: ("Badplats vid sjön", "En brygga för bad och en ö att simma till."),
    8: ("Träd i parken", "Lindar och ekar ger skugga."),
}


@pytest.fixture
def swedish(ctx, db, make_dialogue, make_proposal):
    """The dialogue "sok" (references STK-0001 to STK-0008), as {number: proposal id}."""
    dialogue = make_dialogue("sok", phases=PROPOSING, reference_prefix="STK")
    ids = {}
    for number, (title, body) in SWEDISH.items():
        ids[number] = make_proposal(dialogue, title=title, body=body).id
    assert [db.session.get(Proposal, ids[n]).number for n in SWEDISH] == list(SWEDISH)
    return dialogue, ids


def _found(dialogue, text: str) -> list[int]:
    """The numbers of the proposals the dialogue's list finds for the text."""
    page = queries.proposals_page(dialogue, queries.Filters(text=text), 1)
    return sorted(p.number for p in page.items)


@pytest.mark.parametrize(
    ("query", "numbers"),
    [
        ("torg", [1, 2]),  # finds "torget" although "torg" is a word of its own
        ("torget", [1, 2]),
        ("Torg", [1, 2]),
        ("cykel", [3, 6]),  # the first part of "cykelplatser" and "cykelbana"
        ("cykelplats", [3]),
        ("vinter", [4, 5]),  # "vinterbelysning", and "vintern" as a word
        ("vinterbelysningen", [4]),  # a longer form of the word finds it by its stem
        ("torg lördag", [2]),  # every word must match
        ("torg cykel", []),
        ("skug", [1, 8]),  # "skuggan", "skugga"
        ("sjö", [7]),  # "sjön"
        ("parkerna", [8]),
        ("tunnelbana", []),
        ("sittplatserna", [1]),
    ],
)
def test_the_search_box_finds_words_by_their_beginning(swedish, query, numbers):
    dialogue, _ = swedish
    assert _found(dialogue, query) == numbers


@pytest.mark.parametrize(
    ("query", "numbers"),
    [
        ("s", []),  # would otherwise find nearly every proposal
        ("sk", []),
        ("ö", [7]),  # a whole word of one letter is still found
        ("en", []),  # a stop word
        ("tor", [1, 2]),  # three letters: a prefix
    ],
)
def test_words_shorter_than_three_letters_match_whole_words_only(swedish, query, numbers):
    dialogue, _ = swedish
    assert search.MIN_PREFIX == 3
    assert _found(dialogue, query) == numbers


@pytest.mark.parametrize(
    ("query", "numbers"),
    [
        ("och det att", []),  # stop words only: nothing to search for
        ('"torg"', [1, 2]),
        ("torg*", [1, 2]),
        ("torg:*", [1, 2]),
        ("*", []),
        (":", []),
        ('"', []),
        ("&|!():*", []),
        ("torg & !cykel | (vinter)", []),  # operators are not operators: all words must match
        ("NEAR(torg cykel)", []),
        ("torg OR cykel", []),
        ("-torg ^cykel", []),
        ("torg' OR '1'='1", []),
        ("torg\\", [1, 2]),
        ("torg\x00", [1, 2]),
        ("🚲 cykel 🚲", [3, 6]),
        ("torg " + "x" * 5000, [1, 2]),  # no word: left out on both databases
        ("torg " + "x" * 100, []),
        ("torg " * 300, [1, 2]),
    ],
)
def test_junk_in_the_search_box_is_only_words(swedish, query, numbers):
    dialogue, _ = swedish
    assert _found(dialogue, query) == numbers


@pytest.mark.parametrize(
    "query",
    ['"', "*", "&|!():*", "torg:*", "x" * 5000, "%F0%9F%9A%B2", "STK-", "STK-0000"],
)
def test_junk_on_the_list_page_and_in_the_api_never_fails(client, swedish, query):
    for path in ("/d/sok/proposals?q=", "/api/v1/dialogues/sok/proposals?q="):
        response = client.get(path + query)
        assert response.status_code == 200, (path, query)


def test_nul_in_the_search_box_is_a_clear_400(client, swedish):
    for path in ("/d/sok/proposals?q=torg%00", "/api/v1/dialogues/sok/proposals?q=torg%00"):
        response = client.get(path)
        assert response.status_code == 400
        assert "NUL" in response.get_data(as_text=True)


@pytest.mark.parametrize("typed", ["STK-0003", "stk-0003", "stk-3", "STK 0003", "stk3", "STK–03"])
def test_a_reference_leads_straight_to_its_proposal(client, swedish, typed):
    _, ids = swedish
    response = client.get("/d/sok/proposals", query_string={"q": typed})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/p/{ids[3]}")


def test_a_reference_is_an_exact_hit_in_the_list_and_the_api(client, swedish):
    dialogue, _ = swedish
    assert _found(dialogue, "STK-0003") == [3]
    assert _found(dialogue, "stk 8") == [8]
    assert _found(dialogue, "STK-0099") == []
    body = client.get("/api/v1/dialogues/sok/proposals?q=stk-3").get_json()
    assert [item["reference"] for item in body["items"]] == ["STK-0003"]
    assert [item["reference"] for item in _api_items(client, "cykel")] == ["STK-0006", "STK-0003"]


def _api_items(client, query: str) -> list[dict]:
    return client.get(f"/api/v1/dialogues/sok/proposals?q={query}").get_json()["items"]


def test_an_unknown_reference_searches_without_redirecting(client, swedish):
    response = client.get("/d/sok/proposals?q=STK-0099")
    assert response.status_code == 200 and "0 förslag" in response.get_data(as_text=True)


def test_a_hidden_proposal_is_not_revealed_by_its_reference(client, db, swedish, make_user, login):
    from dialog.dialogues import services as dialogue_services
    from dialog.dialogues.models import Dialogue
    from dialog.moderation import services as moderation

    dialogue, ids = swedish
    planner = db.session.get(type(make_user()), make_user(role="planner").id)
    dialogue_services.assign_planner(db.session.get(Dialogue, dialogue.id), planner, by=planner)
    moderation.hide(db.session.get(Proposal, ids[3]), by=planner, reason="Reklam")
    db.session.commit()
    response = client.get("/d/sok/proposals?q=STK-0003")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "0 förslag" in page
    assert "Säkra cykelplatser" not in page
    assert client.get("/api/v1/dialogues/sok/proposals?q=STK-0003").get_json()["items"] == []


def test_a_pending_proposal_leads_only_its_author_to_it(
    client, ctx, db, make_dialogue, make_proposal, make_user, login
):
    author, other = make_user(), make_user()
    dialogue = make_dialogue(
        "forhand", phases=PROPOSING, reference_prefix="FHG", premoderate_proposals=True
    )
    pending = make_proposal(dialogue, author=author, title="Väntar på granskning")
    assert db.session.get(Proposal, pending.id).moderation.value == "pending"
    assert client.get("/d/forhand/proposals?q=FHG-0001").status_code == 200
    login(other)
    assert client.get("/d/forhand/proposals?q=FHG-0001").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(author)
    response = client.get("/d/forhand/proposals?q=FHG-0001")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/p/{pending.id}")


def test_another_dialogues_reference_leads_there_when_that_dialogue_is_seen(
    client, db, swedish, make_dialogue, make_proposal
):
    from dialog.dialogues.models import Visibility

    other = make_dialogue("annan", phases=PROPOSING, reference_prefix="ANN")
    elsewhere = make_proposal(other, title="Bänkar vid ån")
    closed = make_dialogue(
        "stangd", phases=PROPOSING, reference_prefix="STG", visibility=Visibility.invited
    )
    make_proposal(closed, title="Bara för inbjudna")
    response = client.get("/d/sok/proposals?q=ann-1")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/p/{elsewhere.id}")
    # An invite-only dialogue's proposal is not named to someone outside it.
    hidden = client.get("/d/sok/proposals?q=STG-0001")
    assert hidden.status_code == 200 and "Bara för inbjudna" not in hidden.get_data(as_text=True)
    # In this dialogue's list another dialogue's reference is searched as words.
    assert _found(swedish[0], "ANN-0001") == []


def test_a_prefix_two_dialogues_share_names_this_dialogues_proposal(
    client, db, swedish, make_dialogue, make_proposal
):
    _, ids = swedish
    twin = make_dialogue("tvilling", phases=PROPOSING, reference_prefix="STK")
    make_proposal(twin, title="Samma prefix")
    response = client.get("/d/sok/proposals?q=STK-0001")
    assert response.headers["Location"].endswith(f"/p/{ids[1]}")
    # From a third dialogue the reference is ambiguous: a search, not a guess.
    make_dialogue("tredje", phases=PROPOSING, reference_prefix="TRE")
    assert client.get("/d/tredje/proposals?q=STK-0001").status_code == 200


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("STK-0042", ("STK", 42)),
        (" stk 42 ", ("STK", 42)),
        ("stk0042", ("STK", 42)),
        ("#STK-42", ("STK", 42)),
        ("E4-0003", ("E4", 3)),
        ("STK-0000", None),
        ("STK-", None),
        ("0042", None),
        ("torg 42 mer", None),
        ("STK-0042-1", None),
    ],
)
def test_what_reads_as_a_reference(typed, expected):
    found = search.reference(typed)
    assert (found and (found.prefix, found.number)) == expected


def test_the_similar_step_still_matches_whole_words(ctx, db, swedish):
    dialogue, _ = swedish
    # "cykel" alone is no word of any proposal: the step offers only real look-alikes.
    assert queries.similar(dialogue, "Cykel") == []
    assert [p.number for p in queries.similar(dialogue, "Cykelbana vid skolan")] == [6]
