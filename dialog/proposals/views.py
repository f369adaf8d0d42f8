"""Proposal pages: the list, a proposal with its votes, submitting, editing, withdrawing."""

from __future__ import annotations

import random

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from dialog.core import images, limits, page_cache, storage, urls
from dialog.core.forms import ActionForm
from dialog.core.markdown import render as render_markdown
from dialog.core.models import StoredFile
from dialog.core.permissions import Decision, require
from dialog.dialogues import permissions as dialogue_permissions
from dialog.dialogues import queries as dialogue_queries
from dialog.dialogues.models import Capability
from dialog.extensions import db, limiter
from dialog.proposals import forms, permissions, queries, services
from dialog.proposals.labels import VOTE_LABELS
from dialog.proposals.models import AnswerStatus, Proposal, Source, Stance, VoteValue

bp = Blueprint("proposals", __name__)


def _visible_dialogue(slug: str):
    dialogue = dialogue_queries.dialogue_by_slug(slug)
    if dialogue is None or not dialogue_permissions.can_view(current_user, dialogue):
        abort(404)
    return dialogue


def _visible_proposal(proposal_id: int) -> Proposal:
    proposal = queries.proposal(proposal_id)
    if proposal is None or not dialogue_permissions.can_view(current_user, proposal.dialogue):
        abort(404)
    return proposal


RANDOM_ORDERS = 16


def _random_order() -> int:
    # One of a few rotations, kept per visitor: their order is stable while they page
    # through it, visitors differ, and anonymous pages stay cacheable.
    if "random_order" not in session:
        session["random_order"] = random.randrange(RANDOM_ORDERS)
    return session["random_order"]


@bp.get("/d/<slug>/proposals")
def index(slug: str):
    order = _random_order()
    cache_key = page_cache.key(str(order))
    if (html := page_cache.get(cache_key)) is not None:
        return html
    dialogue = _visible_dialogue(slug)
    filters = _list_filters(dialogue, order)
    page_number = urls.page_number()
    listing, shown_ids = page_cache.fragment(
        _listing_key(dialogue, filters, page_number),
        lambda: _render_listing(dialogue, filters, page_number),
    )
    return page_cache.keep(
        cache_key,
        render_template(
            "proposals/index.html",
            dialogue=dialogue,
            listing=_with_own_votes(listing, queries.votes_of(current_user, shown_ids)),
            can_create=permissions.can_create(current_user, dialogue),
            can_enter=permissions.can_enter_on_behalf(current_user, dialogue),
        ),
    )


def _list_filters(dialogue, order: int) -> queries.Filters:
    """The filters asked for; values the dialogue does not offer are left out."""
    phase = dialogue.current_phase
    default_sort = "random" if phase is not None and phase.allows(Capability.vote) else "newest"
    sort = _offered(request.args.get("sort"), queries.SORTS) or default_sort
    return queries.Filters(
        theme=_offered(request.args.get("theme"), dialogue.themes),
        focus_area=_offered(request.args.get("focus_area"), dialogue.focus_areas),
        dimension=_offered(request.args.get("dimension"), queries.DIMENSIONS),
        sort=sort,
        random_offset=order / RANDOM_ORDERS if sort == "random" else 0.0,
        text=(request.args.get("q") or "").strip()[:200] or None,
        status=_offered(request.args.get("status"), queries.STATUS_FILTERS),
        place=request.args.get("place") or None,
    )


def _offered(value: str | None, choices) -> str | None:
    return value if value in choices else None


CACHED_PAGES = 10


def _listing_key(dialogue, filters: queries.Filters, page_number: int) -> str | None:
    """The cache key of a list everyone may ask for, or None for a rarer one: free-text
    searches, far pages and places outside the dialogue's list would only fill the cache."""
    if filters.text or page_number > CACHED_PAGES:
        return None
    if filters.place and filters.place not in dialogue.named_places:
        return None
    return f"proposals:{dialogue.id}:{dialogue.listing_version}:{filters}:{page_number}"


def _render_listing(dialogue, filters: queries.Filters, page_number: int) -> tuple[str, list[int]]:
    """The list as everyone sees it, and the proposals it shows."""
    page = queries.proposals_page(dialogue, filters, page_number)
    html = render_template(
        "proposals/_listing.html",
        dialogue=dialogue,
        page=page,
        filters=filters,
        places=queries.place_names(dialogue),
    )
    return html, [proposal.id for proposal in page.items]


def _with_own_votes(listing: str, votes: dict[int, VoteValue]) -> Markup:
    for proposal_id, value in votes.items():
        mark = Markup(" · <strong>{}</strong>").format(
            _("You voted: %(value)s", value=VOTE_LABELS[value])
        )
        listing = listing.replace(f"<!--own-vote:{proposal_id}-->", mark)
    return Markup(listing)


@bp.route("/d/<slug>/proposals/new", methods=["GET", "POST"])
@limiter.limit(limits.writes, methods=["POST"])
def create(slug: str):
    dialogue = _visible_dialogue(slug)
    require(permissions.can_create(current_user, dialogue))
    form = forms.ProposalForm(dialogue)
    if form.validate_on_submit() and not request.form.get("edit"):
        image_id = _image_from(form)
        if image_id is False:
            return render_template(
                "proposals/form.html", dialogue=dialogue, form=form, proposal=None
            ), 400
        if not request.form.get("confirmed"):
            similar = queries.similar(dialogue, form.title.data, form.body.data)
            if similar:
                # Duplicates split the votes: offer to support an existing proposal instead.
                db.session.commit()  # keeps an uploaded image for the next step
                return render_template(
                    "proposals/similar.html",
                    dialogue=dialogue,
                    form=form,
                    similar=similar,
                    votable={p.id for p in similar if permissions.can_vote(current_user, p)},
                    can_follow=dialogue_permissions.can_follow(current_user, dialogue),
                )
        proposal = services.create_proposal(
            dialogue, author=current_user, image_id=image_id, **form.values()
        )
        db.session.commit()
        flash(
            _("Thank you! Your proposal %(reference)s is published.", reference=proposal.reference),
            "success",
        )
        return redirect(url_for("proposals.show", proposal_id=proposal.id))
    return render_template("proposals/form.html", dialogue=dialogue, form=form, proposal=None)


def _image_from(form) -> int | None | bool:
    """The id of the form's image: a new upload, checked and cleaned, or one this visitor
    uploaded before the similar-proposals step. False when the upload is refused."""
    upload = form.image.data
    if upload and getattr(upload, "filename", ""):
        try:
            stored = images.store(upload.read(), upload.filename)
        except images.ImageRefused as refused:
            form.image.errors.append(str(refused))
            return False
        session["uploaded_images"] = [*session.get("uploaded_images", [])[-9:], stored.key]
        form.image_key.data = stored.key
        return stored.id
    key = form.image_key.data
    if key and key in session.get("uploaded_images", []):
        stored = storage.get(key)
        return stored.id if stored else None
    return None


@bp.get("/p/<int:proposal_id>/image")
def image(proposal_id: int):
    proposal = _visible_proposal(proposal_id)
    stored = db.session.get(StoredFile, proposal.image_id) if proposal.image_id else None
    if stored is None:
        abort(404)
    response = Response(storage.read(stored), mimetype=stored.content_type)
    response.headers["Cache-Control"] = (
        "public, max-age=86400" if proposal.dialogue.is_public else "private, max-age=3600"
    )
    response.headers["Content-Disposition"] = "inline"
    return response


@bp.get("/p/<int:proposal_id>")
def show(proposal_id: int):
    return _proposal_page(_visible_proposal(proposal_id))


def _proposal_page(proposal: Proposal, comment_form: forms.CommentForm | None = None) -> str:
    vote = queries.votes_of(current_user, [proposal.id]).get(proposal.id)
    answer = queries.answer(proposal)
    staff = permissions.can_answer(current_user, proposal)
    return render_template(
        "proposals/show.html",
        answer=answer if answer and (answer.is_published or staff) else None,
        can_answer=staff,
        comments=queries.top_level_comments(proposal, urls.page_number("comments_page")),
        comment_form=comment_form or forms.CommentForm(),
        can_comment=permissions.can_comment(current_user, proposal),
        following=queries.is_following(proposal, current_user),
        can_follow=permissions.can_follow(current_user, proposal),
        proposal=proposal,
        dialogue=proposal.dialogue,
        body=render_markdown(proposal.body),
        vote=vote,
        can_vote=permissions.can_vote(current_user, proposal),
        can_withdraw_vote=vote and permissions.can_withdraw_vote(current_user, proposal),
        can_edit=permissions.can_edit(current_user, proposal),
        can_withdraw=permissions.can_withdraw(current_user, proposal),
        votes_left=queries.votes_left(current_user, proposal.dialogue),
        vote_form=forms.VoteForm(),
        action_form=ActionForm(),
    )


@bp.post("/p/<int:proposal_id>/vote")
@limiter.limit(limits.writes)
def vote(proposal_id: int):
    proposal = _visible_proposal(proposal_id)
    require(permissions.can_vote(current_user, proposal))
    form = forms.VoteForm()
    if form.validate_on_submit():
        try:
            services.cast_vote(current_user, proposal, VoteValue(form.value.data))
        except services.VoteRefused as refused:
            db.session.rollback()
            flash(Decision.deny(refused.reason).message, "error")
        else:
            db.session.commit()
            flash(_("Your vote is counted."), "success")
    return redirect(url_for("proposals.show", proposal_id=proposal_id))


@bp.post("/p/<int:proposal_id>/unvote")
@limiter.limit(limits.writes)
def unvote(proposal_id: int):
    proposal = _visible_proposal(proposal_id)
    require(permissions.can_withdraw_vote(current_user, proposal))
    if ActionForm().validate_on_submit():
        try:
            services.withdraw_vote(current_user, proposal)
        except services.VoteRefused as refused:
            db.session.rollback()
            flash(Decision.deny(refused.reason).message, "error")
        else:
            db.session.commit()
            flash(_("Your vote is withdrawn."), "success")
    return redirect(url_for("proposals.show", proposal_id=proposal_id))


@bp.route("/p/<int:proposal_id>/edit", methods=["GET", "POST"])
@limiter.limit(limits.writes, methods=["POST"])
def edit(proposal_id: int):
    proposal = _visible_proposal(proposal_id)
    require(permissions.can_edit(current_user, proposal))
    form = forms.ProposalForm(proposal.dialogue, obj=proposal)
    if form.validate_on_submit():
        services.update_proposal(proposal, by=current_user, **form.values())
        db.session.commit()
        flash(_("Your proposal is saved."), "success")
        return redirect(url_for("proposals.show", proposal_id=proposal.id))
    return render_template(
        "proposals/form.html", dialogue=proposal.dialogue, form=form, proposal=proposal
    )


@bp.route("/p/<int:proposal_id>/withdraw", methods=["GET", "POST"])
@limiter.limit(limits.writes, methods=["POST"])
def withdraw(proposal_id: int):
    proposal = _visible_proposal(proposal_id)
    require(permissions.can_withdraw(current_user, proposal))
    form = forms.WithdrawForm()
    if form.validate_on_submit():
        services.withdraw_proposal(proposal, by=current_user, reason=form.reason.data.strip())
        db.session.commit()
        flash(_("Your proposal is withdrawn."), "success")
        return redirect(url_for("proposals.show", proposal_id=proposal.id))
    return render_template("proposals/withdraw.html", proposal=proposal, form=form)


# Comments ----------------------------------------------------------------------------


def _visible_comment(comment_id: int):
    comment = queries.comment(comment_id)
    if comment is None:
        abort(404)
    return comment, _visible_proposal(comment.proposal_id)


@bp.post("/p/<int:proposal_id>/comments")
@limiter.limit(limits.writes)
def comment(proposal_id: int):
    proposal = _visible_proposal(proposal_id)
    require(permissions.can_comment(current_user, proposal))
    form = forms.CommentForm()
    if not form.validate_on_submit():
        return _proposal_page(proposal, form), 400
    services.add_comment(
        proposal,
        author=current_user,
        body=form.body.data,
        stance=Stance(form.stance.data),
        by_municipality=bool(permissions.can_answer(current_user, proposal)),
    )
    db.session.commit()
    flash(_("Your comment is published."), "success")
    return redirect(url_for("proposals.show", proposal_id=proposal.id, _anchor="comments"))


@bp.route("/c/<int:comment_id>", methods=["GET"])
def thread(comment_id: int):
    comment, proposal = _visible_comment(comment_id)
    return render_template(
        "proposals/thread.html",
        comment=comment,
        proposal=proposal,
        replies=queries.replies(comment),
        form=forms.CommentForm(),
        can_reply=permissions.can_reply(current_user, comment),
    )


@bp.post("/c/<int:comment_id>/reply")
@limiter.limit(limits.writes)
def reply(comment_id: int):
    comment, proposal = _visible_comment(comment_id)
    require(permissions.can_reply(current_user, comment))
    form = forms.CommentForm()
    if not form.validate_on_submit():
        return render_template(
            "proposals/thread.html",
            comment=comment,
            proposal=proposal,
            replies=queries.replies(comment),
            form=form,
            can_reply=permissions.can_reply(current_user, comment),
        ), 400
    services.add_comment(
        proposal,
        author=current_user,
        body=form.body.data,
        stance=Stance(form.stance.data),
        parent=comment,
        by_municipality=bool(permissions.can_answer(current_user, proposal)),
    )
    db.session.commit()
    flash(_("Your reply is published."), "success")
    return redirect(url_for("proposals.thread", comment_id=comment.id))


@bp.route("/c/<int:comment_id>/edit", methods=["GET", "POST"])
@limiter.limit(limits.writes, methods=["POST"])
def edit_comment(comment_id: int):
    comment, proposal = _visible_comment(comment_id)
    require(permissions.can_edit_comment(current_user, comment))
    form = forms.CommentForm(obj=comment)
    if request.method == "GET":
        form.stance.data = comment.stance.value
    if form.validate_on_submit():
        services.edit_comment(comment, body=form.body.data, stance=Stance(form.stance.data))
        db.session.commit()
        flash(_("Your comment is saved."), "success")
        return redirect(url_for("proposals.thread", comment_id=comment.id))
    return render_template(
        "proposals/comment_form.html", comment=comment, proposal=proposal, form=form
    )


@bp.post("/c/<int:comment_id>/delete")
@limiter.limit(limits.writes)
def delete_comment(comment_id: int):
    comment, proposal = _visible_comment(comment_id)
    require(permissions.can_delete_comment(current_user, comment))
    if ActionForm().validate_on_submit():
        services.delete_comment(comment, by=current_user)
        db.session.commit()
        flash(_("Your comment is deleted."), "success")
    return redirect(url_for("proposals.show", proposal_id=proposal.id, _anchor="comments"))


# Following and official answers ------------------------------------------------------


@bp.post("/p/<int:proposal_id>/<any(follow, unfollow):action>")
@limiter.limit(limits.writes)
def follow(proposal_id: int, action: str):
    proposal = _visible_proposal(proposal_id)
    require(permissions.can_follow(current_user, proposal))
    if ActionForm().validate_on_submit():
        (services.follow if action == "follow" else services.unfollow)(proposal, current_user)
        db.session.commit()
        flash(
            _("You follow the proposal.")
            if action == "follow"
            else _("You no longer follow the proposal."),
            "success",
        )
    return redirect(url_for("proposals.show", proposal_id=proposal.id))


@bp.route("/p/<int:proposal_id>/answer", methods=["GET", "POST"])
@limiter.limit(limits.writes, methods=["POST"])
def answer(proposal_id: int):
    proposal = _visible_proposal(proposal_id)
    require(permissions.can_answer(current_user, proposal))
    existing = queries.answer(proposal)
    form = forms.AnswerForm()
    if request.method == "GET" and existing is not None:
        status, form.body.data = existing.working_copy
        form.status.data = status.value
    if form.validate_on_submit():
        services.save_answer(
            proposal,
            status=AnswerStatus(form.status.data),
            body=form.body.data,
            publish=bool(form.publish.data),
            by=current_user,
        )
        db.session.commit()
        flash(
            _("The answer is published.")
            if form.publish.data
            else _("The answer is saved as a draft."),
            "success",
        )
        return redirect(url_for("proposals.show", proposal_id=proposal.id))
    return render_template(
        "proposals/answer_form.html", proposal=proposal, form=form, answer=existing
    )


@bp.route("/d/<slug>/proposals/enter", methods=["GET", "POST"])
@limiter.limit(limits.writes, methods=["POST"])
def enter(slug: str):
    dialogue = _visible_dialogue(slug)
    require(permissions.can_enter_on_behalf(current_user, dialogue))
    form = forms.EnteredProposalForm(dialogue)
    if form.validate_on_submit():
        image_id = _image_from(form)  # a photo sent with a letter, say
        if image_id is False:
            return _entry_form(dialogue, form), 400
        proposal = services.create_proposal(
            dialogue,
            author=None,
            entered_by=current_user,
            source=Source(form.source.data),
            image_id=image_id,
            **form.values(),
        )
        db.session.commit()
        flash(_("The proposal %(reference)s is recorded.", reference=proposal.reference), "success")
        return redirect(url_for("proposals.show", proposal_id=proposal.id))
    return _entry_form(dialogue, form)


def _entry_form(dialogue, form) -> str:
    return render_template(
        "proposals/form.html", dialogue=dialogue, form=form, proposal=None, entering=True
    )


@bp.get("/d/<slug>/proposals/map")
def map_view(slug: str):
    dialogue = _visible_dialogue(slug)
    placed = queries.placed_proposals(dialogue)
    points = [
        {
            "lat": p.place_lat,
            "lon": p.place_lon,
            "title": p.title,
            "url": url_for("proposals.show", proposal_id=p.id),
        }
        for p in placed
        if p.place_lat is not None
    ]
    return render_template(
        "proposals/map.html",
        dialogue=dialogue,
        placed=placed,
        points=points,
        tile_url=current_app.config["MAP_TILE_URL"],
        attribution=current_app.config["MAP_TILE_ATTRIBUTION"],
    )
