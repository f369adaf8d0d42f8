"""Comment pages: writing, replying on a thread's own page, editing and deleting.
Routes of the proposals blueprint."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from dialog.core import limits
from dialog.core.forms import ActionForm
from dialog.core.permissions import require
from dialog.extensions import db
from dialog.proposals import forms, permissions, queries, services
from dialog.proposals.models import Stance
from dialog.proposals.views import bp, proposal_page
from dialog.proposals.visibility import content_shown_to, visible_comment, visible_proposal


def _waits_for_review() -> str:
    return _("Your comment waits for review: a moderator reads it before others can see it.")


def _saved_for_review() -> str:
    return _("Your comment is saved and waits for review before others can see it again.")


@bp.post("/p/<int:proposal_id>/comments")
@limits.write_limit()
def comment(proposal_id: int):
    proposal = visible_proposal(proposal_id, current_user)
    require(permissions.can_comment(current_user, proposal))
    form = forms.CommentForm()
    if not form.validate_on_submit():
        return proposal_page(proposal, form), 400
    added = services.add_comment(
        proposal, author=current_user, body=form.body.data, stance=Stance(form.stance.data)
    )
    db.session.commit()
    flash(_("Your comment is published.") if added.is_shown else _waits_for_review(), "success")
    return redirect(url_for("proposals.show", proposal_id=proposal.id, _anchor="comments"))


@bp.get("/c/<int:comment_id>")
def thread(comment_id: int):
    return _thread_page(visible_comment(comment_id, current_user), forms.CommentForm())


def _thread_page(comment, form) -> str:
    if not content_shown_to(current_user, comment.proposal):
        return render_template("moderation/out_of_sight.html", proposal=comment.proposal)
    return render_template(
        "proposals/thread.html",
        comment=comment,
        proposal=comment.proposal,
        replies=queries.replies(comment, current_user),
        form=form,
        can_reply=permissions.can_reply(current_user, comment),
    )


@bp.post("/c/<int:comment_id>/reply")
@limits.write_limit()
def reply(comment_id: int):
    comment = visible_comment(comment_id, current_user)
    require(permissions.can_reply(current_user, comment))
    form = forms.CommentForm()
    if not form.validate_on_submit():
        return _thread_page(comment, form), 400
    added = services.add_comment(
        comment.proposal,
        author=current_user,
        body=form.body.data,
        stance=Stance(form.stance.data),
        parent=comment,
    )
    db.session.commit()
    flash(_("Your reply is published.") if added.is_shown else _waits_for_review(), "success")
    return redirect(url_for("proposals.thread", comment_id=comment.id))


@bp.route("/c/<int:comment_id>/edit", methods=["GET", "POST"])
@limits.write_limit(methods=["POST"])
def edit_comment(comment_id: int):
    comment = visible_comment(comment_id, current_user)
    require(permissions.can_edit_comment(current_user, comment))
    form = forms.CommentForm(obj=comment)
    if request.method == "GET":
        form.stance.data = comment.stance.value
    if form.validate_on_submit():
        services.edit_comment(comment, body=form.body.data, stance=Stance(form.stance.data))
        db.session.commit()
        flash(_("Your comment is saved.") if comment.is_shown else _saved_for_review(), "success")
        return redirect(url_for("proposals.thread", comment_id=comment.id))
    return render_template(
        "proposals/comment_form.html", comment=comment, proposal=comment.proposal, form=form
    )


@bp.post("/c/<int:comment_id>/delete")
@limits.write_limit()
def delete_comment(comment_id: int):
    comment = visible_comment(comment_id, current_user)
    require(permissions.can_delete_comment(current_user, comment))
    if ActionForm().validate_on_submit():
        services.delete_comment(comment, by=current_user)
        db.session.commit()
        flash(_("Your comment is deleted."), "success")
    return redirect(url_for("proposals.show", proposal_id=comment.proposal_id, _anchor="comments"))
