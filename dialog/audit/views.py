"""The audit log for administrators: /admin/audit, filtered, and its CSV export."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from dialog.audit import forms, permissions, queries
from dialog.core import audit, limits, urls
from dialog.core.db import utcnow
from dialog.core.export import csv_response
from dialog.core.forms import ActionForm
from dialog.core.permissions import require
from dialog.core.timezone import to_local
from dialog.extensions import db

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


@bp.get("/")
def index():
    require(permissions.can_read(current_user))
    form = _filter_form()
    if not form.validate():
        return _page(form, entries=None, actors={}), 400
    entries, actors = queries.entries_page(form.filters, urls.page_number())
    return _page(form, entries=entries, actors=actors)


@bp.post("/export")
@limits.write_limit()
def export():
    require(permissions.can_export(current_user))
    # The page sends its filters in the form body; a link with them in the query works too.
    form = _filter_form(request.values)
    if not ActionForm().validate_on_submit() or not form.validate():
        return _page(form, entries=None, actors={}), 400
    # Exporting the log is itself a disclosure of personal data: it goes into the log.
    audit.record("audit_log_exported", actor=current_user, filters=_serialisable(form.filters))
    db.session.commit()
    stamp = to_local(utcnow()).strftime("%Y%m%d-%H%M")
    return csv_response(f"audit-{stamp}.csv", queries.CSV_HEADER, queries.csv_rows(form.filters))


def _filter_form(formdata=None) -> forms.AuditFilterForm:
    form = forms.AuditFilterForm(formdata=request.args if formdata is None else formdata)
    form.offer(queries.actions(), queries.object_types())
    return form


def _page(form, *, entries, actors):
    return render_template(
        "audit/index.html",
        form=form,
        entries=entries,
        actors=actors,
        export_form=ActionForm(),
        query_args=request.args.to_dict(),
    )


def _serialisable(filters: dict) -> dict:
    return {
        key: value.isoformat() if hasattr(value, "isoformat") else value
        for key, value in filters.items()
        if value
    }
