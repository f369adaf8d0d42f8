"""Who may see a proposal and a comment: their dialogue's rule, then their own state.

Today a proposal or comment is seen wherever its dialogue is; moderation adds its hidden
and pending states here, in `shown_proposals`/`shown_comments` and the checks beside them,
and every list, count, search, export and the API follows.
"""

from __future__ import annotations

from sqlalchemy import and_, select, true
from sqlalchemy.sql.elements import ColumnElement

from dialog.core.permissions import Decision, Refused
from dialog.dialogues.models import Dialogue
from dialog.dialogues.visibility import can_view, visible_dialogues
from dialog.proposals.models import Comment, Proposal


def shown_proposals(user) -> ColumnElement[bool]:
    """A WHERE clause on Proposal for its own state, within dialogues already checked."""
    return true()


def shown_comments(user) -> ColumnElement[bool]:
    """A WHERE clause on Comment for its own state, within proposals already checked."""
    return true()


def visible_proposals(user) -> ColumnElement[bool]:
    """A WHERE clause on Proposal, across dialogues: the whole rule."""
    in_visible_dialogue = Proposal.dialogue_id.in_(
        select(Dialogue.id).where(visible_dialogues(user))
    )
    return and_(in_visible_dialogue, shown_proposals(user))


def can_see_proposal(user, proposal: Proposal) -> Decision:
    return can_view(user, proposal.dialogue)


def can_see_comment(user, comment: Comment) -> Decision:
    return can_see_proposal(user, comment.proposal)


def visible_proposal(proposal_id: int, user) -> Proposal:
    """The proposal with its dialogue's schedule; Refused (404) when not to be seen."""
    from dialog.proposals.queries import proposal

    found = proposal(proposal_id)
    _require_seen(found, lambda: can_see_proposal(user, found))
    return found


def visible_comment(comment_id: int, user) -> Comment:
    """The comment with its proposal and dialogue; Refused (404) when not to be seen."""
    from dialog.proposals.queries import comment

    found = comment(comment_id)
    _require_seen(found, lambda: can_see_comment(user, found))
    return found


def _require_seen(found, decide) -> None:
    if found is None:
        raise Refused(Decision.deny("not_found"))
    decision = decide()
    if not decision:
        raise Refused(decision)
