"""A dialogue's background images and documents: administrators add and remove them,
everyone who may see the dialogue opens them. Routes of the dialogues blueprint."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from dialog.core import limits, storage
from dialog.core.forms import ActionForm
from dialog.dialogues import forms, queries, services
from dialog.dialogues.views import _managed_dialogue, bp
from dialog.dialogues.visibility import visible_dialogue
from dialog.extensions import db


@bp.route("/admin/dialogues/<int:dialogue_id>/attachments", methods=["GET", "POST"])
@limits.write_limit(methods=["POST"])
def admin_attachments(dialogue_id: int):
    dialogue = _managed_dialogue(dialogue_id)
    form = forms.AttachmentForm()
    status = 400 if request.method == "POST" else 200  # until the upload is taken
    if form.validate_on_submit():
        try:
            services.add_attachment(
                dialogue,
                data=form.file.data.read(),
                filename=form.file.data.filename or "",
                title=form.title.data,
                alt_text=form.alt_text.data or "",
                by=current_user,
            )
        except services.AttachmentRefused as refused:
            form[refused.field].errors.append(str(refused))
        else:
            db.session.commit()
            flash(_("“%(title)s” is added to the background.", title=form.title.data), "success")
            return redirect(url_for("dialogues.admin_attachments", dialogue_id=dialogue.id))
    return render_template(
        "dialogues/admin_attachments.html",
        dialogue=dialogue,
        attachments=queries.attachments(dialogue.id),
        form=form,
    ), status


@bp.route(
    "/admin/dialogues/<int:dialogue_id>/attachments/<int:attachment_id>/remove",
    methods=["GET", "POST"],
)
@limits.write_limit(methods=["POST"])
def admin_remove_attachment(dialogue_id: int, attachment_id: int):
    """Asked first on a page of its own, so it works the same without JavaScript."""
    dialogue = _managed_dialogue(dialogue_id)
    attachment = _attachment_of(dialogue.id, attachment_id)
    form = ActionForm()
    if form.validate_on_submit():
        title = attachment.title
        services.remove_attachment(attachment, by=current_user)
        db.session.commit()
        flash(_("“%(title)s” is removed.", title=title), "success")
        return redirect(url_for("dialogues.admin_attachments", dialogue_id=dialogue.id))
    return render_template(
        "dialogues/admin_attachment_remove.html",
        dialogue=dialogue,
        attachment=attachment,
        form=form,
    )


@bp.get("/d/<slug>/files/<int:attachment_id>")
def attachment(slug: str, attachment_id: int):
    dialogue = visible_dialogue(slug, current_user)
    found = _attachment_of(dialogue.id, attachment_id)
    response = Response(storage.read(found.file), mimetype=found.file.content_type)
    if found.is_image:
        response.headers["Content-Disposition"] = "inline"
    else:
        # A PDF is saved, not opened in the site's origin, where its scripts could run.
        name = quote(found.file.filename)
        response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    # As a proposal's image: shared caches keep it briefly, and only for visitors without
    # an account (a logged-in person's answers are no-store).
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _attachment_of(dialogue_id: int, attachment_id: int):
    found = queries.attachment(attachment_id)
    if found is None or found.dialogue_id != dialogue_id:
        abort(404)
    return found
