"""Who may do what in a dialogue, now. One function per action; each explains a refusal."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from dialog.accounts import permissions as accounts
from dialog.accounts.services import normalise_email
from dialog.core.db import utcnow
from dialog.core.permissions import REASONS, Decision
from dialog.dialogues.models import (
    AccessRequest,
    AccessRequestState,
    Capability,
    Dialogue,
    DialogueState,
    Invitation,
    Phase,
    VoteCounts,
)
from dialog.dialogues.schedule import next_opening
from dialog.dialogues.timeline import phase_moments
from dialog.dialogues.visibility import can_view, is_admin, is_planner_of, is_staff_of

__all__ = ["can_view", "is_admin", "is_planner_of", "is_staff_of"]  # the rule lives there

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
        "not_a_planner_account": _l(
            "There is no planner with that address. Give the person the planner role first."
        ),
        "phase_ended": _l("The phase has already ended; change its end first."),
        "phase_not_current": _l("Only the phase that is open now can be closed now."),
        "invitation_for_another_address": _l(
            "The invitation was sent to another email address than your account's."
        ),
        "invitation_confirm_address": _l(
            "Confirm your email address first: follow the link we sent you, "
            "then open the invitation again."
        ),
        "invitation_is_yours": _l(
            "The invitation was sent to your address: open its link to accept it."
        ),
        "access_requested": _l(
            "You have asked for access. The dialogue's planners will decide, and you will "
            "see the dialogue here once they approve."
        ),
        "access_refused": _l("The dialogue's planners have refused your request for access."),
        "access_approved": _l("Your request for access is already approved."),
        "access_request_decided": _l("This request has already been decided."),
    }
)

RESIDENT_ACTIONS = (Capability.propose, Capability.comment, Capability.vote)


def can_participate(
    user, dialogue: Dialogue, capability: Capability, at: datetime | None = None
) -> Decision:
    """Propose, comment, reply, revise or vote: the phase open at `at` (now) must allow it,
    then the person must be logged in with a confirmed address. Staff get no bypass here."""
    if not (decision := can_view(user, dialogue)):
        return decision
    if dialogue.state is DialogueState.archived:
        return Decision.deny("dialogue_archived")
    if not (decision := phase_allows(dialogue, capability, at)):
        return decision
    if not (decision := accounts.can_contribute(user)):
        return decision
    from dialog.moderation.permissions import not_blocked  # moderation imports this module

    return not_blocked(user, dialogue)


def phase_allows(dialogue: Dialogue, capability: Capability, at: datetime | None = None):
    """Whether the phase open at `at` allows it; a refusal says when it opens next."""
    at = at or utcnow()
    phase = dialogue.phase_at(at)
    if phase is not None and phase.allows(capability):
        return Decision.allow()
    opens_at = next_opening(dialogue, capability, after=at)
    if opens_at is not None:
        # Read with the dialogue's other dates: the year is written when they span two.
        span = phase_moments(dialogue.phases)
        return Decision.deny(f"{capability.value}_opens", opens_at=opens_at, span=span)
    return Decision.deny(f"{capability.value}_closed")


def can_propose(user, dialogue: Dialogue) -> Decision:
    return can_participate(user, dialogue, Capability.propose)


def can_comment(user, dialogue: Dialogue) -> Decision:
    return can_participate(user, dialogue, Capability.comment)


def can_vote(user, dialogue: Dialogue, at: datetime | None = None) -> Decision:
    """The dialogue's part of voting: phase and account. A proposal's vote adds the vote
    mode and the person's allowance (dialog/proposals/permissions.py)."""
    return can_participate(user, dialogue, Capability.vote, at)


def staff_only(user, dialogue: Dialogue) -> Decision:
    if not (decision := can_view(user, dialogue)):
        return decision
    if not user.is_authenticated:
        return Decision.deny("login_required")
    if not is_staff_of(user, dialogue):
        return Decision.deny("not_a_planner")
    return Decision.allow()


def can_answer(user, dialogue: Dialogue) -> Decision:
    """Official answers: the dialogue's planners and admins, in a phase that gives them
    (the review and result phases, or any phase an admin opened for answers)."""
    if not (decision := staff_only(user, dialogue)):
        return decision
    return phase_allows(dialogue, Capability.answer)


def can_enter_on_behalf(user, dialogue: Dialogue) -> Decision:
    """Record input that came by letter, phone, email or from a workshop."""
    if not (decision := staff_only(user, dialogue)):
        return decision
    if dialogue.state is DialogueState.archived:
        return Decision.deny("dialogue_archived")
    return Decision.allow()


def can_see_draft_answers(user, dialogue: Dialogue) -> Decision:
    return staff_only(user, dialogue)


def can_speak_for_municipality(user, dialogue: Dialogue) -> Decision:
    """What such a person writes carries the municipality's badge."""
    return staff_only(user, dialogue)


def can_moderate(user, dialogue: Dialogue) -> Decision:
    return staff_only(user, dialogue)


def can_see_vote_counts(user, dialogue: Dialogue) -> Decision:
    """Live counts, as CONSUL shows supports; or hidden until the results are published, as
    Decidim's hidden votes. Staff always see them."""
    if dialogue.vote_counts is VoteCounts.live or is_staff_of(user, dialogue):
        return Decision.allow()
    return results_published(dialogue)


def results_published(dialogue: Dialogue) -> Decision:
    """From the first phase that shows results on, or once the dialogue is archived."""
    now = utcnow()
    if dialogue.state is DialogueState.archived or any(
        phase.starts_at <= now and phase.allows(Capability.show_results)
        for phase in dialogue.phases
    ):
        return Decision.allow()
    return phase_allows(dialogue, Capability.show_results, now)


def can_follow(user, dialogue: Dialogue) -> Decision:
    if not (decision := can_view(user, dialogue)):
        return decision
    return accounts.can_follow(user)


def can_invite(user, dialogue: Dialogue) -> Decision:
    return staff_only(user, dialogue)


# Invitations: the person who follows a link, and the staff who decide --------------------


def is_invited_address(user, invitation: Invitation) -> bool:
    """Whether the account's address is the one invited, compared as accounts store it."""
    return normalise_email(user.email) == normalise_email(invitation.email)


def can_accept_invitation(user, invitation: Invitation) -> Decision:
    """Only the account whose confirmed address was invited accepts; anyone else with
    the link may ask for access instead."""
    if not user.is_authenticated:
        return Decision.deny("login_required")
    if not invitation.is_active:
        return Decision.deny("not_found")
    if not is_invited_address(user, invitation):
        return Decision.deny("invitation_for_another_address")
    if not user.is_verified:
        return Decision.deny("invitation_confirm_address")
    return Decision.allow()


def can_request_access(user, invitation: Invitation) -> Decision:
    """Ask the dialogue's staff for access through a link sent to another address. The
    account must have a confirmed address, so staff know who they are letting in."""
    if not user.is_authenticated:
        return Decision.deny("login_required")
    if not invitation.is_active:
        return Decision.deny("not_found")
    if not user.is_verified:
        return Decision.deny("invitation_confirm_address")
    if is_invited_address(user, invitation):
        return Decision.deny("invitation_is_yours")
    earlier = next((r for r in invitation.access_requests if r.user_id == user.id), None)
    if earlier is not None:
        return Decision.deny(EARLIER_REQUEST[earlier.state])
    return Decision.allow()


EARLIER_REQUEST = {
    AccessRequestState.pending: "access_requested",
    AccessRequestState.approved: "access_approved",
    AccessRequestState.refused: "access_refused",
}


def can_revoke_invitation(user, dialogue: Dialogue, invitation: Invitation) -> Decision:
    if not (decision := can_invite(user, dialogue)):
        return decision
    if invitation.dialogue_id != dialogue.id:
        return Decision.deny("not_found")
    return Decision.allow()


def _can_decide(user, dialogue: Dialogue, access_request: AccessRequest) -> Decision:
    if not (decision := can_invite(user, dialogue)):
        return decision
    if access_request.invitation.dialogue_id != dialogue.id:
        return Decision.deny("not_found")
    if not access_request.is_pending:
        return Decision.deny("access_request_decided")
    return Decision.allow()


def can_approve_access(user, dialogue: Dialogue, access_request: AccessRequest) -> Decision:
    """Let the account that asked see the dialogue while the invitation is active."""
    return _can_decide(user, dialogue, access_request)


def can_refuse_access(user, dialogue: Dialogue, access_request: AccessRequest) -> Decision:
    return _can_decide(user, dialogue, access_request)


def can_manage(user) -> Decision:
    """Create, edit, publish, archive and schedule dialogues; assign planners."""
    return accounts.can_manage_roles(user)


def can_be_planner(person) -> Decision:
    """Who may be assigned to a dialogue as its planner: staff accounts only."""
    if person is None or not (person.is_planner or person.is_admin):
        return Decision.deny("not_a_planner_account")
    return Decision.allow()


def can_open_now(user, phase: Phase) -> Decision:
    if not (decision := can_manage(user)):
        return decision
    if phase.ends_at is not None and phase.ends_at <= utcnow():
        return Decision.deny("phase_ended")
    return Decision.allow()


def can_close_now(user, phase: Phase) -> Decision:
    if not (decision := can_manage(user)):
        return decision
    if not phase.contains(utcnow()):
        return Decision.deny("phase_not_current")
    return Decision.allow()
