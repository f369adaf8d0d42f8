"""The report form, for proposals and comments alike."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from dialog.core import limits
from dialog.core.permissions import Decision, Refused, require
from dialog.extensions import db
from dialog.moderation import queries, services
from dialog.moderation.forms import FlagForm
from dialog.moderation.models import FlagReason
from dialog.moderation.permissions import can_flag
from dialog.proposals.visibility import content_shown_to, visible_comment, visible_proposal

bp = Blueprint("moderation", __name__)


@bp.route("/p/<int:proposal_id>/flag", methods=["GET", "POST"])
@limits.write_limit(methods=["POST"])
def flag_proposal(proposal_id: int):
    proposal = visible_proposal(proposal_id, current_user)
    back = url_for("proposals.show", proposal_id=proposal.id)
    return _flag(proposal, quoted=proposal.title, back=back)


@bp.route("/c/<int:comment_id>/flag", methods=["GET", "POST"])
@limits.write_limit(methods=["POST"])
def flag_comment(comment_id: int):
    comment = visible_comment(comment_id, current_user)
    back = url_for("proposals.thread", comment_id=comment.id)
    return _flag(comment, quoted=comment.body, back=back)


@bp.app_template_global("may_flag")
def may_flag(item) -> bool:
    """Offer "Report" to everyone but the author (a visitor is asked to log in first)."""
    if not current_user.is_authenticated:
        return item.is_shown and not getattr(item, "is_deleted", False)
    return bool(can_flag(current_user, item))


@bp.app_template_global("content_shown")
def content_shown(item) -> bool:
    return content_shown_to(current_user, item)


def _flag(item, *, quoted: str, back: str):
    require(can_flag(current_user, item))
    if queries.has_flagged(current_user, item):
        raise Refused(Decision.deny("flag_taken"))
    form = FlagForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("moderation/flag.html", form=form, quoted=quoted, back=back), status
    services.flag(item, by=current_user, reason=FlagReason(form.reason.data), text=form.text.data)
    db.session.commit()
    flash(_("Thank you. A moderator will look at what you reported."), "success")
    return redirect(back)
