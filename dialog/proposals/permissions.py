"""Who may do what with proposals, now; each refusal explains itself."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from dialog.core.permissions import REASONS, Decision
from dialog.dialogues import permissions as dialogues
from dialog.dialogues.models import Capability, DialogueState
from dialog.proposals.models import MAX_COMMENT_DEPTH, Proposal, ProposalState

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


def can_withdraw_vote(user, proposal: Proposal) -> Decision:
    # Also on a withdrawn proposal: the vote would otherwise hold a place in the
    # person's allowance for good.
    return dialogues.can_vote(user, proposal.dialogue)


def can_edit(user, proposal: Proposal) -> Decision:
    """Until the first comment or vote; in a phase for revising, after comments too."""
    if not user.is_authenticated:
        return Decision.deny("login_required")
    if proposal.author_id != user.id:
        return Decision.deny("not_the_author")
    if proposal.state is not ProposalState.published:
        return Decision.deny("proposal_withdrawn")
    if proposal.dialogue.state is DialogueState.archived:
        return Decision.deny("dialogue_archived")
    if proposal.total_votes:
        return Decision.deny("already_discussed")
    if proposal.comment_count and not dialogues.can_participate(
        user, proposal.dialogue, Capability.revise
    ):
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


def can_comment(user, proposal: Proposal) -> Decision:
    if proposal.state is not ProposalState.published:
        return Decision.deny("proposal_withdrawn")
    return dialogues.can_comment(user, proposal.dialogue)


def can_reply(user, comment) -> Decision:
    if comment.depth >= MAX_COMMENT_DEPTH:
        return Decision.deny("thread_too_deep")
    if comment.is_deleted:
        return Decision.deny("comment_deleted")
    proposal = comment_proposal(comment)
    if proposal.state is not ProposalState.published:
        return Decision.deny("proposal_withdrawn")
    return dialogues.can_participate(user, proposal.dialogue, Capability.reply)


def can_edit_comment(user, comment) -> Decision:
    from dialog.core.db import utcnow
    from dialog.proposals.services import COMMENT_EDIT_WINDOW

    if not user.is_authenticated:
        return Decision.deny("login_required")
    if comment.author_id != user.id:
        return Decision.deny("not_the_comment_author")
    if comment.is_deleted:
        return Decision.deny("comment_deleted")
    if utcnow() - comment.created_at > COMMENT_EDIT_WINDOW:
        return Decision.deny("edit_window_over")
    return Decision.allow()


def can_delete_comment(user, comment) -> Decision:
    if not user.is_authenticated:
        return Decision.deny("login_required")
    if comment.author_id != user.id:
        return Decision.deny("not_the_comment_author")
    if comment.is_deleted:
        return Decision.deny("comment_deleted")
    return Decision.allow()


def can_answer(user, proposal: Proposal) -> Decision:
    return dialogues.can_answer(user, proposal.dialogue)


def can_follow(user, proposal: Proposal) -> Decision:
    return dialogues.can_follow(user, proposal.dialogue)


def comment_proposal(comment) -> Proposal:
    from dialog.extensions import db

    return db.session.get(Proposal, comment.proposal_id)


REASONS.update(
    {
        "thread_too_deep": _l("Replies go at most three levels deep; reply higher up."),
        "comment_deleted": _l("The comment has been deleted."),
        "not_the_comment_author": _l("Only the person who wrote the comment can do this."),
        "edit_window_over": _l("Comments can be edited for 15 minutes after they are written."),
    }
)
