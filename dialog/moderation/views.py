"""The report form, for proposals and comments alike."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from dialog.accounts import permissions as accounts
from dialog.core import limits
from dialog.core.forms import ActionForm
from dialog.core.permissions import Decision, Refused, require
from dialog.extensions import db
from dialog.moderation import permissions, queries, services
from dialog.moderation.forms import FlagForm, ReviewRequestForm, ScreenedWordForm
from dialog.moderation.labels import ACTION_DONE_LABELS
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


@bp.app_template_global("may_moderate")
def may_moderate() -> bool:
    return bool(permissions.can_open_queue(current_user))


@bp.app_template_global("action_done_label")
def action_done_label(action) -> str:
    return str(ACTION_DONE_LABELS[action])


@bp.app_template_global("review_offered")
def review_offered(decision) -> bool:
    return decision.action in permissions.REVIEWABLE


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


# The author's side: their contributions ("Dina bidrag", now a part of My page) and review
# requests ---------------------------------------------------------------------------------


@bp.get("/me/contributions")
def contributions():
    """The old address of the author's page: links in mail and bookmarks still lead there."""
    require(accounts.can_see_own_page(current_user))
    return redirect(url_for("accounts.my_page") + "#mine-proposals", code=301)


@bp.route("/moderation/decisions/<int:decision_id>/review", methods=["GET", "POST"])
@limits.write_limit(methods=["POST"])
def request_review(decision_id: int):
    decision = queries.decision(decision_id)
    if decision is None:
        require(accounts.can_follow(current_user))
        raise Refused(Decision.deny("not_found"))
    require(
        permissions.can_request_review(
            current_user, decision, requested=queries.review_of(decision) is not None
        )
    )
    form = ReviewRequestForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template(
            "moderation/review_request.html", form=form, decision=decision
        ), status
    services.request_review(decision, by=current_user, reason=form.reason.data)
    db.session.commit()
    flash(_("Thank you. Another moderator will look at the decision again."), "success")
    return redirect(url_for("accounts.my_page"))


# The administrators' screened-word list --------------------------------------------------


@bp.route("/admin/moderation/words", methods=["GET", "POST"])
@limits.write_limit(methods=["POST"])
def screened_words():
    require(permissions.can_manage_screened_words(current_user))
    form = ScreenedWordForm()
    if form.validate_on_submit():
        if services.add_screened_word(form.word.data, by=current_user):
            db.session.commit()
            flash(
                _("“%(word)s” is on the list.", word=form.word.data.strip().casefold()), "success"
            )
            return redirect(url_for("moderation.screened_words"))
        form.word.errors.append(_("That word is on the list already."))
    status = 400 if form.errors else 200
    return render_template(
        "moderation/words.html",
        form=form,
        words=queries.screened_word_rows(),
        remove_form=ActionForm(),
    ), status


@bp.post("/admin/moderation/words/<int:word_id>/remove")
@limits.write_limit()
def remove_screened_word(word_id: int):
    require(permissions.can_manage_screened_words(current_user))
    if not ActionForm().validate_on_submit():
        return redirect(url_for("moderation.screened_words"))
    services.remove_screened_word(word_id, by=current_user)
    db.session.commit()
    flash(_("The word is off the list."), "success")
    return redirect(url_for("moderation.screened_words"))
