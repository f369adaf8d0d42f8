"""Who may see a proposal and a comment: their dialogue's rule, then their own state.

Lists, counts, search, exports and the API hold only what the moderators let through
(`Moderation.shown`), and the person's own items (with their state, "waiting for
review"). The page of a held or hidden item stays, in place of its content the reason
it is out of sight (threads keep their shape, as for a deleted comment); an item waiting
for pre-moderation is not found by anyone but its author and the dialogue's staff.
"""

from __future__ import annotations

from sqlalchemy import and_, or_, select
from sqlalchemy.sql.elements import ColumnElement

from dialog.core.permissions import Decision, Refused
from dialog.dialogues.models import Dialogue, DialoguePlanner
from dialog.dialogues.visibility import (
    can_view,
    has_staff_role,
    is_admin,
    is_staff_of,
    visible_dialogues,
)
from dialog.proposals.models import Comment, Moderation, Proposal


def shown_proposals(user) -> ColumnElement[bool]:
    """A WHERE clause on Proposal for its own state, within dialogues already checked:
    what the moderators let through, and the person's own."""
    let_through = Proposal.moderation == Moderation.shown
    if not user.is_authenticated:
        return let_through
    return or_(let_through, Proposal.author_id == user.id)


def shown_comments(user) -> ColumnElement[bool]:
    """A WHERE clause on Comment for a thread, within proposals already checked: held and
    hidden comments keep their place (shown as out of sight), pending ones are the
    author's alone."""
    in_thread = Comment.moderation != Moderation.pending
    if not user.is_authenticated:
        return in_thread
    return or_(in_thread, Comment.author_id == user.id)


def visible_proposals(user) -> ColumnElement[bool]:
    """A WHERE clause on Proposal, across dialogues: the whole rule."""
    in_visible_dialogue = Proposal.dialogue_id.in_(
        select(Dialogue.id).where(visible_dialogues(user))
    )
    return and_(in_visible_dialogue, shown_proposals(user))


def findable_proposals(user) -> ColumnElement[bool]:
    """A WHERE clause on Proposal, across dialogues, for what `can_see_proposal` lets
    this person open: held and hidden ones too (their page gives the reason in place of
    their words), pending ones only for their author and the dialogue's staff."""
    in_visible_dialogue = Proposal.dialogue_id.in_(
        select(Dialogue.id).where(visible_dialogues(user))
    )
    past_premoderation = Proposal.moderation != Moderation.pending
    if not user.is_authenticated:
        return and_(in_visible_dialogue, past_premoderation)
    if is_admin(user):
        return in_visible_dialogue
    exceptions = [Proposal.author_id == user.id]
    if has_staff_role(user):
        exceptions.append(
            Proposal.dialogue_id.in_(
                select(DialoguePlanner.dialogue_id).where(DialoguePlanner.user_id == user.id)
            )
        )
    return and_(in_visible_dialogue, or_(past_premoderation, *exceptions))


def can_see_proposal(user, proposal: Proposal) -> Decision:
    if not (decision := can_view(user, proposal.dialogue)):
        return decision
    return _past_premoderation(user, proposal, proposal.dialogue)


def can_see_comment(user, comment: Comment) -> Decision:
    if not (decision := can_see_proposal(user, comment.proposal)):
        return decision
    return _past_premoderation(user, comment, comment.proposal.dialogue)


def _past_premoderation(user, item, dialogue: Dialogue) -> Decision:
    if item.moderation is not Moderation.pending:
        return Decision.allow()
    if user.is_authenticated and (item.author_id == user.id or is_staff_of(user, dialogue)):
        return Decision.allow()
    return Decision.deny("not_found")


def content_shown_to(user, item) -> bool:
    """Whether the page shows the item's own words to this person: out of sight for
    everyone but its author and the dialogue's staff while held, hidden or pending."""
    if item.moderation is Moderation.shown:
        return True
    dialogue = item.proposal.dialogue if isinstance(item, Comment) else item.dialogue
    return user.is_authenticated and (item.author_id == user.id or is_staff_of(user, dialogue))


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
