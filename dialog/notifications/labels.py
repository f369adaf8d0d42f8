"""What each notification says, alone or merged with others about the same thing, and
where it leads; the names of the categories and frequencies."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from dialog.notifications.models import Category, Frequency, Notification

CATEGORY_LABELS = {
    Category.phases: _l("Dialogues you follow: a phase starts, ends soon or has ended"),
    Category.comments: _l("Comments on your proposals and replies to your comments"),
    Category.answers: _l("The municipality's answers on proposals you wrote, follow or voted on"),
    Category.my_content: _l("A moderator's decisions about what you wrote"),
    Category.moderation: _l("For moderators: new reports and items waiting for review"),
    Category.reports: _l("For planners: a knowledge-base report you asked for is ready"),
}
FREQUENCY_LABELS = {
    Frequency.immediately: _l("At once"),
    Frequency.daily: _l("Once a day"),
    Frequency.weekly: _l("Once a week"),
    Frequency.off: _l("Never (only here)"),
}
# Staff-only categories are offered only to staff.
STAFF_CATEGORIES = frozenset({Category.moderation, Category.reports})


def describe(notification: Notification, count: int = 1) -> str:
    """One sentence; `count` notifications about the same thing are told as one."""
    params = notification.params or {}
    title = _title(notification)
    dialogue = notification.dialogue.title if notification.dialogue else ""
    kind = notification.kind
    if kind == "comment_on_proposal":
        return ngettext(
            "A new comment on your proposal “%(title)s”",
            "%(num)d new comments on your proposal “%(title)s”",
            count,
            title=title,
        )
    if kind == "reply":
        return ngettext(
            "A reply to your comment on “%(title)s”",
            "%(num)d replies to your comments on “%(title)s”",
            count,
            title=title,
        )
    if kind.startswith("answer_on_"):
        return _answer(kind, title, params)
    if kind.startswith("phase_"):
        return _phase(kind, params.get("phase", ""), dialogue)
    if kind.startswith("content_") or kind == "review_decided":
        return _own_content(kind, title, dialogue, params)
    if kind == "report_ready":
        return _(
            "Version %(version)d of the report on “%(dialogue)s” is ready",
            version=params.get("version", 0),
            dialogue=dialogue,
        )
    return _for_moderators(kind, title, dialogue, count)


def _answer(kind: str, title: str, params: dict) -> str:
    status, previous = _decision(params.get("status")), _decision(params.get("previous"))
    if kind == "answer_on_mine":
        if previous:
            return _(
                "The municipality has changed its answer to your proposal “%(title)s” from"
                " “%(previous)s” to “%(status)s”",
                title=title,
                previous=previous,
                status=status,
            )
        return _(
            "The municipality has answered your proposal “%(title)s”: %(status)s",
            title=title,
            status=status,
        )
    if previous:
        return _(
            "The municipality has changed its answer to the proposal “%(title)s” from"
            " “%(previous)s” to “%(status)s”",
            title=title,
            previous=previous,
            status=status,
        )
    return _(
        "The municipality has answered the proposal “%(title)s”: %(status)s",
        title=title,
        status=status,
    )


def _decision(value: str | None) -> str:
    from dialog.proposals.labels import ANSWER_LABELS
    from dialog.proposals.models import AnswerStatus

    return str(ANSWER_LABELS[AnswerStatus(value)]).lower() if value else ""


def _phase(kind: str, phase: str, dialogue: str) -> str:
    if kind == "phase_started":
        return _("“%(phase)s” has started in “%(dialogue)s”", phase=phase, dialogue=dialogue)
    if kind == "phase_ending_soon":
        return _(
            "“%(phase)s” in “%(dialogue)s” ends within 48 hours", phase=phase, dialogue=dialogue
        )
    return _("“%(phase)s” in “%(dialogue)s” has ended", phase=phase, dialogue=dialogue)


def _own_content(kind: str, title: str, dialogue: str, params: dict) -> str:
    reason = params.get("reason") or ""
    texts = {
        "content_held": _(
            "What you wrote on “%(title)s” is out of sight after several reports, until a"
            " moderator has looked at it",
            title=title,
        ),
        "content_hide": _(
            "A moderator has hidden what you wrote on “%(title)s”: %(reason)s",
            title=title,
            reason=reason,
        ),
        "content_restore": _(
            "A moderator has shown what you wrote on “%(title)s” again: %(reason)s",
            title=title,
            reason=reason,
        )
        if reason
        else _("What you wrote on “%(title)s” is shown again", title=title),
        "content_dismiss": _(
            "What you wrote on “%(title)s” is shown again: the reports were dismissed",
            title=title,
        ),
        "content_approve": _(
            "What you wrote on “%(title)s” is approved and shown to everyone", title=title
        ),
        "content_redact": _(
            "A moderator has taken personal data out of what you wrote on “%(title)s”: %(reason)s",
            title=title,
            reason=reason,
        ),
        "content_block": _(
            "You cannot take part in “%(dialogue)s” for a while: %(reason)s",
            dialogue=dialogue,
            reason=reason,
        ),
        "review_decided": _("Your review on “%(title)s”: the decision was reversed", title=title)
        if params.get("reversed")
        else _("Your review on “%(title)s”: the decision stands", title=title),
    }
    return texts.get(kind, title)


def _for_moderators(kind: str, title: str, dialogue: str, count: int) -> str:
    if kind == "flagged":
        return ngettext(
            "A new report on “%(title)s” in “%(dialogue)s”",
            "%(num)d new reports on “%(title)s” in “%(dialogue)s”",
            count,
            title=title,
            dialogue=dialogue,
        )
    if kind == "pending":
        return ngettext(
            "An item on “%(title)s” waits for review in “%(dialogue)s”",
            "%(num)d items on “%(title)s” wait for review in “%(dialogue)s”",
            count,
            title=title,
            dialogue=dialogue,
        )
    return _("An author asks for a review of a decision on “%(title)s”", title=title)


def _title(notification: Notification) -> str:
    """The proposal's title, unless it is out of sight to the person told: then its
    reference."""
    proposal = notification.proposal
    if proposal is None:
        return ""
    if (
        proposal.is_shown
        or proposal.author_id == notification.user_id
        or notification.category is Category.moderation
    ):
        return proposal.title
    return proposal.reference


def destination(notification: Notification) -> tuple[str, dict]:
    """Where the notification leads: an endpoint and its values, for `url_for` on a page
    and `public_url` in an email."""
    if notification.category is Category.moderation and notification.proposal_id:
        if notification.comment_id:
            return "moderation.item", {"key": f"c{notification.comment_id}"}
        return "moderation.item", {"key": f"p{notification.proposal_id}"}
    if notification.category is Category.my_content:
        return "accounts.my_page", {}
    if notification.kind == "report_ready":
        return "reports.show", {
            "slug": notification.dialogue.slug,
            "version": notification.params["version"],
        }
    if notification.comment_id:
        return "proposals.thread", {"comment_id": notification.comment_id}
    if notification.proposal_id:
        return "proposals.show", {"proposal_id": notification.proposal_id}
    return "dialogues.show", {"slug": notification.dialogue.slug}
