"""The sessions page: where the person is logged in, and logging out there.
Routes of the accounts blueprint; CSRFProtect guards every POST (the buttons carry the token)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from dialog.accounts import permissions, sessions
from dialog.accounts.views import _fresh_browser_session, bp
from dialog.core import limits
from dialog.core.forms import ActionForm
from dialog.core.permissions import require
from dialog.extensions import db


@bp.get("/profile/sessions")
def sessions_page():
    require(permissions.can_manage_own_sessions(current_user))
    return render_template(
        "accounts/sessions.html",
        sessions=sessions.live_sessions(current_user),
        form=ActionForm(),
    )


@bp.post("/profile/sessions/<int:session_id>/end")
@limits.write_limit()
def end_session(session_id: int):
    require(permissions.can_manage_own_sessions(current_user))
    this_device = sessions.is_current(current_user, session_id)
    if not sessions.end_one(current_user, session_id):
        abort(404)
    db.session.commit()
    if this_device:
        logout_user()
        _fresh_browser_session()
        flash(_("You are logged out."), "success")
        return redirect(url_for("accounts.login"))
    flash(_("That device is logged out."), "success")
    return redirect(url_for("accounts.sessions_page"))


@bp.post("/profile/sessions/end-others")
@limits.write_limit()
def end_other_sessions():
    require(permissions.can_manage_own_sessions(current_user))
    sessions.end_others(current_user)
    db.session.commit()
    flash(_("You are logged out everywhere else."), "success")
    return redirect(url_for("accounts.sessions_page"))


@bp.post("/profile/sessions/end-all")
@limits.write_limit()
def end_all_sessions():
    require(permissions.can_manage_own_sessions(current_user))
    sessions.end_all(current_user)
    db.session.commit()
    logout_user()
    _fresh_browser_session()
    flash(_("You are logged out everywhere, here too."), "success")
    return redirect(url_for("accounts.login"))
