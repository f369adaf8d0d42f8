"""Submitting a proposal: the form, the similar-proposals step, uploads, and input that
planners record on someone's behalf. Routes of the proposals blueprint."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from dialog.core import images, limits, storage
from dialog.core.permissions import require
from dialog.dialogues import permissions as dialogue_permissions
from dialog.dialogues.visibility import visible_dialogue
from dialog.extensions import db
from dialog.proposals import forms, permissions, queries, services
from dialog.proposals.models import Source
from dialog.proposals.views import bp

UPLOADS_REMEMBERED = 10


@bp.route("/d/<slug>/proposals/new", methods=["GET", "POST"])
@limits.write_limit(methods=["POST"])
def create(slug: str):
    dialogue = visible_dialogue(slug, current_user)
    require(permissions.can_create(current_user, dialogue))
    form = forms.ProposalForm(dialogue)
    if not form.validate_on_submit() or request.form.get("edit"):
        return _form(dialogue, form)
    image_id = image_from(form)
    if image_id is False:
        return _form(dialogue, form), 400
    if not request.form.get("confirmed"):
        db.session.commit()  # keeps an uploaded image for the similar-proposals step
        if similar := queries.similar(dialogue, form.title.data, form.body.data):
            return _similar_step(dialogue, form, similar)
    proposal = services.create_proposal(
        dialogue, author=current_user, image_id=image_id, **form.values()
    )
    db.session.commit()
    if proposal.is_shown:
        message = _(
            "Thank you! Your proposal %(reference)s is published.", reference=proposal.reference
        )
    else:
        message = _(
            "Thank you! Your proposal %(reference)s waits for review: a moderator reads it"
            " before others can see it.",
            reference=proposal.reference,
        )
    flash(message, "success")
    return redirect(url_for("proposals.show", proposal_id=proposal.id))


def _form(dialogue, form, *, entering: bool = False) -> str:
    return render_template(
        "proposals/form.html", dialogue=dialogue, form=form, proposal=None, entering=entering
    )


def _similar_step(dialogue, form, similar) -> str:
    # Duplicates split the votes: offer to back an existing proposal instead, with the
    # dialogue's first vote value (for, or support).
    backing = permissions.vote_values(dialogue)[0]
    standings = queries.vote_standings(current_user, similar)
    return render_template(
        "proposals/similar.html",
        dialogue=dialogue,
        form=form,
        similar=similar,
        backing=backing,
        standings=standings,
        votable={
            p.id for p in similar if permissions.can_vote(current_user, p, standing=standings[p.id])
        },
        can_follow=dialogue_permissions.can_follow(current_user, dialogue),
    )


def image_from(form) -> int | None | bool:
    """The id of the form's image: a new upload, checked and cleaned, or one this visitor
    uploaded before the similar-proposals step. False when the upload is refused."""
    upload = form.image.data
    if upload and getattr(upload, "filename", ""):
        try:
            stored = images.store(upload.read(), upload.filename, uploaded_by=current_user.id)
        except images.ImageRefused as refused:
            form.image.errors.append(str(refused))
            return False
        remembered = session.get("uploaded_images", [])[-(UPLOADS_REMEMBERED - 1) :]
        session["uploaded_images"] = [*remembered, stored.key]
        form.image_key.data = stored.key
        return stored.id
    key = form.image_key.data
    if key and key in session.get("uploaded_images", []):
        stored = storage.get(key)
        return stored.id if stored else None
    return None


@bp.route("/d/<slug>/proposals/enter", methods=["GET", "POST"])
@limits.write_limit(methods=["POST"])
def enter(slug: str):
    dialogue = visible_dialogue(slug, current_user)
    require(permissions.can_enter_on_behalf(current_user, dialogue))
    form = forms.EnteredProposalForm(dialogue)
    if not form.validate_on_submit():
        return _form(dialogue, form, entering=True)
    image_id = image_from(form)  # a photo sent with a letter, say
    if image_id is False:
        return _form(dialogue, form, entering=True), 400
    proposal = services.create_proposal(
        dialogue,
        author=None,
        entered_by=current_user,
        source=Source(form.source.data),
        image_id=image_id,
        **form.values(),
        **form.received(),
    )
    db.session.commit()
    flash(_("The proposal %(reference)s is recorded.", reference=proposal.reference), "success")
    return redirect(url_for("proposals.show", proposal_id=proposal.id))
