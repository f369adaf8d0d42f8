"""Proposal pages: the list, a proposal with its votes, editing, withdrawing, following,
official answers and the map.

Submitting lives in submission.py and comments in comment_views.py: routes of this one
blueprint, imported at the end of this module.
"""

from __future__ import annotations

import random

from flask import (
    Blueprint,
    Response,
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
from dialog.core.permissions import Decision, Refused, require
from dialog.dialogues.visibility import visible_dialogue
from dialog.extensions import db
from dialog.proposals import forms, maps, permissions, queries, services
from dialog.proposals.labels import VOTE_LABELS
from dialog.proposals.models import AnswerStatus, Proposal, VoteValue
from dialog.proposals.visibility import content_shown_to, visible_proposal

bp = Blueprint("proposals", __name__)

RANDOM_ORDERS = 16


def _random_order() -> int:
    # One of a few rotations, kept per visitor: their order is stable while they page
    # through it, visitors differ, and anonymous pages stay cacheable.
    if "random_order" not in session:
        session["random_order"] = random.randrange(RANDOM_ORDERS)
    return session["random_order"]


@bp.get("/d/<slug>/proposals")
def index(slug: str):
    dialogue = visible_dialogue(slug, current_user)  # before the cache: never serve a
    order = _random_order()  # dialogue made draft or invite-only from it
    # A reference typed into the search box leads to its proposal; asked before the
    # cache, which would keep a search from before the proposal was let through.
    if found := queries.referenced_proposal(request.args.get("q"), dialogue, current_user):
        return redirect(url_for("proposals.show", proposal_id=found))
    # Keyed by the listing version too: a proposal a moderator hid is never served again.
    cache_key = page_cache.key(f"{order}:{dialogue.listing_version}")
    if (html := page_cache.get(cache_key)) is not None:
        return html
    counts_shown = permissions.can_see_vote_counts(current_user, dialogue)
    filters = queries.parse_filters(
        request.args,
        dialogue,
        counts_shown=bool(counts_shown),
        random_offset=order / RANDOM_ORDERS,
    )
    page_number = urls.page_number()
    listing, shown_ids = page_cache.fragment(
        _listing_key(dialogue, filters, page_number, bool(counts_shown)),
        lambda: _render_listing(dialogue, filters, page_number, counts_shown),
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


CACHED_PAGES = 10


def _listing_key(dialogue, filters, page_number: int, counts_shown: bool) -> str | None:
    """The cache key of a list everyone may ask for, or None for a rarer one: free-text
    searches, far pages and places outside the dialogue's list would only fill the cache."""
    if filters.text or page_number > CACHED_PAGES:
        return None
    if filters.place and filters.place not in dialogue.named_places:
        return None
    return (
        f"proposals:{dialogue.id}:{dialogue.listing_version}:{filters}:{page_number}"
        f":counts={counts_shown}"
    )


def _render_listing(dialogue, filters, page_number: int, counts_shown) -> tuple[str, list[int]]:
    """The list as everyone sees it, and the proposals it shows."""
    page = queries.proposals_page(dialogue, filters, page_number)
    html = render_template(
        "proposals/_listing.html",
        dialogue=dialogue,
        page=page,
        filters=filters,
        sorts=queries.sorts_for(bool(counts_shown)),
        counts_shown=counts_shown,
        places=queries.place_names(dialogue),
        statuses=queries.published_statuses([proposal.id for proposal in page.items]),
    )
    return html, [proposal.id for proposal in page.items]


def _with_own_votes(listing: str, votes: dict[int, VoteValue]) -> Markup:
    for proposal_id, value in votes.items():
        mark = Markup(" · <strong>{}</strong>").format(
            _("You voted: %(value)s", value=VOTE_LABELS[value])
        )
        listing = listing.replace(f"<!--own-vote:{proposal_id}-->", mark)
    return Markup(listing)


@bp.get("/p/<int:proposal_id>/image")
def image(proposal_id: int):
    proposal = visible_proposal(proposal_id, current_user)
    shown = content_shown_to(current_user, proposal)
    stored = db.session.get(StoredFile, proposal.image_id) if proposal.image_id and shown else None
    if stored is None:
        raise Refused(Decision.deny("not_found"))
    data = storage.read(stored)
    if request.args.get("size") == "card":
        # Keyed by the file: a stored file never changes, a new image is a new file.
        data = page_cache.fragment(
            f"card-image:{stored.key}", lambda: images.scaled(data, stored.content_type)
        )
    response = Response(data, mimetype=stored.content_type)
    # Kept only on answers to visitors without an account, who are shown an image only
    # where everyone may see it; every answer to a logged-in person (an invited member's
    # included) becomes no-store, so a revoked invitation ends access at once.
    # Short, since hiding the proposal must take its image out of shared caches soon.
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Content-Disposition"] = "inline"
    return response


@bp.get("/p/<int:proposal_id>")
def show(proposal_id: int):
    return proposal_page(visible_proposal(proposal_id, current_user))


def proposal_page(proposal: Proposal, comment_form: forms.CommentForm | None = None) -> str:
    user = current_user
    if not content_shown_to(user, proposal):
        return render_template("moderation/out_of_sight.html", proposal=proposal)
    standing = queries.vote_standing(user, proposal)
    answer = queries.answer(proposal)
    can_vote = permissions.can_vote(user, proposal, standing=standing)
    return render_template(
        "proposals/show.html",
        proposal=proposal,
        dialogue=proposal.dialogue,
        body=render_markdown(proposal.body),
        answer=answer if permissions.can_see_answer(user, proposal, answer) else None,
        can_answer=permissions.can_answer(user, proposal),
        sees_drafts=permissions.can_see_draft_answer(user, proposal),
        sees_sender=proposal.sender_name and permissions.can_see_sender(user, proposal),
        **comment_views.comment_section(proposal),
        comment_form=comment_form or forms.CommentForm(),
        can_comment=permissions.can_comment(user, proposal),
        following=queries.is_following(proposal, user),
        can_follow=permissions.can_follow(user, proposal),
        standing=standing,
        counts_shown=permissions.can_see_vote_counts(user, proposal.dialogue),
        can_vote=can_vote,
        vote_values=permissions.vote_values(proposal.dialogue) if can_vote else (),
        votes_left=standing.votes_left(proposal.dialogue.votes_per_participant),
        can_withdraw_vote=standing.current and permissions.can_withdraw_vote(user, proposal),
        can_edit=permissions.can_edit(user, proposal),
        can_withdraw=permissions.can_withdraw(user, proposal),
        vote_form=forms.VoteForm(),
        action_form=ActionForm(),
    )


@bp.post("/p/<int:proposal_id>/vote")
@limits.write_limit()
def vote(proposal_id: int):
    proposal = visible_proposal(proposal_id, current_user)
    require(permissions.can_vote(current_user, proposal))
    form = forms.VoteForm()
    if form.validate_on_submit():
        services.cast_vote(current_user, proposal, VoteValue(form.value.data))
        db.session.commit()
        flash(_("Your vote is counted."), "success")
    return redirect(url_for("proposals.show", proposal_id=proposal_id))


@bp.post("/p/<int:proposal_id>/unvote")
@limits.write_limit()
def unvote(proposal_id: int):
    proposal = visible_proposal(proposal_id, current_user)
    require(permissions.can_withdraw_vote(current_user, proposal))
    if ActionForm().validate_on_submit():
        services.withdraw_vote(current_user, proposal)
        db.session.commit()
        flash(_("Your vote is withdrawn."), "success")
    return redirect(url_for("proposals.show", proposal_id=proposal_id))


@bp.route("/p/<int:proposal_id>/edit", methods=["GET", "POST"])
@limits.write_limit(methods=["POST"])
def edit(proposal_id: int):
    proposal = visible_proposal(proposal_id, current_user)
    require(permissions.can_edit(current_user, proposal))
    form = forms.ProposalForm(proposal.dialogue, obj=proposal)
    if form.validate_on_submit():
        services.update_proposal(proposal, by=current_user, **form.values())
        db.session.commit()
        if proposal.is_shown:
            flash(_("Your proposal is saved."), "success")
        else:
            flash(
                _("Your proposal is saved and waits for review before others can see it again."),
                "success",
            )
        return redirect(url_for("proposals.show", proposal_id=proposal.id))
    return render_template(
        "proposals/form.html", dialogue=proposal.dialogue, form=form, proposal=proposal
    )


@bp.route("/p/<int:proposal_id>/withdraw", methods=["GET", "POST"])
@limits.write_limit(methods=["POST"])
def withdraw(proposal_id: int):
    proposal = visible_proposal(proposal_id, current_user)
    require(permissions.can_withdraw(current_user, proposal))
    form = forms.WithdrawForm()
    if form.validate_on_submit():
        services.withdraw_proposal(proposal, by=current_user, reason=form.reason.data.strip())
        db.session.commit()
        flash(_("Your proposal is withdrawn."), "success")
        return redirect(url_for("proposals.show", proposal_id=proposal.id))
    return render_template("proposals/withdraw.html", proposal=proposal, form=form)


@bp.post("/p/<int:proposal_id>/<any(follow, unfollow):action>")
@limits.write_limit()
def follow(proposal_id: int, action: str):
    proposal = visible_proposal(proposal_id, current_user)
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
@limits.write_limit(methods=["POST"])
def answer(proposal_id: int):
    proposal = visible_proposal(proposal_id, current_user)
    require(permissions.can_answer(current_user, proposal))
    existing = queries.answer(proposal)
    form = forms.AnswerForm()
    if request.method == "GET":
        _fill_answer_form(form, proposal, existing)
    if form.validate_on_submit():
        services.save_answer(
            proposal,
            status=AnswerStatus(form.status.data),
            body=form.body.data,
            department=form.department.data,
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


def _fill_answer_form(form: forms.AnswerForm, proposal: Proposal, existing) -> None:
    """The answer to continue from; a first answer names the department that answered
    last in the dialogue, so a planner does not type it again."""
    if existing is None:
        form.department.data = queries.latest_department(proposal.dialogue_id)
        return
    status, form.body.data, form.department.data = existing.working_copy
    form.status.data = status.value


@bp.get("/d/<slug>/proposals/map")
def map_view(slug: str):
    dialogue = visible_dialogue(slug, current_user)
    placed = queries.placed_proposals(dialogue)
    return render_template(
        "proposals/map.html",
        dialogue=dialogue,
        places=maps.by_place(placed),
        place_map=maps.list_map(dialogue, placed),
    )


from dialog.proposals import comment_views, submission  # noqa: E402, F401  (their routes)
