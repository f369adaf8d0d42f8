"""Who may see a dialogue: the one rule, as a query filter and as a check.

The filter serves every list, count, search, export and the API; the check serves a
dialogue already loaded. Both are built from the same three grants, written side by side
below (staff; published and public; published and invited), and a test compares them over
every combination of state, visibility and viewer. Proposals and comments inherit the
rule through their dialogue (dialog/proposals/visibility.py).

What may not be seen is not there: a refusal is `not_found`, answered with 404.
"""

from __future__ import annotations

from flask import has_request_context, request
from flask_login import AnonymousUserMixin
from sqlalchemy import and_, exists, false, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from dialog.core.permissions import Decision, Refused
from dialog.dialogues.models import (
    AccessRequest,
    AccessRequestState,
    Dialogue,
    DialoguePlanner,
    DialogueState,
    Invitation,
    Visibility,
)
from dialog.extensions import db

# The API and the pages cached for everyone see what a visitor without an account sees.
EVERYONE = AnonymousUserMixin()


def is_admin(user) -> bool:
    return user.is_authenticated and user.is_admin


def is_planner_of(user, dialogue: Dialogue) -> bool:
    """Assigned to the dialogue, and still staff: an assignment left behind by a lowered
    role or a closed account grants nothing."""
    return (
        user.is_authenticated
        and has_staff_role(user)
        and any(p.user_id == user.id for p in dialogue.planners)
    )


def has_staff_role(user) -> bool:
    return user.is_active and (user.is_planner or user.is_admin)


def is_staff_of(user, dialogue: Dialogue) -> bool:
    return is_admin(user) or is_planner_of(user, dialogue)


# The rule as SQL --------------------------------------------------------------------


def visible_dialogues(user) -> ColumnElement[bool]:
    """A WHERE clause on Dialogue: the dialogues this person may see."""
    if is_admin(user):
        return true()
    published = Dialogue.state != DialogueState.draft
    grants = [and_(published, Dialogue.visibility == Visibility.public)]
    if user.is_authenticated:
        if has_staff_role(user):
            grants.append(_plans(user))
        grants.append(and_(published, Dialogue.id.in_(_invited_dialogue_ids(user))))
    return or_(*grants)


def _plans(user) -> ColumnElement[bool]:
    return exists().where(
        DialoguePlanner.dialogue_id == Dialogue.id, DialoguePlanner.user_id == user.id
    )


def _invited_dialogue_ids(user):
    """Dialogues with an active invitation to the account's confirmed address, accepted by
    the account, or whose staff approved the account's request for access. Revoking an
    invitation clears its acceptance and requests, so renewing it opens nothing old."""
    bound = Invitation.user_id == user.id
    by_address = Invitation.email == user.email if user.is_verified else false()
    approved = Invitation.id.in_(
        select(AccessRequest.invitation_id).where(
            AccessRequest.user_id == user.id,
            AccessRequest.state == AccessRequestState.approved,
        )
    )
    return select(Invitation.dialogue_id).where(
        Invitation.revoked_at.is_(None), or_(bound, by_address, approved)
    )


def viewers_of(dialogue: Dialogue) -> ColumnElement[bool]:
    """A WHERE clause on User: everyone who may see this dialogue, for telling its
    followers what happened without asking about each one."""
    from dialog.accounts.models import Role, User

    staff_role = and_(User.active.is_(True), User.role.in_((Role.planner, Role.admin)))
    grants = [
        and_(User.active.is_(True), User.role == Role.admin),
        and_(
            staff_role,
            exists().where(
                DialoguePlanner.dialogue_id == dialogue.id, DialoguePlanner.user_id == User.id
            ),
        ),
    ]
    if dialogue.state is not DialogueState.draft:
        if dialogue.visibility is Visibility.public:
            return true()
        grants.append(_invited_to(dialogue, User))
    return or_(*grants)


def _invited_to(dialogue: Dialogue, User) -> ColumnElement[bool]:
    """The people `_invited_dialogue_ids` finds the dialogue for, as a clause on User."""
    active = and_(Invitation.dialogue_id == dialogue.id, Invitation.revoked_at.is_(None))
    by_address = and_(Invitation.email == User.email, User.email_verified_at.is_not(None))
    # Correlated by hand: nested two deep, the person's row is the outer query's.
    approved = (
        exists()
        .where(
            AccessRequest.invitation_id == Invitation.id,
            AccessRequest.user_id == User.id,
            AccessRequest.state == AccessRequestState.approved,
        )
        .correlate_except(AccessRequest)
    )
    return (
        exists()
        .where(active, or_(Invitation.user_id == User.id, by_address, approved))
        .correlate_except(Invitation)
    )


# The same rule for one dialogue -----------------------------------------------------


def can_view(user, dialogue: Dialogue) -> Decision:
    if is_staff_of(user, dialogue):
        return Decision.allow()
    if dialogue.state is not DialogueState.draft:
        if dialogue.visibility is Visibility.public:
            return Decision.allow()
        if user.is_authenticated and dialogue.id in invited_dialogue_ids(user):
            return Decision.allow()
    return Decision.deny("not_found")


def invited_dialogue_ids(user) -> frozenset[int]:
    """Read once per request, however many checks a page makes."""
    memo = _request_memo()
    if user.id not in memo:
        memo[user.id] = frozenset(db.session.scalars(_invited_dialogue_ids(user)))
    return memo[user.id]


def _request_memo() -> dict:
    # Kept on the request, not on `g`: an application context can outlive many requests.
    if not has_request_context():
        return {}
    return request.environ.setdefault("dialog.invited_dialogue_ids", {})


# Loading ------------------------------------------------------------------------------


def visible_dialogue(slug: str, user) -> Dialogue:
    """The dialogue with its schedule and planners; Refused (404) when this person may
    not see it or it does not exist."""
    from dialog.dialogues.queries import dialogue_by_slug

    dialogue = dialogue_by_slug(slug)
    if dialogue is None:
        raise Refused(Decision.deny("not_found"))
    decision = can_view(user, dialogue)
    if not decision:
        raise Refused(decision)
    return dialogue
