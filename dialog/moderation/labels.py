"""What each flag reason is called."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from dialog.moderation.models import FlagReason

FLAG_REASONS = {
    FlagReason.spam: _l("Spam or advertising"),
    FlagReason.offensive: _l("Offensive or threatening"),
    FlagReason.personal_data: _l("Personal data about someone"),
    FlagReason.off_topic: _l("Off topic"),
    FlagReason.other: _l("Something else"),
}


def out_of_sight_notice(item) -> str:
    """What stands in place of a proposal or comment out of sight (and what its author
    sees above it)."""
    from dialog.proposals.models import Moderation

    if item.moderation is Moderation.pending:
        return str(_l("Waiting for review"))
    if item.moderation is Moderation.held:
        return str(_l("Hidden while a moderator looks at reports about it"))
    if item.moderation is Moderation.hidden:
        return str(_l("Hidden by a moderator: %(reason)s")) % {
            "reason": item.moderation_reason or ""
        }
    return ""
