"""The proposal list is cached for everyone by the dialogue's listing version: every
change a list shows gives a new version, so logged-in people always see the stored votes."""

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import insert, select

from dialog.accounts.models import User
from dialog.dialogues import services as dialogue_services
from dialog.dialogues.models import Dialogue
from dialog.proposals import services
from dialog.proposals.models import AnswerStatus, Proposal, Stance, Vote, VoteValue
from tests.support import post_form

VOTING = (("proposals", -48, -1), ("voting", -1, 24))
LIST = "/d/stadskarna/proposals?sort=newest"


@dataclass
class Change:
    name: str
    apply: Callable
    shows: str
    url: str = LIST
    before: Callable | None = None  # done before the list is first read and cached


def _user(db, make_user):
    return db.session.get(User, make_user().id)


def _vote(db, proposal, make_user, value=VoteValue.for_):
    voter = _user(db, make_user)
    services.cast_vote(voter, proposal, value)
    return voter


def _voter(db):
    return db.session.scalar(select(User).join(Vote, Vote.user_id == User.id))


def _changed_vote(db, proposal, make_user):
    services.cast_vote(_voter(db), proposal, VoteValue.against)


def _withdrawn_vote(db, proposal, make_user):
    services.withdraw_vote(_voter(db), proposal)


def _lost_counter_update(db, proposal, make_user):
    # A vote row whose counter update went missing; the hourly reconciliation repairs it.
    voter = _user(db, make_user)
    db.session.execute(
        insert(Vote).values(
            proposal_id=proposal.id,
            user_id=voter.id,
            dialogue_id=proposal.dialogue_id,
            value=VoteValue.for_,
        )
    )
    assert services.reconcile_counts() == 1


CHANGES = [
    Change("vote", lambda db, p, mu: _vote(db, p, mu), "För 1 · Emot 0"),
    Change("changed vote", _changed_vote, "För 0 · Emot 1", before=_vote),
    Change("withdrawn vote", _withdrawn_vote, "För 0 · Emot 0", before=_vote),
    Change("reconciled counts", _lost_counter_update, "För 1 · Emot 0"),
    Change(
        "comment",
        lambda db, p, mu: services.add_comment(
            p, author=_user(db, mu), body="Bra!", stance=Stance.for_
        ),
        "1 kommentar",
    ),
    Change(
        "new proposal",
        lambda db, p, mu: services.create_proposal(
            db.session.get(Dialogue, p.dialogue_id), author=None, title="Träd på torget", body="."
        ),
        "Träd på torget",
    ),
    Change(
        "edited proposal",
        lambda db, p, mu: services.update_proposal(p, by=None, title="Bänkar och bord"),
        "Bänkar och bord",
    ),
    Change(
        "withdrawn proposal",
        lambda db, p, mu: services.withdraw_proposal(p, by=None, reason="Dubblett"),
        "0 förslag",
    ),
    Change(
        "published answer",
        lambda db, p, mu: services.save_answer(
            p, status=AnswerStatus.accepted, body="Ja.", publish=True, by=_user(db, mu)
        ),
        "1 förslag",
        url=LIST + "&status=accepted",
    ),
    Change(
        "dialogue settings",
        lambda db, p, mu: dialogue_services.update_dialogue(
            db.session.get(Dialogue, p.dialogue_id), by=None, themes=["Grönska"]
        ),
        '<option value="Grönska">',
    ),
]


@pytest.mark.parametrize("change", CHANGES, ids=[c.name for c in CHANGES])
def test_a_logged_in_list_shows_every_change_at_once(
    client, ctx, db, resident, make_user, login, change, make_dialogue
):
    dialogue = make_dialogue(phases=VOTING, themes=["Stadslivet"])
    proposal = services.create_proposal(dialogue, author=None, title="Bänkar vid kanalen", body=".")
    if change.before:
        change.before(db, proposal, make_user)
    db.session.commit()
    login(resident)
    assert change.shows not in client.get(change.url).text
    change.apply(db, db.session.get(Proposal, proposal.id), make_user)
    db.session.commit()
    assert change.shows in client.get(change.url).text


def test_an_unchanged_list_comes_from_the_cache(
    client, ctx, db, resident, login, count_queries, make_dialogue
):
    # Without this the tests above would pass with no cache at all.
    dialogue = make_dialogue(phases=VOTING)
    services.create_proposal(dialogue, author=None, title="Bänkar vid kanalen", body=".")
    db.session.commit()
    login(resident)
    with count_queries() as first:
        client.get(LIST)
    with count_queries() as again:
        assert "Bänkar vid kanalen" in client.get(LIST).text
    reads_proposals = [s for s in again.statements if "FROM proposal" in s]
    assert any("FROM proposal" in s for s in first.statements)
    assert reads_proposals == []
    assert again.count < first.count


def test_own_votes_are_filled_in_for_each_person(client, ctx, db, make_user, login, make_dialogue):
    dialogue = make_dialogue(phases=VOTING)
    proposal = services.create_proposal(dialogue, author=None, title="Bänkar vid kanalen", body=".")
    db.session.commit()
    voter, other = make_user(), make_user()
    login(voter)
    post_form(client, f"/p/{proposal.id}/vote", {"value": "for"}, form_path=f"/p/{proposal.id}")
    assert db.session.scalar(select(Vote.user_id)) == voter.id
    assert "Du röstade: För" in client.get(LIST).text
    post_form(client, "/logout", {}, form_path="/profile")
    login(other)
    page = client.get(LIST).text  # the same cached list the voter was served
    assert "För 1 · Emot 0" in page and "Du röstade" not in page
    post_form(client, "/logout", {}, form_path="/profile")
    login(voter)
    assert "Du röstade: För" in client.get(LIST).text


def test_page_links_keep_the_filters_and_drop_everything_else(client, ctx, db, make_dialogue):
    dialogue = make_dialogue(phases=VOTING, themes=["Stadslivet"])
    for n in range(45):
        services.create_proposal(
            dialogue, author=None, title=f"Förslag {n}", body=".", theme="Stadslivet"
        )
    db.session.commit()
    page = client.get(
        "/d/stadskarna/proposals?theme=Stadslivet&sort=newest&utm_source=x&page=2"
    ).text
    assert "Sida 2 av 3" in page
    pagination = page[page.index('class="pagination"') :]
    links = set(re.findall(r'href="(/d/stadskarna/proposals\?[^"]*)"', pagination))
    assert links == {
        "/d/stadskarna/proposals?page=1&amp;theme=Stadslivet&amp;sort=newest",
        "/d/stadskarna/proposals?page=3&amp;theme=Stadslivet&amp;sort=newest",
    }


def test_filter_values_the_dialogue_does_not_offer_are_ignored(client, ctx, db, make_dialogue):
    dialogue = make_dialogue(phases=VOTING, themes=["Stadslivet"])
    services.create_proposal(dialogue, author=None, title="Bänkar", body=".", theme="Stadslivet")
    db.session.commit()
    for query in ("theme=Okänt", "dimension=kulturell", "status=glömd", "sort=äldst"):
        page = client.get(f"/d/stadskarna/proposals?{query}").text
        assert "1 förslag" in page and "Bänkar" in page, query


@pytest.mark.parametrize(
    "query", ["q=bänkar", "page=11", "place=Någonstans"], ids=["search", "far page", "place"]
)
def test_rare_lists_are_not_cached(client, ctx, db, count_queries, query, make_dialogue):
    dialogue = make_dialogue(phases=VOTING, named_places=["Marenplan"])
    services.create_proposal(dialogue, author=None, title="Bänkar", body=".")
    db.session.commit()
    url = f"/d/stadskarna/proposals?{query}"
    client.get(url)
    with count_queries() as again:
        assert client.get(url).status_code == 200
    assert any("FROM proposal" in s for s in again.statements)
