"""Who may use the proposal routes: visitors, residents, another dialogue's planners and
the dialogue's own planners. Refusals are a login redirect, a 403, or a 404 where the
dialogue itself is hidden; a refused write stores nothing."""

import io
from types import SimpleNamespace

import pytest
from PIL import Image
from sqlalchemy import func, select

from dialog.accounts.models import User
from dialog.core import images
from dialog.dialogues import services as dialogue_services
from dialog.dialogues.models import DialogueState, Visibility
from dialog.proposals import services
from dialog.proposals.models import (
    Comment,
    OfficialAnswer,
    Proposal,
    ProposalFollow,
    ProposalState,
    Stance,
    Vote,
)
from tests.support import post_form

PROPOSING = (("proposals", -1, 24), ("voting", 24, 48))
VOTING = (("proposals", -48, -1), ("voting", -1, 24))
HIDDEN = {
    "invite_only": {"visibility": Visibility.invited},
    "draft": {"state": DialogueState.draft},
}


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 40, 40)).save(out, "PNG")
    return out.getvalue()


REVIEWING = (("proposals", -48, -1), ("review", -1, 24))


@pytest.fixture
def make_world(db, make_user, make_dialogue, make_proposal, make_comment):
    """A dialogue with its planner, a resident's proposal (with an image) and comment, an
    invited resident, an uninvited one, and a planner of another dialogue."""

    def build(*, phases=PROPOSING, **dialogue_fields):
        people = SimpleNamespace(
            author=make_user(),
            resident=make_user(),
            invited=make_user(),
            planner=make_user(role="planner"),
            other_planner=make_user(role="planner"),
        )
        dialogue = make_dialogue(phases=phases, **dialogue_fields)
        planner = db.session.get(User, people.planner.id)
        dialogue_services.assign_planner(dialogue, planner, by=None)
        dialogue_services.invite(dialogue, [people.author.email, people.invited.email], by=planner)
        other = make_dialogue("annan")
        dialogue_services.assign_planner(
            other, db.session.get(User, people.other_planner.id), by=None
        )
        image = images.store(_png(), "bild.png")
        proposal = make_proposal(
            dialogue,
            people.author,
            title="Bänkar vid kanalen",
            body="Fler bänkar.",
            image_id=image.id,
        )
        comment = make_comment(proposal, people.author, "Gärna med ryggstöd", stance=Stance.for_)
        return SimpleNamespace(
            people=people, dialogue=dialogue, proposal_id=proposal.id, comment_id=comment.id
        )

    return build


def _as(client, login, world, who):
    """Log in as one of the world's people; "anonymous" stays logged out."""
    if who != "anonymous":
        login(getattr(world.people, who))


def _post(client, path, data, who, form_path):
    # A visitor's session gets its CSRF token from the login form; logged-in pages carry
    # one in the logout form. The refusal is then the permission's, never the token's.
    return post_form(client, path, data, form_path="/login" if who == "anonymous" else form_path)


def _count(db, model, **where):
    db.session.expire_all()
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.scalar(query)


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and "/login" in response.location


# Hidden dialogues ----------------------------------------------------------------------


@pytest.mark.parametrize("hidden", list(HIDDEN))
@pytest.mark.parametrize("who", ["anonymous", "resident", "other_planner", "invited", "planner"])
def test_hidden_dialogues_proposal_pages_are_404_to_those_who_may_not_see_them(
    client, ctx, db, make_user, login, hidden, who, make_world
):
    world = make_world(**HIDDEN[hidden])
    _as(client, login, world, who)
    sees = who == "planner" or (who == "invited" and hidden == "invite_only")
    for path in (
        f"/p/{world.proposal_id}",
        f"/p/{world.proposal_id}/image",
        f"/c/{world.comment_id}",
        "/d/stadskarna/proposals",
        "/d/stadskarna/proposals/map",
    ):
        response = client.get(path)
        assert response.status_code == (200 if sees else 404), path
        if not sees:
            assert "Bänkar vid kanalen" not in response.get_data(as_text=True)


# Official answers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, outcome",
    [("anonymous", "login"), ("author", 403), ("other_planner", 403), ("planner", "saved")],
)
def test_only_the_dialogues_planners_post_an_official_answer(
    client, ctx, db, make_user, login, who, outcome, make_world
):
    world = make_world(phases=REVIEWING)
    _as(client, login, world, who)
    path = f"/p/{world.proposal_id}"
    response = _post(
        client,
        f"{path}/answer",
        {"status": "accepted", "body": "Bänkarna kommer i maj.", "publish": "1"},
        who,
        form_path=path,
    )
    answers = db.session.scalars(select(OfficialAnswer)).all()
    if outcome == "saved":
        assert response.status_code == 302 and response.location.endswith(path)
        assert [a.body for a in answers] == ["Bänkarna kommer i maj."]
        return
    if outcome == "login":
        assert _is_login_redirect(response)
    else:
        assert response.status_code == 403
        assert "Bara dialogens planerare" in response.get_data(as_text=True)
    assert answers == []


# Input entered on someone's behalf -----------------------------------------------------


@pytest.mark.parametrize(
    "who, outcome",
    [("anonymous", "login"), ("resident", 403), ("other_planner", 403), ("planner", "saved")],
)
def test_only_the_dialogues_planners_enter_input_received_another_way(
    client, ctx, db, make_user, login, who, outcome, make_world
):
    world = make_world()
    _as(client, login, world, who)
    path = "/d/stadskarna/proposals/enter"
    shown = client.get(path)
    response = _post(
        client,
        path,
        {"source": "letter", "title": "Brev om parkering", "body": "Från Ingrid."},
        who,
        form_path="/d/stadskarna/proposals",
    )
    entered = _count(db, Proposal, title="Brev om parkering")
    if outcome == "saved":
        assert shown.status_code == 200
        assert response.status_code == 302 and entered == 1
        return
    if outcome == "login":
        assert _is_login_redirect(shown) and _is_login_redirect(response)
    else:
        assert shown.status_code == 403 and response.status_code == 403
    assert entered == 0


# Withdrawing -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, outcome",
    [
        ("anonymous", "login"),
        ("resident", 403),
        ("other_planner", 403),
        ("planner", 403),
        ("author", "withdrawn"),
    ],
)
def test_only_the_author_withdraws_a_proposal(
    client, ctx, db, make_user, login, who, outcome, make_world
):
    world = make_world()
    _as(client, login, world, who)
    page = f"/p/{world.proposal_id}"
    shown = client.get(f"{page}/withdraw")
    response = _post(client, f"{page}/withdraw", {"reason": "Ångrar mig"}, who, form_path=page)
    db.session.expire_all()
    state = db.session.get(Proposal, world.proposal_id).state
    if outcome == "withdrawn":
        assert shown.status_code == 200 and response.status_code == 302
        assert state is ProposalState.withdrawn
        return
    if outcome == "login":
        assert _is_login_redirect(shown) and _is_login_redirect(response)
    else:
        assert shown.status_code == 403 and response.status_code == 403
        assert "Bara den som lämnade förslaget" in response.get_data(as_text=True)
    assert state is ProposalState.published


# Editing a proposal ----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "resident", "other_planner", "planner", "author"])
def test_only_the_author_edits_a_proposal(client, ctx, db, make_user, login, who, make_world):
    world = make_world()
    fresh = services.create_proposal(  # not commented on, so its author may still edit it
        world.dialogue,
        author=db.session.get(User, world.people.author.id),
        title="Bänkar vid kanalen",
        body="Fler bänkar.",
    )
    db.session.commit()
    _as(client, login, world, who)
    page = f"/p/{fresh.id}"
    shown = client.get(f"{page}/edit")
    response = _post(
        client, f"{page}/edit", {"title": "Kapad titel", "body": "Annat."}, who, form_path=page
    )
    db.session.expire_all()
    title = db.session.get(Proposal, fresh.id).title
    if who == "author":
        assert shown.status_code == 200 and response.status_code == 302
        assert title == "Kapad titel"
        return
    if who == "anonymous":
        assert _is_login_redirect(shown) and _is_login_redirect(response)
    else:
        assert shown.status_code == 403 and response.status_code == 403
    assert title == "Bänkar vid kanalen"


# Editing and deleting comments ----------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "resident", "other_planner", "planner", "author"])
def test_only_the_author_edits_a_comment(client, ctx, db, make_user, login, who, make_world):
    world = make_world()
    _as(client, login, world, who)
    path = f"/c/{world.comment_id}/edit"
    shown = client.get(path)
    response = _post(
        client,
        path,
        {"body": "Omskrivet av någon", "stance": "against"},
        who,
        form_path=f"/c/{world.comment_id}",
    )
    db.session.expire_all()
    body = db.session.get(Comment, world.comment_id).body
    if who == "author":
        assert shown.status_code == 200 and response.status_code == 302
        assert body == "Omskrivet av någon"
        return
    if who == "anonymous":
        assert _is_login_redirect(shown) and _is_login_redirect(response)
    else:
        assert shown.status_code == 403 and response.status_code == 403
        assert "Bara den som skrev kommentaren" in shown.get_data(as_text=True)
    assert body == "Gärna med ryggstöd"


@pytest.mark.parametrize("who", ["anonymous", "resident", "other_planner", "planner", "author"])
def test_only_the_author_deletes_a_comment(client, ctx, db, make_user, login, who, make_world):
    world = make_world()
    _as(client, login, world, who)
    thread = f"/c/{world.comment_id}"
    response = _post(client, f"{thread}/delete", {}, who, form_path=thread)
    db.session.expire_all()
    comment = db.session.get(Comment, world.comment_id)
    if who == "author":
        assert response.status_code == 302 and comment.is_deleted
        return
    if who == "anonymous":
        assert _is_login_redirect(response)
    else:
        assert response.status_code == 403
    assert not comment.is_deleted and comment.body == "Gärna med ryggstöd"


# Anonymous writes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "action, phases, data, model",
    [
        ("/p/{p}/vote", VOTING, {"value": "for"}, Vote),
        ("/p/{p}/unvote", VOTING, {}, Vote),
        ("/p/{p}/comments", PROPOSING, {"body": "Anonymt", "stance": "for"}, Comment),
        ("/c/{c}/reply", PROPOSING, {"body": "Anonymt", "stance": "for"}, Comment),
        ("/p/{p}/follow", PROPOSING, {}, ProposalFollow),
        ("/p/{p}/unfollow", PROPOSING, {}, ProposalFollow),
    ],
    ids=["vote", "unvote", "comment", "reply", "follow", "unfollow"],
)
def test_anonymous_votes_comments_and_follows_go_to_login_and_store_nothing(
    client, ctx, db, make_user, action, phases, data, model, make_world
):
    world = make_world(phases=phases)
    before = _count(db, model, proposal_id=world.proposal_id)
    path = action.format(p=world.proposal_id, c=world.comment_id)
    response = _post(client, path, data, "anonymous", None)
    assert _is_login_redirect(response)
    assert _count(db, model, proposal_id=world.proposal_id) == before
