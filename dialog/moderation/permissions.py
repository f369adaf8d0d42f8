"""Who may flag what."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from dialog.accounts import permissions as accounts
from dialog.core.permissions import REASONS, Decision

REASONS.update(
    {
        "flag_own": _l("You cannot report what you wrote yourself."),
        "flag_not_shown": _l("This is already out of sight while a moderator looks at it."),
        "flag_taken": _l("You have already reported this. A moderator will look at it."),
    }
)


def can_flag(user, item) -> Decision:
    """Report a proposal or comment the person can see: once, with a confirmed address,
    and not their own."""
    if not (decision := accounts.can_contribute(user)):
        return decision
    if item.author_id == user.id:
        return Decision.deny("flag_own")
    if not item.is_shown or getattr(item, "is_deleted", False):
        return Decision.deny("flag_not_shown")
    return Decision.allow()
