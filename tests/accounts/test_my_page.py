"""My page (/me): a person's own proposals, comments, votes and follows, each with where
it stands and the answer it got; what the person may no longer see, as the visibility
rules have it; only their own, whoever asks; a fixed number of statements."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from dialog.accounts import my_page
from dialog.accounts.models import Role, User
from dialog.dialogues import services as dialogue_services
from dialog.dialogues.models import (
    Dialogue,
    DialogueFollow,
    DialogueState,
    Visibility,
    VoteMode,
)
from dialog.extensions import db as _db
from dialog.moderation import services as moderation
from dialog.proposals import services as proposal_services
from dialog.proposals.models import (
    AnswerStatus,
    Moderation,
    Proposal,
    ProposalFollow,
    VoteValue,
)
from dialog.proposals.visibility import can_see_proposal, findable_proposals
from tests.support import csrf_token, log_in

# Voting is open now; proposals were made before (the builders do not ask the phase).
VOTING = (("proposals", -72, -1), ("voting", -1, 24), ("result", 24, None))

SECTION_PATHS = (
    "/me",
    "/me/proposals",
    "/me/comments",
    "/me/votes",
    "/me/following/dialogues",
    "/me/following/proposals",
)


def _page(client, path="/me") -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def _main(html: str) -> str:
    """The page without its header: the navigation names no one's content."""
    return html[html.index("<main") : html.index("</main>")]


def _section(html: str, name: str) -> str:
    start = html.index(f'id="mine-{name}"')
    end = html.find("<section", start + 1)
    return html[start : end if end != -1 else len(html)]


@pytest.fixture
def admin_user(make_user):
    return make_user(role="admin")


# Who may open it ------------------------------------------------------------------------


@pytest.mark.parametrize("path", (*SECTION_PATHS, "/me/contributions"))
def test_a_visitor_is_asked_to_log_in_first(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")
    assert path in response.location.replace("%2F", "/")


def test_the_old_address_of_your_contributions_leads_to_my_page(client, resident):
    assert log_in(client, resident.email).status_code == 302
    response = client.get("/me/contributions")
    assert response.status_code == 301 and response.location == "/me#mine-proposals"


def test_the_main_menu_leads_to_my_page_once_logged_in(client, resident):
    assert 'href="/me"' not in client.get("/").get_data(as_text=True)
    assert log_in(client, resident.email).status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert '<a href="/me">Min sida</a>' in page
    assert "Dina bidrag" not in page


# What it shows --------------------------------------------------------------------------


def test_each_section_shows_its_items_with_their_state_and_answers(
    client, make_user, make_dialogue, make_proposal, make_comment, cast_vote, make_answer
):
    me, planner, neighbour = make_user(), make_user(role="admin"), make_user()
    dialogue = make_dialogue("torget", phases=VOTING, title="Nya torget")
    mine = make_proposal(dialogue, author=me, title="Träd på torget")
    theirs = make_proposal(dialogue, author=neighbour, title="Bänkar vid fontänen")
    make_comment(mine, neighbour, body="Håller med")
    make_comment(theirs, me, body="Gärna bänkar med ryggstöd")
    cast_vote(theirs, me, VoteValue.against)
    cast_vote(mine, neighbour)
    make_answer(mine, planner, status=AnswerStatus.partly_accepted, body="Delvis")
    with client.application.app_context():
        dialogue_services.follow(
            _db.session.get(Dialogue, dialogue.id), _db.session.get(User, me.id)
        )
        _db.session.commit()

    assert log_in(client, me.email).status_code == 302
    page = _page(client)
    proposals = _section(page, "proposals")
    assert "Mina förslag <span" in proposals and "(1)" in proposals
    assert f'<a href="/p/{mine.id}">Träd på torget</a>' in proposals
    assert "TOR-0001 · Nya torget" in proposals and "Visas" in proposals
    assert "1 röst · 1 kommentar" in proposals
    assert "Besvarat: Genomförs delvis" in proposals
    assert f'href="/p/{mine.id}#answer-heading"' in proposals

    comments = _section(page, "comments")
    assert "Gärna bänkar med ryggstöd" in comments and 'href="/c/' in comments
    assert f'<a href="/p/{theirs.id}">Bänkar vid fontänen</a>' in comments
    assert "0 svar" in comments

    votes = _section(page, "votes")
    assert "Du röstade: Emot" in votes and "Bänkar vid fontänen" in votes
    assert f'href="/p/{theirs.id}#votes-heading"' in votes and "Ändra din röst" in votes
    assert "Inget svar än" in votes

    followed = _section(page, "following_dialogues")
    assert 'href="/d/torget"' in followed and "Nu: " in followed
    assert "/me/following/dialogues/torget/unfollow" in followed
    # Authors follow their own proposals; the one commented on is followed if wished.
    assert f"/me/following/proposals/{mine.id}/unfollow" in _section(page, "following_proposals")


def test_a_draft_answer_is_not_shown_and_a_published_one_keeps_its_status_under_changes(
    client, make_user, make_dialogue, make_proposal, make_answer
):
    me, planner = make_user(), make_user(role="admin")
    dialogue = make_dialogue("utkast", phases=VOTING)
    drafted = make_proposal(dialogue, author=me, title="Cykelbana")
    answered = make_proposal(dialogue, author=me, title="Lekplats")
    make_answer(drafted, planner, status=AnswerStatus.rejected, body="Nej", publish=False)
    make_answer(answered, planner, status=AnswerStatus.accepted, body="Ja")
    # Changes saved as a draft: residents go on reading the published status.
    make_answer(answered, planner, status=AnswerStatus.rejected, body="Nej ändå", publish=False)

    assert log_in(client, me.email).status_code == 302
    page = _section(_page(client), "proposals")
    drafted_row = page[page.index("Cykelbana") : page.index("</li>", page.index("Cykelbana"))]
    assert "Inget svar än" in drafted_row and "Besvarat" not in drafted_row
    answered_row = page[page.index("Lekplats") : page.index("</li>", page.index("Lekplats"))]
    assert "Besvarat: Genomförs<" in answered_row and "Genomförs inte" not in answered_row


def test_a_withdrawn_proposal_says_so(client, make_user, make_dialogue, make_proposal):
    me = make_user()
    dialogue = make_dialogue("dragna", phases=VOTING)
    proposal = make_proposal(dialogue, author=me, title="Parkering")
    with client.application.app_context():
        proposal_services.withdraw_proposal(
            _db.session.get(Proposal, proposal.id),
            by=_db.session.get(User, me.id),
            reason="Ny plan",
        )
        _db.session.commit()
    assert log_in(client, me.email).status_code == 302
    assert "Tillbakadraget" in _section(_page(client), "proposals")


def test_a_vote_says_whether_voting_is_still_open_and_the_allowance_used(
    client, make_user, make_dialogue, make_proposal, cast_vote
):
    me = make_user()
    open_now = make_dialogue("oppen", phases=VOTING, votes_per_participant=3)
    support = make_dialogue("stod", phases=VOTING, vote_mode=VoteMode.support)
    first = make_proposal(open_now, author=make_user(), title="Fler lampor")
    backed = make_proposal(support, author=make_user(), title="Grönare gård")
    cast_vote(first, me, VoteValue.abstain)
    cast_vote(backed, me, VoteValue.support)
    with client.application.app_context():
        # Voting ends: the vote stays, it can no longer be changed.
        _db.session.get(Dialogue, support.id).state = DialogueState.archived
        _db.session.commit()

    assert log_in(client, me.email).status_code == 302
    votes = _section(_page(client), "votes")
    lamps = votes[votes.index("Fler lampor") : votes.index("</li>", votes.index("Fler lampor"))]
    assert "Du röstade: Avstår" in lamps and "Ändra din röst" in lamps
    assert "Du har använt 1 av dina 3 röster i den här dialogen." in lamps
    yard = votes[votes.index("Grönare gård") : votes.index("</li>", votes.index("Grönare gård"))]
    assert "Du röstade: Stöd" in yard and "Ändra din röst" not in yard
    assert "Dialogen är avslutad" in yard


def test_a_vote_in_a_closed_voting_phase_cannot_be_changed(
    client, make_user, make_dialogue, make_proposal, cast_vote
):
    me = make_user()
    dialogue = make_dialogue("stangd", phases=VOTING)
    proposal = make_proposal(dialogue, author=make_user(), title="Pollare")
    cast_vote(proposal, me)
    with client.application.app_context():
        # The whole schedule three days earlier: voting ended, the result phase runs.
        for phase in _db.session.get(Dialogue, dialogue.id).phases:
            phase.starts_at -= timedelta(days=3)
            phase.ends_at = phase.ends_at and phase.ends_at - timedelta(days=3)
        _db.session.commit()
    assert log_in(client, me.email).status_code == 302
    votes = _section(_page(client), "votes")
    assert "Du röstade: För" in votes and "Ändra din röst" not in votes
    assert "Röstningen är stängd nu." in votes


# Out of sight -----------------------------------------------------------------------------


def test_own_items_out_of_sight_show_the_reason_and_the_review_link(
    client, make_user, make_dialogue, make_proposal, make_comment, admin_user
):
    me = make_user()
    dialogue = make_dialogue("dolt", phases=VOTING)
    proposal = make_proposal(dialogue, author=me, title="Min reklam")
    comment = make_comment(proposal, me, body="Ring mig på 070-1234567")
    with client.application.app_context():
        admin = _db.session.get(User, admin_user.id)
        decision = moderation.hide(
            _db.session.get(Proposal, proposal.id), by=admin, reason="Reklam"
        )
        _db.session.commit()
        decision_id = decision.id
    assert log_in(client, me.email).status_code == 302
    page = _page(client)
    proposals = _section(page, "proposals")
    assert "Min reklam" in proposals and "Dolt av moderator: Reklam" in proposals
    assert f"/moderation/decisions/{decision_id}/review" in proposals
    # The comment is the person's own words: shown, on their own (hidden) proposal.
    assert "Ring mig på 070-1234567" in _section(page, "comments")
    assert comment.id


def test_someone_elses_hidden_proposal_shows_its_reference_and_reason_never_its_title(
    client, make_user, make_dialogue, make_proposal, make_answer, cast_vote, admin_user
):
    me = make_user()
    dialogue = make_dialogue("gomt", phases=VOTING)
    proposal = make_proposal(dialogue, author=make_user(), title="Hemlig rubrik")
    cast_vote(proposal, me)
    make_answer(proposal, admin_user, status=AnswerStatus.rejected, body="Nej")
    with client.application.app_context():
        row = _db.session.get(Proposal, proposal.id)
        proposal_services.follow(row, _db.session.get(User, me.id))
        moderation.hide(row, by=_db.session.get(User, admin_user.id), reason="Kränkande")
        _db.session.commit()
        reference = row.reference
    assert log_in(client, me.email).status_code == 302
    page = _main(_page(client))
    assert "Hemlig rubrik" not in page and "Genomförs inte" not in page and "Besvarat" not in page
    for name in ("votes", "following_proposals"):
        listed = _section(page, name)
        assert f'<a href="/p/{proposal.id}">{reference}</a>' in listed
        assert "Dolt av moderator: Kränkande" in listed
    assert "Ändra din röst" not in _section(page, "votes")
    for path in ("/me/votes", "/me/following/proposals"):
        assert "Hemlig rubrik" not in _page(client, path)


@pytest.mark.parametrize(
    "change",
    [{"state": DialogueState.draft}, {"visibility": Visibility.invited}],
    ids=["made a draft", "made invite-only"],
)
def test_a_dialogue_no_longer_open_keeps_ones_own_words_without_a_link_and_drops_the_rest(
    client, make_user, make_dialogue, make_proposal, make_comment, cast_vote, change
):
    me, neighbour = make_user(), make_user()
    dialogue = make_dialogue("stangs", phases=VOTING, title="Hemlig dialog")
    mine = make_proposal(dialogue, author=me, title="Mitt eget förslag")
    theirs = make_proposal(dialogue, author=neighbour, title="Grannens förslag")
    make_comment(theirs, me, body="Min egen kommentar")
    cast_vote(theirs, me)
    with client.application.app_context():
        dialogue_services.follow(
            _db.session.get(Dialogue, dialogue.id), _db.session.get(User, me.id)
        )
        row = _db.session.get(Dialogue, dialogue.id)
        for name, value in change.items():
            setattr(row, name, value)
        _db.session.commit()

    assert log_in(client, me.email).status_code == 302
    page = _main(_page(client))
    assert "Mitt eget förslag" in page and "Min egen kommentar" in page
    assert f'href="/p/{mine.id}"' not in page and 'href="/c/' not in page
    assert "Hemlig dialog" not in page and "Grannens förslag" not in page
    assert "Dialogen är inte längre öppen för dig" in _section(page, "proposals")
    for name in ("votes", "following_dialogues", "following_proposals"):
        assert "(0)" in _section(page, name), name
    assert (
        client.post(
            "/me/following/dialogues/stangs/unfollow",
            data={"csrf_token": csrf_token(client, "/me")},
        ).status_code
        == 404
    )


def test_the_staff_of_a_draft_dialogue_still_find_what_they_follow_there(
    client, make_user, make_dialogue, make_proposal, admin_user
):
    dialogue = make_dialogue("personal", phases=VOTING, state=DialogueState.draft)
    make_proposal(dialogue, author=admin_user, title="Internt förslag")
    assert log_in(client, admin_user.email).status_code == 302
    page = _main(_page(client))
    assert '<a href="/p/' in _section(page, "proposals") and "Internt förslag" in page


# Only one's own ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["resident", "planner", "admin"])
def test_nobody_else_s_items_appear_whoever_looks(
    client, make_user, make_dialogue, make_proposal, make_comment, cast_vote, role
):
    viewer, other = make_user(role=role), make_user()
    dialogue = make_dialogue(f"andras-{role}", phases=VOTING)
    if role == "planner":
        with client.application.app_context():
            dialogue_services.assign_planner(
                _db.session.get(Dialogue, dialogue.id), _db.session.get(User, viewer.id), by=None
            )
            _db.session.commit()
    theirs = make_proposal(dialogue, author=other, title="Någon annans förslag")
    make_comment(theirs, other, body="Någon annans kommentar")
    cast_vote(theirs, other)
    with client.application.app_context():
        dialogue_services.follow(
            _db.session.get(Dialogue, dialogue.id), _db.session.get(User, other.id)
        )
        _db.session.commit()
    assert log_in(client, viewer.email).status_code == 302
    for path in SECTION_PATHS:
        page = _main(_page(client, path))
        assert "Någon annans" not in page, path
        assert f'href="/p/{theirs.id}"' not in page and "/unfollow" not in page, path
    counts = re.findall(r'mine-count">\((\d+)\)', _page(client))
    assert counts == ["0", "0", "0", "0", "0"]


# Unfollowing from the page ------------------------------------------------------------------


def test_unfollowing_from_the_page_uses_the_follow_services_and_comes_back(
    client, make_user, make_dialogue, make_proposal
):
    me = make_user()
    dialogue = make_dialogue("folj", phases=VOTING, title="Följd dialog")
    proposal = make_proposal(dialogue, author=me, title="Följt förslag")
    with client.application.app_context():
        dialogue_services.follow(
            _db.session.get(Dialogue, dialogue.id), _db.session.get(User, me.id)
        )
        _db.session.commit()
    assert log_in(client, me.email).status_code == 302
    token = csrf_token(client, "/me")
    # Each button brings the person back to the page it is on.
    assert 'name="next" value="/me"' in _page(client)
    listed = _page(client, "/me/following/proposals")
    assert 'name="next" value="/me/following/proposals"' in listed

    # Without the token nothing happens.
    assert client.post("/me/following/dialogues/folj/unfollow").status_code == 400
    response = client.post(
        "/me/following/dialogues/folj/unfollow", data={"csrf_token": token, "next": "/me"}
    )
    assert response.status_code == 302 and response.location == "/me"
    response = client.post(
        f"/me/following/proposals/{proposal.id}/unfollow",
        data={"csrf_token": token, "next": "/me/following/proposals"},
    )
    assert response.location == "/me/following/proposals"
    # Somewhere else than this site is not where the button leads.
    response = client.post(
        f"/me/following/proposals/{proposal.id}/unfollow",
        data={"csrf_token": token, "next": "//evil.example/"},
    )
    assert response.location == "/me"
    with client.application.app_context():
        assert (
            _db.session.scalars(select(DialogueFollow).where(DialogueFollow.user_id == me.id)).all()
            == []
        )
        assert (
            _db.session.scalars(select(ProposalFollow).where(ProposalFollow.user_id == me.id)).all()
            == []
        )
    page = _page(client)
    assert "Du följer inte längre förslaget." in page
    assert "Du följer inte någon dialog." in page and "Du följer inte något förslag." in page


# Bounded: capped sections, full lists in pages -------------------------------------------------


def test_a_busy_person_sees_the_latest_few_and_a_link_to_all_in_pages(
    client, make_user, make_dialogue, make_proposal, monkeypatch
):
    me = make_user()
    dialogue = make_dialogue("flitig", phases=VOTING)
    for n in range(7):
        make_proposal(dialogue, author=me, title=f"Förslag nummer {n}")
    assert log_in(client, me.email).status_code == 302
    proposals = _section(_page(client), "proposals")
    assert proposals.count('class="mine-item"') == my_page.OVERVIEW_ROWS
    assert "Förslag nummer 6" in proposals and "Förslag nummer 0" not in proposals  # newest
    assert '<a href="/me/proposals">Visa alla dina 7 förslag</a>' in proposals

    monkeypatch.setattr(my_page, "PAGE_SIZE", 3)
    first = _page(client, "/me/proposals")
    assert first.count('class="mine-item"') == 3 and "Sida 1 av 3" in first
    assert 'href="/me/proposals?page=2"' in first
    last = _page(client, "/me/proposals?page=3")
    assert last.count('class="mine-item"') == 1 and "Förslag nummer 0" in last
    # Junk and pages past the end are no error: the first page, the last one.
    assert "Sida 1 av 3" in _page(client, "/me/proposals?page=x")
    assert "Sida 3 av 3" in _page(client, "/me/proposals?page=99")


@pytest.mark.parametrize("path", ["/me", "/me/votes", "/me/comments", "/me/following/proposals"])
def test_the_page_costs_a_fixed_number_of_statements(
    client,
    make_user,
    make_dialogue,
    make_proposal,
    make_comment,
    cast_vote,
    make_answer,
    count_queries,
    admin_user,
    path,
):
    """5 items of each kind in one dialogue, then 50 across ten: the same statements."""
    me = make_user()
    made = {"dialogues": 0, "items": 0}

    def add(count: int, dialogues: int):
        created = []
        for _ in range(dialogues):
            made["dialogues"] += 1
            created.append(
                make_dialogue(
                    f"kostnad-{made['dialogues']}", phases=VOTING, votes_per_participant=99
                )
            )
        for n in range(count):
            made["items"] += 1
            dialogue = created[n % dialogues]
            own = make_proposal(dialogue, author=me, title=f"Eget {made['items']}")
            other = make_proposal(dialogue, author=make_user(), title=f"Annat {made['items']}")
            make_comment(other, me, body=f"Kommentar {made['items']}")
            cast_vote(other, me)
            make_answer(own, admin_user, body="Ja")
            with client.application.app_context():
                proposal_services.follow(
                    _db.session.get(Proposal, other.id), _db.session.get(User, me.id)
                )
                dialogue_services.follow(
                    _db.session.get(Dialogue, dialogue.id), _db.session.get(User, me.id)
                )
                _db.session.commit()

    add(5, 1)
    assert log_in(client, me.email).status_code == 302
    with count_queries() as few:
        assert client.get(path).status_code == 200
    add(45, 10)
    with count_queries() as many:
        page = client.get(path)
        assert page.status_code == 200
    assert few.count == many.count, (few.statements, many.statements)
    if path == "/me":
        assert "(50)" in page.get_data(as_text=True)


# The SQL rule and the check agree ----------------------------------------------------------


def test_findable_proposals_is_can_see_proposal_as_sql(
    ctx, db, make_user, make_dialogue, make_proposal, admin_user
):
    """Over every moderation state and kind of dialogue, for each kind of viewer."""
    from flask_login import AnonymousUserMixin

    author, planner, stranger = make_user(), make_user(role="planner"), make_user()
    demoted = make_user(role="planner")
    ids = []
    for n, (state, visibility) in enumerate(
        [
            (DialogueState.published, Visibility.public),
            (DialogueState.draft, Visibility.public),
            (DialogueState.published, Visibility.invited),
            (DialogueState.archived, Visibility.public),
        ]
    ):
        dialogue = make_dialogue(f"regel-{n}", state=state, visibility=visibility)
        row = db.session.get(Dialogue, dialogue.id)
        dialogue_services.assign_planner(row, db.session.get(User, planner.id), by=None)
        dialogue_services.assign_planner(row, db.session.get(User, demoted.id), by=None)
        db.session.commit()
        for moderation_state in Moderation:
            proposal = make_proposal(dialogue, author=author)
            db.session.get(Proposal, proposal.id).moderation = moderation_state
            ids.append(proposal.id)
    # Lowered to resident after the assignment: the assignment grants nothing now.
    db.session.get(User, demoted.id).role = Role.resident
    db.session.commit()
    viewers = [AnonymousUserMixin()] + [
        db.session.get(User, person.id)
        for person in (author, planner, stranger, demoted, admin_user)
    ]
    for viewer in viewers:
        found = set(
            db.session.scalars(
                select(Proposal.id).where(Proposal.id.in_(ids), findable_proposals(viewer))
            )
        )
        checked = {pid for pid in ids if can_see_proposal(viewer, db.session.get(Proposal, pid))}
        assert found == checked, getattr(viewer, "email", "visitor")
