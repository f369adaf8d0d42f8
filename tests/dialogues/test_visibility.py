"""The one visibility rule: the query filter and the check agree for every combination,
pages cost one statement more for an invite-only dialogue, never one per check."""

import itertools

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from dialog.accounts.models import User
from dialog.dialogues import services
from dialog.dialogues.models import Dialogue, DialogueState, Visibility
from dialog.dialogues.visibility import can_view, viewers_of, visible_dialogues
from dialog.proposals import services as proposal_services
from dialog.proposals.models import Proposal, Stance
from dialog.proposals.visibility import can_see_proposal, visible_proposals

VIEWERS = (
    "anonymous",
    "resident",
    "unverified_invited_by_address",
    "invited_by_address",
    "invited_by_link",
    "approved_request",
    "pending_request",
    "refused_request",
    "revoked",
    "planner",
    "other_planner",
    "admin",
)


@pytest.fixture
def world(ctx, db, make_user, make_dialogue):
    people = {name: make_user() for name in VIEWERS if name != "anonymous"}
    for name in ("planner", "other_planner"):
        people[name] = make_user(role="planner")
    people["admin"] = make_user(role="admin")
    people["unverified_invited_by_address"] = make_user(verified=False)
    dialogues = {}
    for state, visibility in itertools.product(DialogueState, Visibility):
        slug = f"{state.value}-{visibility.value}"
        dialogues[slug] = make_dialogue(slug=slug, state=state, visibility=visibility)
    other = make_dialogue(slug="annan")
    admin = db.session.get(User, people["admin"].id)
    for dialogue in dialogues.values():
        dialogue = db.session.get(Dialogue, dialogue.id)
        services.assign_planner(dialogue, db.session.get(User, people["planner"].id), by=None)
        invited = [people[n].email for n in VIEWERS if n.startswith(("invited", "unverified"))]
        sent = services.invite(dialogue, [*invited, people["revoked"].email], by=admin)
        by_link, by_address = (
            next(i for i in sent if i.email == people[name].email)
            for name in ("invited_by_link", "invited_by_address")
        )
        services.accept_invitation(by_link, db.session.get(User, people["invited_by_link"].id))
        for name in ("approved_request", "pending_request", "refused_request"):
            asked = services.request_access(by_address, db.session.get(User, people[name].id))
            if name != "pending_request":
                approve = name == "approved_request"
                services.decide_access_request(asked, approve=approve, by=admin)
        revoked = next(
            i for i in dialogue_invitations(db, dialogue) if i.email == people["revoked"].email
        )
        services.revoke_invitation(revoked, by=admin)
    # Accepted through the link, then moved to another address: the account keeps access.
    db.session.get(User, people["invited_by_link"].id).email = "someone-else@example.org"
    services.assign_planner(
        db.session.get(Dialogue, other.id),
        db.session.get(User, people["other_planner"].id),
        by=None,
    )
    db.session.commit()
    people["anonymous"] = AnonymousUserMixin()
    return people, dialogues


def dialogue_invitations(db, dialogue):
    from dialog.dialogues.models import Invitation

    return db.session.scalars(select(Invitation).where(Invitation.dialogue_id == dialogue.id))


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_filter_and_the_check_agree_for_every_state_visibility_and_viewer(db, world, viewer):
    people, dialogues = world
    user = people[viewer]
    if user.is_authenticated:
        user = db.session.get(User, user.id)
    filtered = set(db.session.scalars(select(Dialogue.slug).where(visible_dialogues(user))))
    for slug, dialogue in dialogues.items():
        dialogue = db.session.get(Dialogue, dialogue.id)
        assert bool(can_view(user, dialogue)) == (slug in filtered), (viewer, slug)
        # The rule as a clause on people, which tells a dialogue's followers.
        if user.is_authenticated:
            among_viewers = db.session.scalar(
                select(User.id).where(User.id == user.id, viewers_of(dialogue))
            )
            assert (among_viewers is not None) == (slug in filtered), (viewer, slug)
    # Spot checks, so agreement cannot hide a rule that is wrong in both places.
    expected = {
        "anonymous": {"published-public", "archived-public"},
        "revoked": {"published-public", "archived-public"},
        "unverified_invited_by_address": {"published-public", "archived-public"},
        "pending_request": {"published-public", "archived-public"},
        "refused_request": {"published-public", "archived-public"},
        "approved_request": {
            "published-public",
            "archived-public",
            "published-invited",
            "archived-invited",
        },
        "invited_by_link": {
            "published-public",
            "archived-public",
            "published-invited",
            "archived-invited",
        },
        "invited_by_address": {
            "published-public",
            "archived-public",
            "published-invited",
            "archived-invited",
        },
        "planner": set(dialogues),
        "admin": set(dialogues) | {"annan"},
    }
    if viewer in expected:
        assert filtered - {"annan"} == expected[viewer] - {"annan"}, viewer


def test_proposals_follow_their_dialogues_rule(ctx, db, world):
    people, dialogues = world
    for dialogue in dialogues.values():
        proposal_services.create_proposal(
            db.session.get(Dialogue, dialogue.id), author=None, title="Bänkar", body="Fler."
        )
    db.session.commit()
    user = db.session.get(User, people["invited_by_link"].id)
    filtered = set(db.session.scalars(select(Proposal.id).where(visible_proposals(user))))
    for proposal in db.session.scalars(select(Proposal)):
        assert bool(can_see_proposal(user, proposal)) == (proposal.id in filtered)
    assert len(filtered) == 4  # public and invited, published and archived


PAGES = ("proposal", "list", "thread")


@pytest.mark.parametrize("page", PAGES)
def test_an_invite_only_page_costs_one_statement_more_than_a_public_one(
    client, ctx, db, make_user, make_dialogue, login, count_queries, page
):
    resident = make_user()
    admin = make_user(role="admin")
    counts = {}
    for visibility in Visibility:
        dialogue = make_dialogue(
            slug=f"d-{visibility.value}",
            visibility=visibility,
            phases=(("proposals", -1, 24), ("voting", 24, 48)),
            votes_per_participant=3,
        )
        dialogue = db.session.get(Dialogue, dialogue.id)
        services.invite(dialogue, [resident.email], by=db.session.get(User, admin.id))
        proposal = proposal_services.create_proposal(
            dialogue, author=db.session.get(User, resident.id), title="Bänkar", body="Fler."
        )
        comment = proposal_services.add_comment(
            proposal, author=db.session.get(User, resident.id), body="Bra", stance=Stance.for_
        )
        db.session.commit()
        path = {
            "proposal": f"/p/{proposal.id}",
            "list": f"/d/{dialogue.slug}/proposals?sort=newest",
            "thread": f"/c/{comment.id}",
        }[page]
        login(resident)
        client.get(path)  # warm the list's fragment cache, as for everyone else
        with count_queries() as counted:
            response = client.get(path)
        assert response.status_code == 200
        counts[visibility] = counted.count
    # The invitations are read once, however many permissions the page asks.
    assert counts[Visibility.invited] == counts[Visibility.public] + 1, counts


def test_what_may_not_be_seen_is_not_found_rather_than_explained(
    ctx, db, make_user, make_dialogue, make_proposal
):
    """Even for the author of an item, once its dialogue is closed to them: every
    permission answers not_found before any reason that would describe the item."""
    from dialog.dialogues import permissions as dialogue_permissions
    from dialog.proposals import permissions as proposal_permissions

    dialogue = make_dialogue(slug="dold", phases=(("voting", -1, 24),))
    author = db.session.get(User, make_user().id)
    proposal = db.session.get(Proposal, make_proposal(dialogue, author=author).id)
    comment = proposal_services.add_comment(proposal, author=author, body="Bra", stance=Stance.for_)
    proposal_services.withdraw_proposal(proposal, by=None, reason="Dubblett")
    proposal.dialogue.visibility = Visibility.invited
    db.session.commit()
    decisions = {
        "vote": proposal_permissions.can_vote(author, proposal),
        "withdraw_vote": proposal_permissions.can_withdraw_vote(author, proposal),
        "comment": proposal_permissions.can_comment(author, proposal),
        "reply": proposal_permissions.can_reply(author, comment),
        "edit": proposal_permissions.can_edit(author, proposal),
        "withdraw": proposal_permissions.can_withdraw(author, proposal),
        "edit_comment": proposal_permissions.can_edit_comment(author, comment),
        "delete_comment": proposal_permissions.can_delete_comment(author, comment),
        "follow": proposal_permissions.can_follow(author, proposal),
        "answer": proposal_permissions.can_answer(author, proposal),
        "draft_answer": proposal_permissions.can_see_draft_answer(author, proposal),
        "badge": proposal_permissions.can_speak_for_municipality(author, proposal),
        "moderate": dialogue_permissions.can_moderate(author, proposal.dialogue),
        "invite": dialogue_permissions.can_invite(author, proposal.dialogue),
    }
    assert {name: d.reason for name, d in decisions.items()} == dict.fromkeys(
        decisions, "not_found"
    )
