"""The moderators' queue, one item's page with its actions, and bulk actions."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from dialog.core import limits, urls
from dialog.core.forms import ActionForm
from dialog.core.permissions import Decision, Refused, require
from dialog.extensions import db
from dialog.moderation import forms, permissions, queries, services
from dialog.moderation.labels import ACTION_LABELS
from dialog.moderation.models import Action, FlagReason
from dialog.moderation.views import bp
from dialog.proposals.models import Comment


@bp.get("/moderation/")
def queue():
    require(permissions.can_open_queue(current_user))
    dialogues = queries.moderated_dialogues(current_user)
    form = forms.QueueFilterForm(formdata=request.args)
    form.offer(dialogues)
    if not form.validate():
        return _queue_page(form, page=None), 400
    page = queries.queue_page(_filters(form, dialogues), urls.page_number())
    return _queue_page(form, page=page)


def _filters(form, dialogues) -> queries.QueueFilters:
    chosen = [d.id for d in dialogues if str(d.id) == form.dialogue.data] or [
        d.id for d in dialogues
    ]
    return queries.QueueFilters(
        dialogue_ids=tuple(chosen),
        state=form.state.data or "open",
        reason=FlagReason(form.reason.data) if form.reason.data else None,
    )


def _queue_page(form, *, page):
    return render_template(
        "moderation/queue.html",
        form=form,
        page=page,
        bulk_form=forms.BulkForm(formdata=None),
        query_args=request.args.to_dict(),
    )


@bp.post("/moderation/bulk")
@limits.write_limit()
def bulk():
    require(permissions.can_open_queue(current_user))
    form = forms.BulkForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
        return redirect(_back_to_queue())
    items = [item for key in form.items.data if (item := _item_of_key(key)) is not None]
    done, skipped = services.bulk(
        items, Action(form.action.data), by=current_user, reason=(form.reason.data or "").strip()
    )
    db.session.commit()
    flash(
        ngettext("%(num)d item done", "%(num)d items done", done)
        + ", "
        + ngettext("%(num)d left as it was.", "%(num)d left as they were.", skipped),
        "success",
    )
    return redirect(_back_to_queue())


def _back_to_queue() -> str:
    return urls.safe_next(request.form.get("next"), "moderation.queue")


def _item_of_key(key: str):
    """ "p12" or "c7", as the queue's checkboxes send them; None for anything else."""
    kind = {"p": "proposal", "c": "comment"}.get(key[:1])
    number = key[1:]
    if kind is None or not (number.isascii() and number.isdigit() and len(number) <= 18):
        return None
    return queries.find_item(kind, int(number))


# An item is named by its queue key: "p12" for proposal 12, "c7" for comment 7.
@bp.get("/moderation/items/<key>")
def item(key: str):
    kind, found = _moderated(key)
    return _item_page(kind, found)


def _moderated(key: str):
    found = _item_of_key(key)
    if found is None:
        raise Refused(Decision.deny("not_found"))
    decision = permissions.can_moderate_item(current_user, found, permissions.dialogue_of(found))
    if not decision and decision.reason != "moderate_own":
        raise Refused(decision)
    return _kind_of(found), found


def _kind_of(found) -> str:
    return "comment" if isinstance(found, Comment) else "proposal"


def _item_page(kind: str, found, **bound_forms):
    queue_item = queries.QueueItem(kind, found)
    queries.attach_details([queue_item])
    dialogue = permissions.dialogue_of(found)
    # Prefixed: the page holds several forms, and their fields need ids of their own.
    forms_for = {
        "hide": forms.HideForm(formdata=None, prefix="hide"),
        "restore": forms.RestoreForm(formdata=None, prefix="restore"),
        "redact": _redact_form(found),
        "block": forms.BlockForm(formdata=None, prefix="block"),
        "review": forms.ReviewDecisionForm(formdata=None, prefix="review"),
        "quick": ActionForm(),
    }
    forms_for.update(bound_forms)
    allowed = {
        action.value: bool(permissions.can_moderate_item(current_user, found, dialogue, action))
        for action in Action
    }
    review = queue_item.review
    may_review = review is not None and bool(
        permissions.can_review(current_user, review.decision, found, dialogue)
    )
    originals = (
        queries.originals_of(review.decision)
        if may_review and review.decision.action is Action.redact
        else []
    )
    status = 400 if bound_forms else 200
    return render_template(
        "moderation/item.html",
        entry=queue_item,
        kind=kind,
        dialogue=dialogue,
        forms=forms_for,
        allowed=allowed,
        own=found.author_id == current_user.id,
        may_review=may_review,
        originals=originals,
        history=queries.author_histories([queue_item], _moderated_ids()).get(found.author_id),
        labels={action.value: label for action, label in ACTION_LABELS.items()},
    ), status


def _moderated_ids() -> list[int]:
    return [dialogue.id for dialogue in queries.moderated_dialogues(current_user)]


def _redact_form(found):
    form = forms.RedactForm(formdata=None, prefix="redact")
    form.body.data = found.body
    form.title.data = getattr(found, "title", None)
    return form


ACTION_FORMS = {
    Action.approve: None,
    Action.dismiss: None,
    Action.hide: forms.HideForm,
    Action.restore: forms.RestoreForm,
    Action.redact: forms.RedactForm,
    Action.block: forms.BlockForm,
}


@bp.post("/moderation/items/<key>/<any(approve, hide, restore, dismiss, redact, block):action>")
@limits.write_limit()
def act(key: str, action: str):
    chosen = Action(action)  # the route takes only an action's name
    kind, found = _moderated(key)
    form = ACTION_FORMS[chosen](prefix=chosen.value) if ACTION_FORMS[chosen] else ActionForm()
    if not form.validate_on_submit():
        return _item_page(kind, found, **{chosen.value: form})
    _apply(chosen, found, form)
    db.session.commit()
    flash(_("Done: %(action)s.", action=ACTION_LABELS[chosen]), "success")
    return redirect(urls.safe_next(request.form.get("next"), "moderation.queue"))


def _apply(action: Action, found, form) -> None:
    by = current_user
    if action is Action.hide:
        services.hide(found, by=by, reason=form.reason.data.strip())
    elif action is Action.restore:
        services.restore(found, by=by, reason=(form.reason.data or "").strip() or None)
    elif action is Action.redact:
        services.redact(
            found,
            by=by,
            reason=form.reason.data.strip(),
            body=form.body.data,
            title=form.title.data or None,
        )
    elif action is Action.block:
        services.block(found, by=by, reason=form.reason.data.strip(), days=form.days.data)
    else:
        services.ACTIONS[action](found, by=by)


@bp.post("/moderation/items/<key>/review")
@limits.write_limit()
def decide_review(key: str):
    kind, found = _moderated(key)
    queue_item = queries.QueueItem(kind, found)
    queries.attach_details([queue_item])
    if queue_item.review is None:
        raise Refused(Decision.deny("action_not_applicable"))
    form = forms.ReviewDecisionForm(prefix="review")
    if not form.validate_on_submit():
        return _item_page(kind, found, review=form)
    services.decide_review(
        queue_item.review,
        found,
        by=current_user,
        reverse=form.outcome.data == "reverse",
        reason=form.reason.data.strip(),
    )
    db.session.commit()
    flash(_("The review is recorded and the author is told."), "success")
    return redirect(url_for("moderation.queue"))
