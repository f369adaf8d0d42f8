"""Who may do what in a dialogue: phase × role × action, and the reason for every refusal.

Each dialogue here is built so that its *current* phase is the kind under test (it
started an hour ago and ends in an hour), with a voting phase that is already over and a
proposals phase that opens in two hours, so refusals can be "…_opens" (a later phase
allows it) or "…_closed" (none does).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from dialog.accounts.models import User
from dialog.core.db import utcnow
from dialog.core.permissions import Refused
from dialog.dialogues import permissions, schedule, services
from dialog.dialogues.models import (
    DialogueState,
    Invitation,
    PhaseKind,
    Visibility,
)

KINDS = [kind.value for kind in PhaseKind]
ROLES = ["anonymous", "unverified", "resident", "planner", "other_planner", "admin"]
PARTICIPATION = {
    "propose": permissions.can_propose,
    "comment": permissions.can_comment,
    "vote": permissions.can_vote,
}
# What the registry lets residents do in each kind of phase.
ALLOWED_IN = {
    "information": set(),
    "proposals": {"propose", "comment"},
    "dialogue": {"comment"},
    "voting": {"vote"},
    "review": set(),
    "result": set(),
}


def decision_of(decision) -> tuple[bool, str | None]:
    return (decision.allowed, decision.reason)


def add(dialogue, kind, starts_at, ends_at, **fields):
    return schedule.add_phase(
        dialogue,
        schedule.PhasePlan(
            kind=PhaseKind(kind), title=kind, starts_at=starts_at, ends_at=ends_at, **fields
        ),
        by=None,
    )


def with_current_phase(make_dialogue, slug, kind, now, **dialogue_fields):
    """Voting that is over, `kind` open now, proposals opening in two hours."""
    hour = timedelta(hours=1)
    phases = [
        ("voting", now - 3 * hour, now - 2 * hour),
        (kind, now - hour, now + hour),
        ("proposals", now + 2 * hour, now + 3 * hour),
    ]
    return make_dialogue(
        slug, phases=[(*phase, {"title": phase[0]}) for phase in phases], **dialogue_fields
    )


@pytest.fixture
def people(ctx, db, make_user):
    """One person of each role; planners of this dialogue are assigned by the test."""
    return {
        "anonymous": AnonymousUserMixin(),
        "unverified": make_user(role="resident", verified=False),
        "resident": make_user(role="resident"),
        "planner": make_user(role="planner"),
        "other_planner": make_user(role="planner"),
        "admin": make_user(role="admin"),
    }


def staff_for(db, make_dialogue, dialogue, people):
    """Assign the planner to `dialogue` and the other planner to another dialogue."""
    services.assign_planner(dialogue, people["planner"], by=people["admin"])
    elsewhere = make_dialogue(f"annan-{dialogue.slug}")
    services.assign_planner(elsewhere, people["other_planner"], by=people["admin"])
    db.session.commit()


# The matrix ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", KINDS)
def test_participation_follows_the_current_phase_for_everyone(
    db, people, kind, role, make_dialogue
):
    now = utcnow().replace(microsecond=0)
    dialogue = with_current_phase(make_dialogue, "matris", kind, now)
    staff_for(db, make_dialogue, dialogue, people)
    assert dialogue.current_phase.kind is PhaseKind(kind)
    user = people[role]
    proposals_open_at = now + timedelta(hours=2)

    for action, can in PARTICIPATION.items():
        decision = can(user, dialogue)
        if action in ALLOWED_IN[kind]:
            expected = {
                "anonymous": (False, "login_required"),
                "unverified": (False, "email_unverified"),
            }.get(role, (True, None))
            assert decision_of(decision) == expected, action
        elif action == "vote":  # the only voting phase is over
            assert decision_of(decision) == (False, "vote_closed"), action
            assert decision.params == {}
        else:
            assert decision_of(decision) == (False, f"{action}_opens"), action
            assert decision.params == {"opens_at": proposals_open_at}, action


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", KINDS)
def test_viewing_following_answering_and_inviting_in_every_phase(
    db, people, kind, role, make_dialogue
):
    dialogue = with_current_phase(make_dialogue, "matris", kind, utcnow().replace(microsecond=0))
    staff_for(db, make_dialogue, dialogue, people)
    user = people[role]

    assert decision_of(permissions.can_view(user, dialogue)) == (True, None)
    assert decision_of(permissions.can_follow(user, dialogue)) == (
        (False, "login_required") if role == "anonymous" else (True, None)
    )
    staff_decision = {
        "anonymous": (False, "login_required"),
        "planner": (True, None),
        "admin": (True, None),
    }.get(role, (False, "not_a_planner"))
    assert decision_of(permissions.can_invite(user, dialogue)) == staff_decision
    assert decision_of(permissions.can_moderate(user, dialogue)) == staff_decision
    # Official answers: staff, in the phases that give them.
    answers_open = kind in ("review", "result")
    expected_answer = (
        (False, "answer_closed")
        if staff_decision == (True, None) and not answers_open
        else staff_decision
    )
    assert decision_of(permissions.can_answer(user, dialogue)) == expected_answer


# Phase gates in more detail -----------------------------------------------------------


def test_staff_get_no_bypass_of_the_phase_gate(db, people, make_dialogue):
    now = utcnow().replace(microsecond=0)
    dialogue = make_dialogue("grind")
    add(dialogue, "information", now - timedelta(hours=1), now + timedelta(hours=1))
    db.session.commit()
    staff_for(db, make_dialogue, dialogue, people)
    for role in ("planner", "admin"):
        assert decision_of(permissions.can_vote(people[role], dialogue)) == (False, "vote_closed")
        assert decision_of(permissions.can_propose(people[role], dialogue)) == (
            False,
            "propose_closed",
        )
        assert decision_of(permissions.can_comment(people[role], dialogue)) == (
            False,
            "comment_closed",
        )
        assert decision_of(permissions.can_answer(people[role], dialogue)) == (
            False,
            "answer_closed",
        )
        assert permissions.can_moderate(people[role], dialogue)


def test_before_the_first_phase_actions_open_at_their_phase_and_after_the_last_they_close(
    db, people, make_dialogue
):
    now = utcnow().replace(microsecond=0)
    upcoming = make_dialogue("snart")
    add(upcoming, "proposals", now + timedelta(days=2), now + timedelta(days=9))
    add(upcoming, "voting", now + timedelta(days=9), now + timedelta(days=12))
    finished = make_dialogue("slut")
    add(finished, "proposals", now - timedelta(days=9), now - timedelta(days=2))
    empty = make_dialogue("tom")
    db.session.commit()
    resident = people["resident"]

    propose = permissions.can_propose(resident, upcoming)
    assert decision_of(propose) == (False, "propose_opens")
    assert propose.params == {"opens_at": now + timedelta(days=2)}
    vote = permissions.can_vote(people["anonymous"], upcoming)
    assert decision_of(vote) == (False, "vote_opens")
    assert vote.params == {"opens_at": now + timedelta(days=9)}

    for dialogue in (finished, empty):
        assert decision_of(permissions.can_propose(resident, dialogue)) == (False, "propose_closed")
        assert decision_of(permissions.can_comment(resident, dialogue)) == (False, "comment_closed")
        assert decision_of(permissions.can_vote(resident, dialogue)) == (False, "vote_closed")


def test_capability_overrides_change_what_the_phase_allows(db, people, make_dialogue):
    now = utcnow().replace(microsecond=0)
    with_comments = make_dialogue("med-kommentarer")
    add(
        with_comments,
        "voting",
        now - timedelta(hours=1),
        now + timedelta(hours=1),
        capability_overrides={"comment": True},
    )
    without_votes = make_dialogue("utan-roster")
    add(
        without_votes,
        "voting",
        now - timedelta(hours=1),
        now + timedelta(hours=1),
        capability_overrides={"vote": False},
    )
    db.session.commit()
    resident = people["resident"]

    assert permissions.can_comment(resident, with_comments)
    assert permissions.can_vote(resident, with_comments)
    assert decision_of(permissions.can_vote(resident, without_votes)) == (False, "vote_closed")


def test_the_refusal_explains_when_it_opens_in_stockholm_time(app, db, people, make_dialogue):
    now = utcnow().replace(microsecond=0)
    dialogue = make_dialogue("forklaring")
    add(dialogue, "information", now - timedelta(hours=1), datetime(2099, 3, 3, 8, tzinfo=UTC))
    add(dialogue, "proposals", datetime(2099, 3, 3, 8, tzinfo=UTC), None)
    db.session.commit()
    decision = permissions.can_propose(people["resident"], dialogue)
    with app.test_request_context():
        # Another year than this one: the year is written (moment_format).
        assert decision.message == "Förslag kan lämnas från 3 mars 2099 kl. 09:00."


# Drafts and invite-only dialogues ------------------------------------------------------


OUTSIDERS = ["anonymous", "unverified", "resident", "other_planner"]


def all_decisions(user, dialogue) -> dict[str, tuple[bool, str | None]]:
    checks = {"view": permissions.can_view, "follow": permissions.can_follow, **PARTICIPATION}
    return {name: decision_of(check(user, dialogue)) for name, check in checks.items()}


@pytest.mark.parametrize(
    "hidden",
    [
        {"state": DialogueState.draft},
        {"state": DialogueState.draft, "visibility": Visibility.invited},
        {"visibility": Visibility.invited},
    ],
    ids=["draft", "invited-draft", "invite-only"],
)
def test_hidden_dialogues_are_not_found_for_outsiders_and_visible_to_staff(
    db, people, hidden, make_dialogue
):
    now = utcnow().replace(microsecond=0)
    dialogue = with_current_phase(make_dialogue, "dold", "proposals", now, **hidden)
    staff_for(db, make_dialogue, dialogue, people)

    for role in OUTSIDERS:
        decisions = all_decisions(people[role], dialogue)
        assert decisions == dict.fromkeys(decisions, (False, "not_found")), role
    for role in ("planner", "admin"):
        assert decision_of(permissions.can_view(people[role], dialogue)) == (True, None), role
        assert decision_of(permissions.can_moderate(people[role], dialogue)) == (True, None), role
        # Seeing it is not a bypass of the phase: proposals are open, so they may propose.
        assert decision_of(permissions.can_propose(people[role], dialogue)) == (True, None), role
        assert decision_of(permissions.can_vote(people[role], dialogue)) == (False, "vote_closed")


def test_an_invitation_matches_a_verified_account_by_email(db, people, make_user, make_dialogue):
    now = utcnow().replace(microsecond=0)
    dialogue = with_current_phase(
        make_dialogue, "inbjuden", "proposals", now, visibility=Visibility.invited
    )
    invited = make_user(role="resident", email="granne@example.org")
    stranger = make_user(role="resident", email="okand@example.org")
    services.invite(dialogue, ["  Granne@Example.org "], by=people["admin"])
    db.session.commit()

    assert all_decisions(invited, dialogue) == {
        "view": (True, None),
        "follow": (True, None),
        "propose": (True, None),
        "comment": (True, None),
        "vote": (False, "vote_closed"),
    }
    assert decision_of(permissions.can_view(stranger, dialogue)) == (False, "not_found")
    # Being invited does not make anyone staff.
    assert decision_of(permissions.can_answer(invited, dialogue)) == (False, "not_a_planner")
    assert decision_of(permissions.can_invite(invited, dialogue)) == (False, "not_a_planner")


def test_an_unconfirmed_address_is_asked_to_confirm_before_accepting(
    db, people, make_user, make_dialogue
):
    now = utcnow().replace(microsecond=0)
    dialogue = with_current_phase(
        make_dialogue, "lank", "proposals", now, visibility=Visibility.invited
    )
    # Someone who registered with the invited address but never confirmed it.
    unconfirmed = make_user(role="resident", verified=False, email="ny@example.org")
    (invitation,) = services.invite(dialogue, ["ny@example.org"], by=people["admin"])
    db.session.commit()
    person = db.session.get(User, unconfirmed.id)
    assert decision_of(permissions.can_view(person, dialogue)) == (False, "not_found")
    refusal = permissions.can_accept_invitation(person, invitation)
    assert decision_of(refusal) == (False, "invitation_confirm_address")
    assert "Bekräfta din e-postadress" in refusal.message
    # Nor can the link be used to ask around the confirmation.
    assert decision_of(permissions.can_request_access(person, invitation)) == (
        False,
        "invitation_confirm_address",
    )
    with pytest.raises(Refused):
        services.accept_invitation(invitation, person)
    db.session.rollback()
    assert db.session.get(Invitation, invitation.id).user_id is None

    person = db.session.get(User, unconfirmed.id)
    person.email_verified_at = utcnow()
    db.session.commit()
    assert decision_of(permissions.can_view(person, dialogue)) == (True, None)
    services.accept_invitation(invitation, person)
    db.session.commit()
    assert db.session.get(Invitation, invitation.id).user_id == person.id


def test_an_account_with_another_address_cannot_accept_but_may_ask(
    db, people, make_user, make_dialogue
):
    now = utcnow().replace(microsecond=0)
    dialogue = with_current_phase(
        make_dialogue, "konto", "proposals", now, visibility=Visibility.invited
    )
    other_address = make_user(role="resident", email="annan-adress@example.org")
    (invitation,) = services.invite(dialogue, ["Jobb@Example.org"], by=people["admin"])
    db.session.commit()
    person = db.session.get(User, other_address.id)
    assert decision_of(permissions.can_accept_invitation(person, invitation)) == (
        False,
        "invitation_for_another_address",
    )
    assert decision_of(permissions.can_request_access(person, invitation)) == (True, None)
    with pytest.raises(Refused):
        services.accept_invitation(invitation, person)
    db.session.rollback()

    asked = services.request_access(invitation, db.session.get(User, other_address.id))
    db.session.commit()
    person = db.session.get(User, other_address.id)
    assert decision_of(permissions.can_view(person, dialogue)) == (False, "not_found")
    assert decision_of(permissions.can_request_access(person, invitation)) == (
        False,
        "access_requested",
    )
    services.decide_access_request(asked, approve=True, by=people["admin"])
    db.session.commit()
    assert decision_of(permissions.can_propose(person, dialogue)) == (True, None)
    assert decision_of(permissions.can_request_access(person, invitation)) == (
        False,
        "access_approved",
    )
    # The invited address's own account is not affected, and accepts as before.
    owner = db.session.get(User, make_user(role="resident", email="jobb@example.org").id)
    assert decision_of(permissions.can_accept_invitation(owner, invitation)) == (True, None)


def test_a_revoked_invitation_removes_access(db, people, make_user, make_dialogue):
    now = utcnow().replace(microsecond=0)
    dialogue = with_current_phase(
        make_dialogue, "aterkallad", "proposals", now, visibility=Visibility.invited
    )
    by_email = make_user(role="resident", email="epost@example.org")
    by_link = make_user(role="resident", email="lank@example.org")
    email_invitation, link_invitation = services.invite(
        dialogue, ["epost@example.org", "inbjudan@example.org"], by=people["admin"]
    )
    services.accept_invitation(email_invitation, db.session.get(User, by_email.id))
    asked = services.request_access(link_invitation, db.session.get(User, by_link.id))
    services.decide_access_request(asked, approve=True, by=people["admin"])
    db.session.commit()
    assert permissions.can_view(by_email, dialogue) and permissions.can_view(by_link, dialogue)

    for invitation in (email_invitation, link_invitation):
        services.revoke_invitation(invitation, by=people["admin"])
    db.session.commit()
    for person in (by_email, by_link):
        decisions = all_decisions(person, dialogue)
        assert decisions == dict.fromkeys(decisions, (False, "not_found"))
    revoked = db.session.scalars(select(Invitation).where(Invitation.dialogue_id == dialogue.id))
    assert all(invitation.revoked_at is not None for invitation in revoked)

    # Invited again: the address's own account is back; whoever was let in on request is
    # not, until they ask again with the new link and staff approve again.
    services.invite(dialogue, ["epost@example.org", "inbjudan@example.org"], by=people["admin"])
    db.session.commit()
    assert decision_of(permissions.can_view(by_email, dialogue)) == (True, None)
    assert decision_of(permissions.can_view(by_link, dialogue)) == (False, "not_found")


def test_an_invitation_to_one_dialogue_opens_no_other(db, people, make_user, make_dialogue):
    now = utcnow().replace(microsecond=0)
    first = with_current_phase(
        make_dialogue, "forsta", "proposals", now, visibility=Visibility.invited
    )
    second = with_current_phase(
        make_dialogue, "andra", "proposals", now, visibility=Visibility.invited
    )
    person = make_user(role="resident", email="bara-forsta@example.org")
    services.invite(first, ["bara-forsta@example.org"], by=people["admin"])
    db.session.commit()
    assert permissions.can_view(person, first)
    assert decision_of(permissions.can_view(person, second)) == (False, "not_found")


# Archived dialogues -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_archived_dialogues_can_be_read_but_not_taken_part_in(db, people, role, make_dialogue):
    now = utcnow().replace(microsecond=0)
    # Proposals are open by the schedule; the archive closes everything anyway.
    dialogue = with_current_phase(
        make_dialogue, "arkiv", "proposals", now, state=DialogueState.archived
    )
    staff_for(db, make_dialogue, dialogue, people)
    user = people[role]

    assert decision_of(permissions.can_view(user, dialogue)) == (True, None)
    for action, can in PARTICIPATION.items():
        assert decision_of(can(user, dialogue)) == (False, "dialogue_archived"), action


def test_archiving_closes_what_was_open(db, people, make_dialogue):
    now = utcnow().replace(microsecond=0)
    dialogue = with_current_phase(make_dialogue, "stangs", "voting", now)
    db.session.commit()
    resident = people["resident"]
    assert permissions.can_vote(resident, dialogue)

    services.set_state(dialogue, DialogueState.archived, by=people["admin"])
    db.session.commit()
    assert decision_of(permissions.can_vote(resident, dialogue)) == (False, "dialogue_archived")
    assert decision_of(permissions.can_view(people["anonymous"], dialogue)) == (True, None)
