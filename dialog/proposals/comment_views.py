"""Comment pages: writing, replying (in place on the proposal page, or on a thread's own
page), the replies loaded into a thread, editing and deleting. Routes of the proposals
blueprint."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from dialog.core import limits, urls
from dialog.core.permissions import Decision, Refused, require
from dialog.dialogues.models import Capability
from dialog.dialogues.permissions import can_participate
from dialog.extensions import db
from dialog.proposals import forms, permissions, queries, services
from dialog.proposals.models import Comment, Proposal, Stance
from dialog.proposals.views import bp, proposal_page
from dialog.proposals.visibility import content_shown_to, visible_comment, visible_proposal

# At most the comments above a reply are opened (the parent and the grandparent).
MOST_OPENED = 2


def _waits_for_review() -> str:
    return _("Your comment waits for review: a moderator reads it before others can see it.")


def _saved_for_review() -> str:
    return _("Your comment is saved and waits for review before others can see it again.")


def comment_section(proposal: Proposal) -> dict:
    """What the proposal page's comments need: a page of comments, their first replies
    (more under the comments the link names in `open`) and an empty reply form for the
    script to place under a comment."""
    comments = queries.top_level_comments(proposal, urls.page_number("comments_page"), current_user)
    return {
        "comments": comments,
        "thread": queries.thread_below(comments.items, current_user, depth=1, opened=_opened()),
        "reply_form": _reply_form(proposal),
    }


def _reply_form(proposal: Proposal) -> forms.CommentForm | None:
    """An empty form for the script to open under a comment, where replies can be written
    now (each comment's own "Reply" asks can_reply)."""
    if not can_participate(current_user, proposal.dialogue, Capability.reply):
        return None
    return forms.CommentForm(formdata=None)


def _opened() -> list[int]:
    raw = request.args.getlist("open")[:MOST_OPENED]
    return [int(value) for value in raw if value.isascii() and value.isdigit() and len(value) < 12]


def on_proposal_page(comment: Comment) -> str:
    """The proposal page at the comment, with its thread open as far as it needs."""
    return url_for(
        "proposals.show",
        proposal_id=comment.proposal_id,
        **queries.place_of(comment, current_user),
        _anchor=f"c{comment.id}",
    )


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
    return redirect(on_proposal_page(added))


@bp.get("/c/<int:comment_id>")
def thread(comment_id: int):
    return _thread_page(visible_comment(comment_id, current_user), forms.CommentForm())


def _thread_page(comment, form) -> str:
    if not content_shown_to(current_user, comment.proposal):
        return render_template("moderation/out_of_sight.html", proposal=comment.proposal)
    replies = queries.replies(comment, current_user)
    return render_template(
        "proposals/thread.html",
        comment=comment,
        proposal=comment.proposal,
        replies=replies,
        thread=queries.thread_below(replies, current_user, depth=comment.depth + 1),
        form=form,
        reply_form=_reply_form(comment.proposal),
        can_reply=permissions.can_reply(current_user, comment),
    )


@bp.get("/c/<int:comment_id>/replies")
def replies(comment_id: int):
    """The next replies to a comment, as HTML for the script that loads them into the
    thread; the same rules as the thread page, whose link it stands in for."""
    comment = visible_comment(comment_id, current_user)
    if not content_shown_to(current_user, comment.proposal):
        raise Refused(Decision.deny("not_found"))  # its threads went with the proposal
    start = _start()
    loaded, total = queries.replies_from(comment, current_user, start)
    return render_template(
        "proposals/replies_fragment.html",
        comment=comment,
        replies=loaded,
        thread=queries.thread_below(loaded, current_user, depth=comment.depth + 1),
        shown=start + len(loaded),
        more=max(total - start - len(loaded), 0),
    )


def _start() -> int:
    """How many replies the page shows already: anything that is not a number is none."""
    raw = request.args.get("start", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 6 else 0


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
    return redirect(on_proposal_page(added))


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
        return redirect(on_proposal_page(comment))
    return render_template(
        "proposals/comment_form.html", comment=comment, proposal=comment.proposal, form=form
    )


@bp.route("/c/<int:comment_id>/delete", methods=["GET", "POST"])
@limits.write_limit(methods=["POST"])
def delete_comment(comment_id: int):
    """Asks first, without JavaScript: a POST that did not come from the confirmation
    page's button shows the page instead of deleting."""
    comment = visible_comment(comment_id, current_user)
    require(permissions.can_delete_comment(current_user, comment))
    form = forms.DeleteCommentForm()
    if form.validate_on_submit():
        services.delete_comment(comment, by=current_user)
        db.session.commit()
        flash(_("Your comment is deleted."), "success")
        return redirect(on_proposal_page(comment))
    page = render_template(
        "proposals/delete_comment.html",
        comment=comment,
        proposal=comment.proposal,
        form=form,
        back=on_proposal_page(comment),
    )
    return page, 400 if form.csrf_token.errors else 200
