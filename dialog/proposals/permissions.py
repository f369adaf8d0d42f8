"""Who may do what with proposals, now; each refusal explains itself."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from dialog.core.permissions import REASONS, Decision
from dialog.dialogues import permissions as dialogues
from dialog.proposals.models import Proposal, ProposalState

REASONS.update(
    {
        "vote_limit_reached": _l(
            "You have used all your votes in this dialogue. Withdraw a vote "
            "to vote for another proposal."
        ),
        "vote_value_not_allowed": _l("That kind of vote is not used in this dialogue."),
        "proposal_withdrawn": _l("The proposal has been withdrawn."),
        "not_the_author": _l("Only the person who made the proposal can do this."),
        "already_discussed": _l(
            "The proposal can no longer be edited: others have commented on or voted for it."
        ),
    }
)


def can_create(user, dialogue) -> Decision:
    return dialogues.can_propose(user, dialogue)


def can_vote(user, proposal: Proposal) -> Decision:
    if proposal.state is not ProposalState.published:
        return Decision.deny("proposal_withdrawn")
    return dialogues.can_vote(user, proposal.dialogue)


def can_edit(user, proposal: Proposal) -> Decision:
    if not user.is_authenticated:
        return Decision.deny("login_required")
    if proposal.author_id != user.id:
        return Decision.deny("not_the_author")
    if proposal.state is not ProposalState.published:
        return Decision.deny("proposal_withdrawn")
    if proposal.comment_count or proposal.total_votes:
        return Decision.deny("already_discussed")
    return Decision.allow()


def can_withdraw(user, proposal: Proposal) -> Decision:
    if not user.is_authenticated:
        return Decision.deny("login_required")
    if proposal.author_id != user.id:
        return Decision.deny("not_the_author")
    if proposal.state is not ProposalState.published:
        return Decision.deny("proposal_withdrawn")
    return Decision.allow()


def can_enter_on_behalf(user, dialogue) -> Decision:
    """Planners record input that came by letter, phone, email or a workshop."""
    return dialogues.can_answer(user, dialogue)
