"""The bell, the notification list, marking read, the email settings, and the
unsubscribe link of every notification email."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from dialog.accounts.models import User
from dialog.core import limits, outbox
from dialog.core.forms import ActionForm
from dialog.core.permissions import Decision, Refused, require
from dialog.extensions import csrf, db
from dialog.notifications import forms, labels, permissions, queries, sending, services

bp = Blueprint("notifications", __name__)


@bp.app_template_global("unread_notifications")
def unread_notifications() -> int:
    """The bell's number, read once per page."""
    if not current_user.is_authenticated:
        return 0
    environ = request.environ
    if "dialog.unread_notifications" not in environ:
        environ["dialog.unread_notifications"] = queries.unread_count(current_user)
    return environ["dialog.unread_notifications"]


@bp.get("/notifications")
def index():
    require(permissions.can_read_notifications(current_user))
    unread, read = queries.notification_list(current_user)
    return render_template(
        "notifications/index.html",
        unread=unread,
        read=read,
        describe=labels.describe,
        destination=labels.destination,
        form=ActionForm(),
    )


@bp.post("/notifications/<int:notification_id>/read")
@limits.write_limit()
def mark_read(notification_id: int):
    require(permissions.can_read_notifications(current_user))
    notification = queries.own_notification(current_user, notification_id)
    if notification is None:
        raise Refused(Decision.deny("not_found"))
    if ActionForm().validate_on_submit():
        services.mark_read(notification)
        db.session.commit()
    return redirect(url_for("notifications.index"))


@bp.post("/notifications/read")
@limits.write_limit()
def mark_all_read():
    require(permissions.can_read_notifications(current_user))
    if ActionForm().validate_on_submit():
        services.mark_all_read(current_user)
        db.session.commit()
        flash(_("All notifications are marked as read."), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/settings", methods=["GET", "POST"])
@limits.write_limit(methods=["POST"])
def settings():
    require(permissions.can_read_notifications(current_user))
    categories = permissions.categories_for(current_user)
    form = forms.preferences_form(categories, queries.frequencies(current_user))
    if form.validate_on_submit():
        services.set_frequencies(current_user, form.chosen())
        db.session.commit()
        flash(_("Your choices are saved."), "success")
        return redirect(url_for("notifications.settings"))
    status = 400 if form.is_submitted() else 200
    return render_template("notifications/settings.html", form=form, categories=categories), status


# RFC 8058: the mail client's one-click POST carries no session and no CSRF token; the
# signed token in the link is what shows the person asked. A GET only asks to confirm.
@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
@limits.write_limit(methods=["POST"], per=lambda: "unsubscribe:" + request.view_args["token"])
def unsubscribe(token: str):
    found = sending.read_unsubscribe_token(token)
    if found is None:
        raise Refused(Decision.deny("not_found"))
    user_id, categories = found
    if request.method == "POST":
        services.unsubscribe(user_id, categories)
        db.session.commit()
        return render_template("notifications/unsubscribed.html", categories=categories)
    return render_template("notifications/unsubscribe.html", categories=categories, token=token)


# What did not get through, for the administrators --------------------------------------


@bp.get("/admin/mail")
def undelivered():
    require(permissions.can_see_undelivered(current_user))
    dead, dead_total = queries.dead_mail()
    given_up, given_up_total = outbox.given_up()
    return render_template(
        "notifications/undelivered.html",
        dead=dead,
        dead_total=dead_total,
        given_up=given_up,
        given_up_total=given_up_total,
        without_addresses=outbox.without_addresses,
        form=ActionForm(),
    )


@bp.post("/admin/mail/<int:delivery_id>/retry")
@limits.write_limit()
def retry_mail(delivery_id: int):
    require(permissions.can_see_undelivered(current_user))
    delivery = queries.dead_delivery(delivery_id)
    if delivery is None:
        raise Refused(Decision.deny("not_found"))
    if ActionForm().validate_on_submit():
        recipient = db.session.get(User, delivery.user_id)
        if services.retry_dead(delivery, recipient, by=current_user):
            db.session.commit()
            flash(_("The email is on its way again."), "success")
        else:
            flash(_("The address still bounces. The person must confirm it again first."), "error")
    return redirect(url_for("notifications.undelivered"))


@bp.post("/admin/outbox/<int:delivery_id>/retry")
@limits.write_limit()
def retry_delivery(delivery_id: int):
    require(permissions.can_see_undelivered(current_user))
    if ActionForm().validate_on_submit():
        if not services.retry_given_up(delivery_id, by=current_user):
            raise Refused(Decision.deny("not_found"))
        db.session.commit()
        flash(_("The delivery is tried again."), "success")
    return redirect(url_for("notifications.undelivered"))
