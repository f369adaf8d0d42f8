"""Who may flag, moderate and ask for a review."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from dialog.accounts import permissions as accounts
from dialog.core.permissions import REASONS, Decision
from dialog.dialogues.permissions import can_moderate
from dialog.moderation.models import Action, ModerationDecision
from dialog.proposals.models import Moderation

REASONS.update(
    {
        "flag_own": _l("You cannot report what you wrote yourself."),
        "flag_not_shown": _l("This is already out of sight while a moderator looks at it."),
        "flag_taken": _l("You have already reported this. A moderator will look at it."),
        "blocked": _l(
            "A moderator has stopped you from taking part in this dialogue until "
            "%(until)s. The reason given: %(why)s"
        ),
        "moderate_own": _l("Another moderator decides about what you wrote yourself."),
        "action_not_applicable": _l("That cannot be done to this item as it stands now."),
        "originals_purged": _l(
            "The words the redaction took out are no longer kept, so it cannot be undone. "
            "Let the decision stand, or hide the item instead."
        ),
        "review_not_yours": _l(
            "Only the author can ask for a decision about their content to be reviewed."
        ),
        "review_taken": _l("You have already asked for this decision to be reviewed."),
        "review_not_possible": _l("Only a decision that hid, redacted or blocked can be reviewed."),
        "review_own_decision": _l(
            "Another moderator or an administrator reviews your own decision."
        ),
    }
)

# What each action needs the item to be: a flag already decided, a hidden item restored.
APPLIES_TO = {
    Action.approve: lambda item: item.moderation in (Moderation.pending, Moderation.held),
    Action.hide: lambda item: item.moderation is not Moderation.hidden,
    Action.restore: lambda item: item.moderation is Moderation.hidden,
    Action.dismiss: lambda item: item.open_flags > 0,
    Action.redact: lambda item: not getattr(item, "is_deleted", False),
    Action.block: lambda item: item.author_id is not None,
}
# Decisions an author may ask another moderator to look at again.
REVIEWABLE = frozenset({Action.hide, Action.redact, Action.block})


def can_flag(user, item) -> Decision:
    """Report a proposal or comment the person can see: once, with a confirmed address,
    and not their own."""
    if not (decision := accounts.can_contribute(user)):
        return decision
    if item.author_id == user.id:
        return Decision.deny("flag_own")
    if not item.is_shown or getattr(item, "is_deleted", False):
        return Decision.deny("flag_not_shown")
    return not_blocked(user, dialogue_of(item))


def not_blocked(user, dialogue) -> Decision:
    from dialog.moderation.queries import active_block

    if (block := active_block(user, dialogue)) is not None:
        return Decision.deny("blocked", until=block.ends_at, why=block.decision.reason or "")
    return Decision.allow()


def dialogue_of(item):
    return item.proposal.dialogue if hasattr(item, "proposal") else item.dialogue


def can_moderate_item(user, item, dialogue, action: Action | None = None) -> Decision:
    """The dialogue's planners and the administrators, never on their own content; with
    an action, only one that fits the item's state."""
    if not (decision := can_moderate(user, dialogue)):
        return decision
    if item.author_id == user.id:
        return Decision.deny("moderate_own")
    if action is not None and not APPLIES_TO[action](item):
        return Decision.deny("action_not_applicable")
    return Decision.allow()


def can_request_review(user, decision: ModerationDecision, *, requested: bool) -> Decision:
    """The author, once per decision that took something away, in a dialogue they see;
    to anyone else the decision is not there."""
    from dialog.dialogues.visibility import can_view

    if not (answer := can_view(user, decision.dialogue)):
        return answer
    if not (answer := accounts.can_follow(user)):  # logged in, confirmed or not
        return answer
    if decision.author_id != user.id:
        return Decision.deny("not_found")
    if decision.action not in REVIEWABLE:
        return Decision.deny("review_not_possible")
    if requested:
        return Decision.deny("review_taken")
    return Decision.allow()


def can_review(user, decision: ModerationDecision, item, dialogue) -> Decision:
    """Another moderator of the dialogue, or an administrator, never the one who decided."""
    if not (answer := can_moderate_item(user, item, dialogue)):
        return answer
    if decision.moderator_id == user.id:
        return Decision.deny("review_own_decision")
    return Decision.allow()


def can_open_queue(user) -> Decision:
    """Planners (for the dialogues they plan) and administrators."""
    from dialog.dialogues.visibility import has_staff_role

    if not user.is_authenticated:
        return Decision.deny("login_required")
    if not has_staff_role(user):
        return Decision.deny("not_a_planner")
    return Decision.allow()


def can_manage_screened_words(user) -> Decision:
    return accounts.can_manage_roles(user)
