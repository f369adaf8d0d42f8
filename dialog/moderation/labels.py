"""What each flag reason is called."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from dialog.moderation.models import Action, FlagReason

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


ACTION_LABELS = {
    Action.approve: _l("Approve"),
    Action.hide: _l("Hide"),
    Action.restore: _l("Show again"),
    Action.dismiss: _l("Dismiss the reports"),
    Action.redact: _l("Redact"),
    Action.block: _l("Block the author"),
}
# What the author is told the moderators did (their contributions page).
ACTION_DONE_LABELS = {
    Action.approve: _l("Approved"),
    Action.hide: _l("Hidden"),
    Action.restore: _l("Shown again"),
    Action.dismiss: _l("Reports dismissed"),
    Action.redact: _l("Redacted"),
    Action.block: _l("Author blocked"),
}
QUEUE_STATE_LABELS = {
    "open": _l("Waiting for a decision"),
    "pending": _l("Waiting for approval"),
    "held": _l("Held by reports"),
    "flagged": _l("Reported"),
    "review": _l("Review requested"),
    "hidden": _l("Hidden"),
}


def moderation_label(item) -> str:
    """Where an item stands, in the moderators' words."""
    from dialog.proposals.models import Moderation

    return str(
        {
            Moderation.shown: _l("Shown"),
            Moderation.pending: _l("Waiting for approval"),
            Moderation.held: _l("Held by reports"),
            Moderation.hidden: _l("Hidden"),
        }[item.moderation]
    )
