"""Who may do what in a dialogue, now. One function per action; each explains a refusal."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from dialog.accounts import permissions as accounts
from dialog.core.permissions import REASONS, Decision
from dialog.dialogues import queries
from dialog.dialogues.models import Capability, Dialogue, DialogueState
from dialog.dialogues.services import next_opening

REASONS.update(
    {
        "not_found": _l("The page could not be found."),
        "dialogue_archived": _l("The dialogue is closed; it can still be read."),
        "not_a_planner": _l("Only the dialogue's planners can do this."),
        "propose_closed": _l("Proposals cannot be made now."),
        "propose_opens": _l("Proposals can be made from %(opens_at)s."),
        "comment_closed": _l("Comments are closed now."),
        "comment_opens": _l("Commenting opens %(opens_at)s."),
        "reply_closed": _l("Replies are closed now."),
        "reply_opens": _l("Replies open %(opens_at)s."),
        "revise_closed": _l("Proposals cannot be revised now."),
        "revise_opens": _l("Proposals can be revised from %(opens_at)s."),
        "vote_closed": _l("Voting is closed now."),
        "vote_opens": _l("Voting opens %(opens_at)s."),
        "answer_closed": _l("Official answers are not given in this phase."),
        "answer_opens": _l("Official answers are given from %(opens_at)s."),
        "show_results_closed": _l("The results are not published yet."),
        "show_results_opens": _l("The results are published %(opens_at)s."),
    }
)

RESIDENT_ACTIONS = (Capability.propose, Capability.comment, Capability.vote)


def is_admin(user) -> bool:
    return user.is_authenticated and user.is_admin


def is_planner_of(user, dialogue: Dialogue) -> bool:
    return user.is_authenticated and any(p.user_id == user.id for p in dialogue.planners)


def is_staff_of(user, dialogue: Dialogue) -> bool:
    return is_admin(user) or is_planner_of(user, dialogue)


def can_view(user, dialogue: Dialogue) -> Decision:
    """Drafts are for staff; invite-only dialogues for staff and the invited. Others: 404."""
    if is_staff_of(user, dialogue):
        return Decision.allow()
    if dialogue.state is DialogueState.draft:
        return Decision.deny("not_found")
    if not dialogue.is_public and not (
        user.is_authenticated and queries.is_invited(dialogue, user)
    ):
        return Decision.deny("not_found")
    return Decision.allow()


def can_participate(user, dialogue: Dialogue, capability: Capability) -> Decision:
    """Propose, comment, reply, revise or vote: the open phase must allow it, then the
    person must be logged in with a confirmed address. Staff get no bypass here."""
    if not (decision := can_view(user, dialogue)):
        return decision
    if dialogue.state is DialogueState.archived:
        return Decision.deny("dialogue_archived")
    phase = dialogue.current_phase
    if phase is None or not phase.allows(capability):
        opens_at = next_opening(dialogue, capability)
        if opens_at is not None:
            return Decision.deny(f"{capability.value}_opens", opens_at=opens_at)
        return Decision.deny(f"{capability.value}_closed")
    return accounts.can_contribute(user)


def can_propose(user, dialogue: Dialogue) -> Decision:
    return can_participate(user, dialogue, Capability.propose)


def can_comment(user, dialogue: Dialogue) -> Decision:
    return can_participate(user, dialogue, Capability.comment)


def can_vote(user, dialogue: Dialogue) -> Decision:
    return can_participate(user, dialogue, Capability.vote)


def can_answer(user, dialogue: Dialogue) -> Decision:
    """Official answers: the dialogue's planners and admins, whatever the phase."""
    if not user.is_authenticated:
        return Decision.deny("login_required")
    if not is_staff_of(user, dialogue):
        return Decision.deny("not_a_planner")
    return Decision.allow()


def can_moderate(user, dialogue: Dialogue) -> Decision:
    return can_answer(user, dialogue)


def can_follow(user, dialogue: Dialogue) -> Decision:
    if not (decision := can_view(user, dialogue)):
        return decision
    return accounts.can_follow(user)


def can_invite(user, dialogue: Dialogue) -> Decision:
    if not user.is_authenticated:
        return Decision.deny("login_required")
    if not is_staff_of(user, dialogue):
        return Decision.deny("not_a_planner")
    return Decision.allow()


def can_manage(user) -> Decision:
    """Create, edit, publish, archive and schedule dialogues; assign planners."""
    return accounts.can_manage_roles(user)
