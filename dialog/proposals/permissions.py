"""Who may do what with proposals, comments and votes, now; each refusal explains itself.

Services call the same functions again under their locks, so what the page said and what
the service decides cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l

from dialog.core.db import utcnow
from dialog.core.permissions import REASONS, Decision
from dialog.dialogues import permissions as dialogues
from dialog.dialogues.models import Capability, Dialogue, VoteMode
from dialog.proposals.models import (
    COMMENT_EDIT_WINDOW,
    MAX_COMMENT_DEPTH,
    Comment,
    Moderation,
    OfficialAnswer,
    Proposal,
    VoteValue,
)
from dialog.proposals.visibility import can_see_comment, can_see_proposal

REASONS.update(
    {
        "vote_limit_reached": _l(
            "You have used your %(limit)d votes in this dialogue. Withdraw one of them "
            "to vote for another proposal."
        ),
        "vote_value_not_allowed": _l("That kind of vote is not used in this dialogue."),
        "proposal_withdrawn": _l("The proposal has been withdrawn."),
        "out_of_sight": _l("This is out of sight until a moderator has looked at it."),
        "moderated": _l(
            "A moderator has hidden or changed this, so it can no longer be edited. You can "
            "ask for a review of the decision on My page."
        ),
        "not_the_author": _l("Only the person who made the proposal can do this."),
        "already_discussed": _l(
            "The proposal can no longer be edited: others have commented on or voted for it."
        ),
        "thread_too_deep": _l("Replies go at most three levels deep; reply higher up."),
        "comment_deleted": _l("The comment has been deleted."),
        "not_the_comment_author": _l("Only the person who wrote the comment can do this."),
        "edit_window_over": _l("Comments can be edited for 15 minutes after they are written."),
    }
)

VOTE_VALUES = {
    VoteMode.for_against: (VoteValue.for_, VoteValue.against, VoteValue.abstain),
    VoteMode.support: (VoteValue.support,),
}


@dataclass(frozen=True)
class VoteStanding:
    """What a person has cast so far: their vote on the proposal, and votes used in the
    dialogue. Read by the page, and under the ballot lock by the service."""

    current: VoteValue | None = None
    used: int = 0

    def votes_left(self, limit: int | None) -> int | None:
        return None if limit is None else max(limit - self.used, 0)


def vote_values(dialogue: Dialogue) -> tuple[VoteValue, ...]:
    return VOTE_VALUES[dialogue.vote_mode]


def can_create(user, dialogue: Dialogue) -> Decision:
    return dialogues.can_propose(user, dialogue)


def can_vote(
    user,
    proposal: Proposal,
    value: VoteValue | None = None,
    *,
    standing: VoteStanding | None = None,
    at: datetime | None = None,
) -> Decision:
    """Cast or change a vote: an open voting phase, a value the dialogue uses, and a vote
    left in the person's allowance (changing a vote uses none)."""
    dialogue = proposal.dialogue
    if not (decision := can_see_proposal(user, proposal)):
        return decision
    if proposal.is_withdrawn:
        return Decision.deny("proposal_withdrawn")
    if not proposal.is_shown:
        return Decision.deny("out_of_sight")
    if not (decision := dialogues.can_vote(user, dialogue, at)):
        return decision
    if value is not None and value not in vote_values(dialogue):
        return Decision.deny("vote_value_not_allowed")
    limit = dialogue.votes_per_participant
    if limit is None:
        return Decision.allow()
    if standing is None:
        from dialog.proposals.queries import vote_standing

        standing = vote_standing(user, proposal)
    if standing.current is None and standing.used >= limit:
        return Decision.deny("vote_limit_reached", limit=limit)
    return Decision.allow()


def can_withdraw_vote(user, proposal: Proposal, at: datetime | None = None) -> Decision:
    # Also on a withdrawn proposal: the vote would otherwise hold a place in the
    # person's allowance for good.
    if not (decision := can_see_proposal(user, proposal)):
        return decision
    return dialogues.can_vote(user, proposal.dialogue, at)


def can_see_vote_counts(user, dialogue: Dialogue) -> Decision:
    return dialogues.can_see_vote_counts(user, dialogue)


def can_edit(user, proposal: Proposal) -> Decision:
    """Until the first comment or vote; in a phase for revising, after comments too."""
    if not (decision := _authors_own(user, proposal)):
        return decision
    if not (decision := _not_archived(proposal.dialogue)):
        return decision
    if not (decision := _left_to_its_author(user, proposal, proposal.dialogue)):
        return decision
    if proposal.total_votes:
        return Decision.deny("already_discussed")
    if proposal.comment_count and not dialogues.can_participate(
        user, proposal.dialogue, Capability.revise
    ):
        return Decision.deny("already_discussed")
    return Decision.allow()


def can_withdraw(user, proposal: Proposal) -> Decision:
    if not (decision := _authors_own(user, proposal)):
        return decision
    return _not_archived(proposal.dialogue)


def _not_archived(dialogue: Dialogue) -> Decision:
    # An archived dialogue is the record of what was said: it can be read, not changed.
    if dialogue.is_archived:
        return Decision.deny("dialogue_archived")
    return Decision.allow()


def _authors_own(user, proposal: Proposal) -> Decision:
    if not (decision := can_see_proposal(user, proposal)):
        return decision
    if not user.is_authenticated:
        return Decision.deny("login_required")
    if proposal.author_id != user.id:
        return Decision.deny("not_the_author")
    if proposal.is_withdrawn:
        return Decision.deny("proposal_withdrawn")
    return Decision.allow()


def can_enter_on_behalf(user, dialogue: Dialogue) -> Decision:
    """Planners record input that came by letter, phone, email or a workshop."""
    return dialogues.can_enter_on_behalf(user, dialogue)


def can_answer(user, proposal: Proposal) -> Decision:
    return _once_seen(user, proposal, dialogues.can_answer)


def can_see_draft_answer(user, proposal: Proposal) -> Decision:
    return _once_seen(user, proposal, dialogues.can_see_draft_answers)


def can_see_sender(user, proposal: Proposal) -> Decision:
    """Who sent a letter or called is for the dialogue's staff: residents read the input,
    when it arrived and its case number, never the sender's name."""
    return _once_seen(user, proposal, dialogues.staff_only)


def can_see_answer(user, proposal: Proposal, answer: OfficialAnswer | None) -> Decision:
    """A published answer is for everyone; a draft only for the dialogue's staff."""
    if answer is None:
        return Decision.deny("not_found")
    if answer.is_published:
        return Decision.allow()
    return can_see_draft_answer(user, proposal)


def can_speak_for_municipality(user, proposal: Proposal) -> Decision:
    return _once_seen(user, proposal, dialogues.can_speak_for_municipality)


def can_follow(user, proposal: Proposal) -> Decision:
    return _once_seen(user, proposal, dialogues.can_follow)


def _once_seen(user, proposal: Proposal, dialogue_rule) -> Decision:
    """The dialogue's rule, asked only of someone who may see the proposal itself."""
    if not (decision := can_see_proposal(user, proposal)):
        return decision
    return dialogue_rule(user, proposal.dialogue)


def can_comment(user, proposal: Proposal) -> Decision:
    if not (decision := can_see_proposal(user, proposal)):
        return decision
    if proposal.is_withdrawn:
        return Decision.deny("proposal_withdrawn")
    if not proposal.is_shown:
        return Decision.deny("out_of_sight")
    return dialogues.can_comment(user, proposal.dialogue)


def can_reply(user, comment: Comment) -> Decision:
    if not (decision := can_see_comment(user, comment)):
        return decision
    if comment.depth >= MAX_COMMENT_DEPTH:
        return Decision.deny("thread_too_deep")
    if comment.is_deleted:
        return Decision.deny("comment_deleted")
    if comment.proposal.is_withdrawn:
        return Decision.deny("proposal_withdrawn")
    if not (comment.is_shown and comment.proposal.is_shown):
        return Decision.deny("out_of_sight")
    return dialogues.can_participate(user, comment.proposal.dialogue, Capability.reply)


def can_edit_comment(user, comment: Comment) -> Decision:
    if not (decision := _comment_authors_own(user, comment)):
        return decision
    if not (decision := _not_archived(comment.proposal.dialogue)):
        return decision
    if not (decision := _left_to_its_author(user, comment, comment.proposal.dialogue)):
        return decision
    if utcnow() - comment.created_at > COMMENT_EDIT_WINDOW:
        return Decision.deny("edit_window_over")
    return Decision.allow()


def _left_to_its_author(user, item, dialogue: Dialogue) -> Decision:
    """An edit must not undo a moderator: what one hid, holds or redacted stays as they
    left it (the author asks for a review instead), and a blocked author edits nothing."""
    from dialog.moderation.permissions import not_blocked
    from dialog.moderation.queries import redacted

    if item.moderation in (Moderation.held, Moderation.hidden) or redacted(item):
        return Decision.deny("moderated")
    return not_blocked(user, dialogue)


def can_delete_comment(user, comment: Comment) -> Decision:
    if not (decision := _comment_authors_own(user, comment)):
        return decision
    return _not_archived(comment.proposal.dialogue)


def _comment_authors_own(user, comment: Comment) -> Decision:
    if not (decision := can_see_comment(user, comment)):
        return decision
    if not user.is_authenticated:
        return Decision.deny("login_required")
    if comment.author_id != user.id:
        return Decision.deny("not_the_comment_author")
    if comment.is_deleted:
        return Decision.deny("comment_deleted")
    return Decision.allow()
