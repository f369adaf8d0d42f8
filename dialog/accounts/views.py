"""Account pages: register, confirm, log in and out, passwords, profile, roles."""

from __future__ import annotations

import sqlite3

from flask import (
    Blueprint,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from dialog.accounts import forms, labels, permissions, queries, services
from dialog.accounts.models import Role, User
from dialog.core import limits, urls
from dialog.core.db import sqlite_result_code, writes_on_safe_method
from dialog.core.permissions import require
from dialog.extensions import db, limiter, login_manager

bp = Blueprint("accounts", __name__)


@login_manager.user_loader
def load_user(token: str):
    # A database that failed once in this request is not asked again when a rate limit's
    # key, the view and then the error page ask who is logged in: an outage would be
    # waited for again, a bug would fail again. core/errors.py tells the two apart.
    if (failure := g.get("user_load_failure")) is not None:
        raise failure
    try:
        return _user_of_session(token)
    except SQLAlchemyError as error:
        g.user_load_failure = error
        raise


def _user_of_session(token: str):
    user = services.user_for_session(token)
    if not db.session.dirty:
        return user  # most requests: nothing touched, no commit to wait for
    try:
        db.session.commit()  # keep the touched or ended session row
    except OperationalError as error:
        if not _lost_sqlites_write_lock(error):
            raise  # unreachable or hung: trying again would only wait again
        # A reading page lost the race for SQLite's write lock: the touch can wait for the
        # next request; the session itself is still valid or still expired.
        db.session.rollback()
        user = services.user_for_session(token, touch=False)
    return user


def _lost_sqlites_write_lock(error: OperationalError) -> bool:
    return isinstance(error.orig, sqlite3.Error) and (
        sqlite_result_code(error.orig) == sqlite3.SQLITE_BUSY
    )


def _safe_next(target: str | None) -> str:
    """Only same-site paths: a login link must never send people elsewhere (or break)."""
    return urls.safe_next(target)


@bp.route("/register", methods=["GET", "POST"])
@limits.write_limit(methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("dialogues.index"))
    form = forms.RegisterForm()
    if form.validate_on_submit():
        services.register(
            email=form.email.data,
            display_name=form.display_name.data,
            password=form.password.data,
            locale=str(get_locale()),
        )
        db.session.commit()
        return redirect(url_for("accounts.check_email"))
    return render_template("accounts/register.html", form=form)


@bp.get("/register/check-email")
def check_email():
    return render_template("accounts/check_email.html")


@bp.get("/verify/<token>")
@writes_on_safe_method
def verify_email(token: str):
    try:
        services.confirm_email(token)
    except services.InvalidToken:
        db.session.rollback()
        return render_template("accounts/link_invalid.html"), 400
    db.session.commit()
    flash(_("Your email address is confirmed."), "success")
    target = "accounts.profile" if current_user.is_authenticated else "accounts.login"
    return redirect(url_for(target))


LOGIN_REFUSALS = {
    "too_many_attempts": _l(
        "Too many attempts from your network. Wait a few minutes and try again."
    ),
    "too_many_failures": _l(
        "Too many failed attempts for this account. Wait a few minutes and try again, or "
        "choose a new password through the link below."
    ),
    "account_under_attack": _l(
        "There have been many failed attempts to log in to this account. Wait a minute and "
        "try again, or choose a new password through the link below."
    ),
}


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = forms.LoginForm()
    if form.validate_on_submit():
        email, ip = services.normalise_email(form.email.data), get_remote_address()
        if refusal := limits.login_refusal(email, ip):
            # Checked before the password, so a throttled guess learns nothing.
            reason, retry_after = refusal
            form.password.errors.append(LOGIN_REFUSALS[reason])
            page = render_template("accounts/login.html", form=form)
            return page, 429, {"Retry-After": str(retry_after)}
        user = services.authenticate(email, form.password.data)
        if user is None:
            limits.count_login_failure(email, ip)
            form.password.errors.append(_("The email address or the password is wrong."))
        else:
            # Two-step login: with a code to ask for, nothing is logged in yet.
            if (code_step := two_factor_views.second_step(user)) is not None:
                return code_step
            complete_login(user)
            flash(_("You are logged in."), "success")
            return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=form)


def complete_login(user: User) -> None:
    """The one way in, after the password (and the code, for staff with two-step login):
    a fresh browser session, a new session record, committed."""
    _end_current_session()
    _fresh_browser_session()
    services.start_session(user, user_agent=request.user_agent.string, ip=request.remote_addr)
    db.session.commit()
    login_user(user)


def _end_current_session() -> None:
    if current_user.is_authenticated and current_user.session_token:
        services.end_session(current_user.session_token)


def _fresh_browser_session() -> None:
    """A new cookie session and a new CSRF token at every login and logout, so nothing a
    visitor's browser held before (or was planted with) carries over; the language stays."""
    language = session.get("lang")
    session.clear()
    g.pop("csrf_token", None)
    if language:
        session["lang"] = language


@bp.post("/logout")
@login_required
def logout():
    _end_current_session()
    db.session.commit()
    logout_user()
    _fresh_browser_session()
    flash(_("You are logged out."), "success")
    return redirect(url_for("dialogues.index"))


# Not limited per address: at most one reset mail goes to an address per 15 minutes
# anyway, and a limit per address would let anyone stop its owner from resetting.
@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(limits.logins_per_ip, methods=["POST"])
def forgot_password():
    form = forms.ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        return render_template("accounts/reset_sent.html")
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(limits.logins_per_ip, methods=["POST"])
def reset_password(token: str):
    try:
        services.user_for_reset_token(token)
    except services.InvalidToken:
        return render_template("accounts/link_invalid.html"), 400
    form = forms.ResetPasswordForm()
    if form.validate_on_submit():
        services.reset_password(token, form.password.data)
        db.session.commit()
        logout_user()
        flash(_("Your password is changed. Log in with the new password."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
@limits.write_limit(methods=["POST"])
def profile():
    form = forms.ProfileForm(
        obj=current_user, may_use_staff_names=current_user.is_planner or current_user.is_admin
    )
    if request.method == "GET":
        form.show_name_publicly.data = "yes" if current_user.show_name_publicly else "no"
        form.district.data = current_user.district or ""
        form.age_band.data = current_user.age_band or ""
    if form.validate_on_submit():
        services.update_profile(
            current_user,
            display_name=form.display_name.data.strip(),
            show_name_publicly=form.show_name_publicly.data == "yes",
            pseudonym=form.pseudonym.data.strip(),
            district=form.district.data or None,
            age_band=form.age_band.data or None,
            locale=form.locale.data,
            follow_what_i_join=bool(form.follow_what_i_join.data),
        )
        db.session.commit()
        session["lang"] = form.locale.data
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form)


@bp.post("/profile/resend-verification")
@login_required
@limits.write_limit()
def resend_verification():
    # Back to the page that asked for the link (a form refused for want of it), or the profile.
    back = urls.safe_next(request.form.get("next"), "accounts.profile")
    owed = not current_user.is_verified or current_user.mail_bounced_at is not None
    if not owed:
        return redirect(back)
    if not services.send_verification(current_user):
        flash(
            _(
                "We sent you a link a few minutes ago. Check your inbox and spam folder; "
                "you can ask for a new link after 15 minutes."
            ),
            "info",
        )
        return redirect(back)
    db.session.commit()
    flash(_("We have sent a new link. Check your inbox."), "success")
    return redirect(back)


@bp.route("/profile/password", methods=["GET", "POST"])
@login_required
@limiter.limit(
    limits.logins_per_account, key_func=lambda: f"pw:{current_user.id}", methods=["POST"]
)
def change_password():
    form = forms.ChangePasswordForm()
    if form.validate_on_submit():
        if not services.password_matches(current_user, form.current_password.data):
            form.current_password.errors.append(_("The current password is wrong."))
        else:
            services.change_password(current_user, form.password.data)
            db.session.commit()
            flash(_("Your password is changed. Other devices have been logged out."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/change_password.html", form=form)


@bp.route("/profile/email", methods=["GET", "POST"])
@login_required
@limiter.limit(
    limits.logins_per_account, key_func=lambda: f"em:{current_user.id}", methods=["POST"]
)
def change_email():
    form = forms.ChangeEmailForm()
    if form.validate_on_submit():
        if not services.password_matches(current_user, form.current_password.data):
            form.current_password.errors.append(_("The current password is wrong."))
        else:
            services.request_email_change(current_user, form.email.data)
            db.session.commit()
            flash(
                _(
                    "Follow the link we have sent to %(email)s to confirm the new address.",
                    email=services.normalise_email(form.email.data),
                ),
                "success",
            )
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/change_email.html", form=form)


@bp.get("/admin/users")
def admin_users():
    require(permissions.can_manage_roles(current_user))
    search = request.args.get("q", "")[:100]
    users = queries.users_page(search, urls.page_number())
    return render_template(
        "accounts/admin_users.html", users=users, search=search, role_form=forms.RoleForm()
    )


@bp.post("/admin/users/<int:user_id>/role")
@limits.write_limit()
def admin_set_role(user_id: int):
    require(permissions.can_manage_roles(current_user))
    user = db.get_or_404(User, user_id)
    form = forms.RoleForm()
    if not form.validate_on_submit():
        return render_template("accounts/admin_role.html", user=user, form=form), 400
    if not (allowed := permissions.can_change_role(current_user, user, Role(form.role.data))):
        form.role.errors.append(allowed.message)
        return render_template("accounts/admin_role.html", user=user, form=form), 400
    services.set_role(user, Role(form.role.data), by=current_user, reason=form.reason.data)
    db.session.commit()
    flash(
        _("%(name)s is now %(role)s.", name=user.display_name, role=labels.ROLE_LABELS[user.role]),
        "success",
    )
    return redirect(url_for("accounts.admin_users", q=request.args.get("q", "")))


@bp.get("/admin/users/<int:user_id>/role")
def admin_role(user_id: int):
    require(permissions.can_manage_roles(current_user))
    user = db.get_or_404(User, user_id)
    form = forms.RoleForm(role=user.role.value)
    return render_template("accounts/admin_role.html", user=user, form=form)


from dialog.accounts import session_views, two_factor_views  # noqa: E402, F401  (their routes)
