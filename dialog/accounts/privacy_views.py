"""The "My data" pages: download all my data, delete my account; and the staff's export
of a dialogue's records for a disclosure request. Routes of the accounts blueprint."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from werkzeug.utils import secure_filename

from dialog.accounts import forms, permissions, privacy, records, services
from dialog.accounts.views import bp
from dialog.core import limits, storage
from dialog.core.db import writes_on_safe_method
from dialog.core.forms import ActionForm
from dialog.core.permissions import require
from dialog.dialogues import queries as dialogue_queries
from dialog.extensions import db, limiter


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/profile/my-data")
@login_required
def my_data():
    require(permissions.can_manage_own_data(current_user))
    page = render_template(
        "accounts/privacy/my_data.html",
        exports=privacy.latest_exports(current_user),
        can_delete=permissions.can_delete_own_account(current_user),
        form=ActionForm(),
        hours=_link_hours(),
    )
    return _private(Response(page))


def _link_hours() -> int:
    return current_app.config["DATA_EXPORT_LINK_HOURS"]


@bp.post("/profile/my-data/export")
@login_required
@limits.write_limit()
def request_export():
    require(permissions.can_manage_own_data(current_user))
    if not ActionForm().validate_on_submit():
        flash(_("The form had expired. Send it again."), "error")
    elif not (allowed := permissions.can_request_export(current_user)):
        flash(allowed.message, "error")
    elif not services.may_mail("data_export", current_user.email):
        flash(_("You asked for a copy a moment ago. Wait a quarter of an hour."), "error")
    else:
        privacy.request_export(current_user)
        db.session.commit()
        flash(
            _("We are putting your data together. You will get an email with a link soon."),
            "success",
        )
    return redirect(url_for("accounts.my_data"))


@bp.get("/profile/my-data/download/<token>")
@login_required
@writes_on_safe_method
def download_export(token: str):
    require(permissions.can_manage_own_data(current_user))
    try:
        export, stored = privacy.export_for_download(token, current_user)
    except privacy.ExportUnavailable as unavailable:
        db.session.rollback()
        status = 403 if unavailable.other_person else 410
        page = render_template("accounts/privacy/link_expired.html", other=unavailable.other_person)
        return _private(Response(page, status=status))
    privacy.record_download(export, current_user)
    data = storage.read(stored)
    db.session.commit()
    response = Response(data, mimetype=stored.content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{stored.filename}"'
    return _private(response)


@bp.route("/profile/delete", methods=["GET", "POST"])
@login_required
@limiter.limit(
    limits.logins_per_account, key_func=lambda: f"del:{current_user.id}", methods=["POST"]
)
def delete_account():
    require(permissions.can_delete_own_account(current_user))
    form = forms.DeleteAccountForm()
    if form.validate_on_submit():
        if not services.password_matches(current_user, form.current_password.data):
            form.current_password.errors.append(_("The password is wrong."))
        else:
            privacy.erase(current_user, by=current_user, reason="requested")
            db.session.commit()
            logout_user()
            return redirect(url_for("accounts.account_deleted"))
    return _private(Response(render_template("accounts/privacy/delete_account.html", form=form)))


@bp.get("/profile/deleted")
def account_deleted():
    return render_template("accounts/privacy/account_deleted.html")


# A POST with the form's token: each export is logged as a disclosure, and another site
# must not be able to write that entry in a planner's name.
@bp.post("/admin/dialogues/<int:dialogue_id>/records.csv", defaults={"format": "csv"})
@bp.post("/admin/dialogues/<int:dialogue_id>/records.json", defaults={"format": "json"})
@limits.write_limit()
def dialogue_records(dialogue_id: int, format: str):
    dialogue = dialogue_queries.dialogue_by_id(dialogue_id)
    if dialogue is None:
        abort(404)
    require(permissions.can_export_records(current_user, dialogue))
    rows = records.disclosure_records(dialogue)
    records.record_disclosure(dialogue, by=current_user, format=format, count=len(rows))
    db.session.commit()
    if format == "csv":
        response = Response(records.as_csv(rows), mimetype="text/csv")
    else:
        response = Response(records.as_json(dialogue, rows), mimetype="application/json")
    # A name made safe for a header whatever an older address name holds.
    filename = secure_filename(f"{dialogue.slug}-records.{format}")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return _private(response)
