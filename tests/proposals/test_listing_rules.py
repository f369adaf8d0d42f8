"""Rules of the proposal list and the pages around it: filters, the sort formulas,
support-only dialogues, closed voting, the random order, fixed query counts and the
similar-proposals step."""

import re

import pytest
from sqlalchemy import func, select

from dialog.accounts.models import User
from dialog.core.permissions import Refused
from dialog.dialogues import schedule
from dialog.dialogues.models import Dialogue, VoteMode
from dialog.proposals import queries, services
from dialog.proposals.models import Comment, Proposal, Stance, Vote, VoteValue
from dialog.proposals.views import RANDOM_ORDERS
from tests.support import post_form

PROPOSING = (("proposals", -1, 24), ("voting", 24, 48))
VOTING = (("proposals", -48, -1), ("voting", -1, 24))
LIST = "/d/stadskarna/proposals"
ROW = re.compile(r'class="card-title"><a href="/p/(\d+)">([^<]*)</a>')


def _cast(cast_vote, proposal, voters, *, yes=0, no=0, abstain=0, support=0):
    """Real votes through the service, one person each."""
    values = (
        [VoteValue.for_] * yes
        + [VoteValue.against] * no
        + [VoteValue.abstain] * abstain
        + [VoteValue.support] * support
    )
    assert len(values) <= len(voters)
    for voter, value in zip(voters, values, strict=False):
        cast_vote(proposal, voter, value)


def _rows(page: str) -> list[tuple[int, str]]:
    """The proposals a list page shows, in the order shown."""
    return [(int(pid), title) for pid, title in ROW.findall(page)]


def _titles(client, query: str = "") -> list[str]:
    return [title for _, title in _rows(client.get(f"{LIST}?{query}").text)]


# 1. Filters ---------------------------------------------------------------------------
# (The theme filter alone is covered by test_pages.py::test_listing_filters_and_sorts.)


def test_the_focus_area_filter_narrows_the_list(client, ctx, db, make_dialogue, make_proposal):
    dialogue = make_dialogue(
        phases=PROPOSING, themes=["Stadslivet", "Grönska"], focus_areas=["Trygghet", "Miljö"]
    )
    make_proposal(dialogue, title="Belysning i gränden", focus_area="Trygghet", theme="Stadslivet")
    make_proposal(dialogue, title="Trygga övergångar", focus_area="Trygghet", theme="Grönska")
    make_proposal(dialogue, title="Fler träd", focus_area="Miljö", theme="Grönska")
    make_proposal(dialogue, title="Utan fokus", theme="Stadslivet")

    assert len(_titles(client, "sort=newest")) == 4
    assert _titles(client, "sort=newest&focus_area=Trygghet") == [
        "Trygga övergångar",
        "Belysning i gränden",
    ]
    assert "2 förslag" in client.get(f"{LIST}?focus_area=Trygghet").text
    assert _titles(client, "sort=newest&focus_area=Miljö") == ["Fler träd"]
    # Both filters together: only what both allow.
    assert _titles(client, "focus_area=Trygghet&theme=Grönska") == ["Trygga övergångar"]


# 2. Highest net agreement --------------------------------------------------------------


def test_net_agreement_counts_abstentions_among_the_votes_cast(
    client, ctx, db, make_user, cast_vote, make_dialogue, make_proposal
):
    dialogue = make_dialogue(phases=VOTING)
    voters = [make_user() for _ in range(10)]
    # Counting abstentions: 7-1 / 8 = 0.75 beats 6-0 / 10 = 0.6.
    # Leaving them out would put "Många avstår" first: 6-0 / 6 = 1.0.
    clear = make_proposal(dialogue, title="Klart för")
    abstained = make_proposal(dialogue, title="Många avstår")
    _cast(cast_vote, clear, voters, yes=7, no=1)
    _cast(cast_vote, abstained, voters, yes=6, abstain=4)
    none = make_proposal(dialogue, title="Inga röster")

    assert _titles(client, "sort=agreement") == ["Klart för", "Många avstår", none.title]


# 3. Most divided ------------------------------------------------------------------------


def test_most_divided_breaks_ties_by_votes_and_puts_thin_ones_last(
    client, ctx, db, make_user, cast_vote, make_dialogue, make_proposal
):
    dialogue = make_dialogue(phases=VOTING)
    voters = [make_user() for _ in range(12)]
    # Created first, so the newest-first fallback alone would put it after "Jämnt tio".
    twelve = make_proposal(dialogue, title="Jämnt tolv")
    ten = make_proposal(dialogue, title="Jämnt tio")
    lopsided = make_proposal(dialogue, title="Nästan enigt")
    nine = make_proposal(dialogue, title="Bara nio")
    _cast(cast_vote, twelve, voters, yes=6, no=6)  # 1.0, 12 votes
    _cast(cast_vote, ten, voters, yes=5, no=5)  # 1.0, 10 votes
    _cast(cast_vote, lopsided, voters, yes=10, no=1)  # 1 - 9/11, 11 votes
    _cast(cast_vote, nine, voters, yes=4, no=4, abstain=1)  # 1.0 but only 9 votes

    assert _titles(client, "sort=divided") == [
        "Jämnt tolv",
        "Jämnt tio",
        "Nästan enigt",
        "Bara nio",
    ]


# 4. Support-only dialogues -------------------------------------------------------------


@pytest.mark.parametrize("value", [VoteValue.for_, VoteValue.against, VoteValue.abstain])
def test_a_support_only_dialogue_refuses_other_votes_in_the_service(
    ctx, db, make_user, value, make_dialogue, make_proposal
):
    dialogue = make_dialogue(phases=VOTING, vote_mode=VoteMode.support)
    proposal = make_proposal(dialogue, title="Bänkar")
    voter = db.session.get(User, make_user().id)
    with pytest.raises(Refused, match="vote_value_not_allowed"):
        services.cast_vote(voter, db.session.get(Proposal, proposal.id), value)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Vote)) == 0
    services.cast_vote(voter, db.session.get(Proposal, proposal.id), VoteValue.support)
    db.session.commit()
    assert db.session.scalar(select(Vote.value)) is VoteValue.support


def test_a_support_only_dialogue_refuses_a_for_vote_from_the_page(
    client, ctx, db, resident, login, make_dialogue, make_proposal
):
    dialogue = make_dialogue(phases=VOTING, vote_mode=VoteMode.support)
    proposal = make_proposal(dialogue, title="Bänkar")
    login(resident)
    path = f"/p/{proposal.id}"
    page = client.get(path).text
    assert 'value="support"' in page and 'value="for"' not in page
    response = post_form(
        client, f"{path}/vote", {"value": "for"}, form_path=path, follow_redirects=True
    )
    assert "Den sortens röst används inte i den här dialogen." in response.text
    assert db.session.scalar(select(func.count()).select_from(Vote)) == 0
    db.session.expire_all()
    stored = db.session.get(Proposal, proposal.id)
    assert (stored.votes_for, stored.votes_support) == (0, 0)


def test_a_support_only_list_shows_and_sorts_by_supporters(
    client, ctx, db, make_user, cast_vote, make_dialogue, make_proposal
):
    dialogue = make_dialogue(phases=VOTING, vote_mode=VoteMode.support)
    voters = [make_user() for _ in range(3)]
    most = make_proposal(dialogue, title="Mest stöd")
    least = make_proposal(dialogue, title="Minst stöd")
    middle = make_proposal(dialogue, title="Lite stöd")
    _cast(cast_vote, most, voters, support=3)
    _cast(cast_vote, least, voters, support=1)
    _cast(cast_vote, middle, voters, support=2)

    page = client.get(f"{LIST}?sort=support").text
    assert [title for _, title in _rows(page)] == ["Mest stöd", "Lite stöd", "Minst stöd"]
    assert "3 stödjer" in page and "2 stödjer" in page and "1 stödjer" in page
    assert "Emot" not in page.split('class="proposal-list"')[1]


# 5. Withdrawing a vote after voting closed ---------------------------------------------


@pytest.fixture
def closed_after_a_vote(db, make_dialogue, make_proposal, cast_vote):
    """A proposal with `voter`'s vote, in a dialogue whose voting was then closed."""

    def build(voter):
        dialogue = make_dialogue(phases=VOTING)
        proposal = make_proposal(dialogue, title="Bänkar")
        cast_vote(proposal, voter, VoteValue.for_)
        dialogue = db.session.get(Dialogue, dialogue.id)
        schedule.close_now(dialogue.current_phase, by=None, reason="Stormen")
        db.session.commit()
        assert db.session.get(Dialogue, dialogue.id).current_phase is None
        return proposal.id

    return build


def _vote_kept(db, proposal_id, voter_id):
    db.session.expire_all()
    assert db.session.scalar(select(Vote.user_id).where(Vote.proposal_id == proposal_id)) == (
        voter_id
    )
    assert db.session.get(Proposal, proposal_id).votes_for == 1


def test_a_vote_cannot_be_withdrawn_in_the_service_after_voting_closed(
    ctx, db, resident, closed_after_a_vote
):
    proposal_id = closed_after_a_vote(resident)
    with pytest.raises(Refused, match="vote_closed"):
        services.withdraw_vote(
            db.session.get(User, resident.id), db.session.get(Proposal, proposal_id)
        )
    db.session.rollback()
    _vote_kept(db, proposal_id, resident.id)


def test_a_vote_cannot_be_withdrawn_from_the_page_after_voting_closed(
    client, ctx, db, resident, login, closed_after_a_vote
):
    proposal_id = closed_after_a_vote(resident)
    login(resident)
    path = f"/p/{proposal_id}"
    response = post_form(client, f"{path}/unvote", {}, form_path=path)
    assert response.status_code == 403
    assert "Röstningen är stängd nu." in response.text
    _vote_kept(db, proposal_id, resident.id)
    assert "Du röstade: För" in client.get(path).text


# 6. The random order --------------------------------------------------------------------


def test_a_random_order_is_stable_for_a_visitor_and_differs_between_visitors(
    app, client, ctx, db, make_user, make_dialogue
):
    dialogue = make_dialogue(phases=VOTING)
    for n in range(40):
        services.create_proposal(dialogue, author=None, title=f"Förslag {n:02d}", body=".")
    db.session.commit()
    all_ids = set(db.session.scalars(select(Proposal.id)))

    def pages(visitor):
        first = [pid for pid, _ in _rows(visitor.get(f"{LIST}?sort=random").text)]
        second = [pid for pid, _ in _rows(visitor.get(f"{LIST}?sort=random&page=2").text)]
        return first, second

    first, second = pages(client)
    assert len(first) == 20 and len(second) == 20
    assert not set(first) & set(second)
    assert set(first) | set(second) == all_ids
    assert pages(client) == (first, second)
    # A change renews the cached list; the visitor's order stays the same.
    services.add_comment(
        db.session.get(Proposal, first[0]),
        author=db.session.get(User, make_user().id),
        body="Bra",
        stance=Stance.for_,
    )
    db.session.commit()
    assert pages(client) == (first, second)
    # The default order while voting is the same random order.
    assert [pid for pid, _ in _rows(client.get(LIST).text)] == first

    others = [
        tuple(pid for pid, _ in _rows(app.test_client().get(f"{LIST}?sort=random").text))
        for _ in range(10)
    ]
    assert all(len(ids) == 20 for ids in others)
    assert len(set(others)) >= 2

    # Whichever order a visitor was given, its two pages hold every proposal once.
    for order in range(RANDOM_ORDERS):
        with client.session_transaction() as session:
            session["random_order"] = order
        first, second = pages(client)
        assert len(first + second) == 40 and set(first + second) == all_ids, order


# 7. A fixed number of queries ----------------------------------------------------------


@pytest.mark.parametrize("page", ["proposal", "list", "thread"])
def test_pages_cost_the_same_queries_with_few_or_many_comments_and_votes(
    client, ctx, db, resident, make_user, login, count_queries, page, make_dialogue, make_proposal
):
    dialogue = make_dialogue(phases=VOTING)
    login(resident)
    proposal = make_proposal(dialogue, title="Bänkar vid kanalen")
    make_proposal(dialogue, title="Träd på torget")
    people = [db.session.get(User, make_user().id) for _ in range(40)]
    me = db.session.get(User, resident.id)

    def target_proposal():
        return db.session.get(Proposal, proposal.id)

    # Few: two comments (one a reply) and two votes, one of them the visitor's own.
    top = services.add_comment(target_proposal(), author=people[0], body="Bra", stance=Stance.for_)
    reply = services.add_comment(
        target_proposal(), author=people[1], body="Ja", stance=Stance.for_, parent=top
    )
    services.cast_vote(me, target_proposal(), VoteValue.for_)
    services.cast_vote(people[0], target_proposal(), VoteValue.against)
    db.session.commit()
    top_id = top.id
    target = {
        "proposal": f"/p/{proposal.id}",
        "list": f"{LIST}?sort=newest",
        "thread": f"/c/{top_id}",
    }[page]

    with count_queries() as few:
        response = client.get(target)
    assert response.status_code == 200
    assert "Bänkar vid kanalen" in response.text

    # Many: 40 more comments by different people, replies at every depth, 38 more votes.
    parent = db.session.get(Comment, top_id)
    deeper = db.session.get(Comment, reply.id)
    for n, person in enumerate(people):
        if n % 4 == 0:
            services.add_comment(
                target_proposal(),
                author=person,
                body=f"Svar {n}",
                stance=Stance.for_,
                parent=parent,
            )
        elif n % 4 == 1:
            services.add_comment(
                target_proposal(),
                author=person,
                body=f"Djupt {n}",
                stance=Stance.against,
                parent=deeper,
            )
        else:
            services.add_comment(
                target_proposal(), author=person, body=f"Kommentar {n}", stance=Stance.neutral
            )
    for person in people[1:39]:
        services.cast_vote(person, target_proposal(), VoteValue.for_)
    db.session.commit()
    db.session.expire_all()
    stored = target_proposal()
    assert stored.comment_count == 42 and stored.total_votes == 40

    with count_queries() as many:
        response = client.get(target)
    assert response.status_code == 200
    expected = {"proposal": "42 kommentarer", "list": "42 kommentarer", "thread": "11 svar"}
    assert expected[page] in response.text
    assert many.count == few.count, (few.statements, many.statements)


# 8. The similar-proposals step ---------------------------------------------------------


def test_the_similar_step_leaves_out_withdrawn_proposals_and_other_dialogues(
    client, ctx, db, resident, login, make_dialogue, make_proposal
):
    dialogue = make_dialogue(phases=PROPOSING)
    other = make_dialogue("hamnen", phases=PROPOSING)
    shown = make_proposal(dialogue, title="Parkerna behöver fler träd", body="Lindar i parkerna.")
    withdrawn = make_proposal(dialogue, title="Fler träd i parken nu", body="Träd i parken.")
    services.withdraw_proposal(withdrawn, by=None, reason="Dubblett")
    db.session.commit()
    elsewhere = make_proposal(other, title="Fler träd i parken snart", body="Träd i parken.")

    found = [
        p.id for p in queries.similar(db.session.get(Dialogue, dialogue.id), "Fler träd i parken")
    ]
    assert found == [shown.id]
    assert [
        p.id for p in queries.similar(db.session.get(Dialogue, other.id), "Fler träd i parken")
    ] == [elsewhere.id]

    login(resident)
    step = post_form(client, f"{LIST}/new", {"title": "Fler träd i parken", "body": "Gärna ekar."})
    page = step.text
    assert step.status_code == 200
    assert [title for _, title in _rows(page)] == ["Parkerna behöver fler träd"]
    assert "Fler träd i parken nu" not in page and "Fler träd i parken snart" not in page
