"""Two-step login pages: the code after the password, setting it up, turning it off, and
an administrator's reset. Routes of the accounts blueprint.

The second step keeps only {who, since, where next} in the signed session cookie until
the code is right; the account is not logged in (no session row, no Flask-Login user)
before that.
"""

from __future__ import annotations

import time

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from dialog.accounts import permissions, services
from dialog.accounts import two_factor as tf
from dialog.accounts.models import User
from dialog.accounts.security_forms import (
    ConfirmSetupForm,
    PasswordCheckForm,
    ResetTwoFactorForm,
    SecondStepForm,
    TurnOffTwoFactorForm,
)
from dialog.accounts.views import _safe_next, bp, complete_login
from dialog.core import limits
from dialog.core.db import writes_on_safe_method
from dialog.core.permissions import require
from dialog.extensions import db, limiter

PENDING_KEY = "two_factor_pending"

# Where staff who must set up two-step login may still go.
SETUP_ENDPOINTS = frozenset(
    {"static", "accounts.two_factor", "accounts.two_factor_setup", "accounts.logout"}
)


def _per_person(prefix: str):
    """A rate-limit key per account; the limiter runs before the view refuses anonymous
    visitors, so they are keyed by address instead of failing."""

    def key() -> str:
        who = current_user.id if current_user.is_authenticated else request.remote_addr
        return f"{prefix}:{who}"

    return key


# The second step of logging in -------------------------------------------------------


def second_step(user: User):
    """The login view's hook: a redirect to the code page when the person has two-step
    login, else None (log in at once)."""
    session.pop(PENDING_KEY, None)  # an earlier, unfinished login ends here
    if not tf.is_enabled(user):
        return None
    session[PENDING_KEY] = {
        "uid": user.id,
        "at": int(time.time()),
        "next": _safe_next(request.args.get("next")),
    }
    return redirect(url_for("accounts.login_code"))


def _pending_user() -> tuple[User | None, dict | None]:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None, None
    max_age = current_app.config["TWO_FACTOR_PENDING_MINUTES"] * 60
    if time.time() - pending.get("at", 0) > max_age:
        session.pop(PENDING_KEY, None)
        return None, None
    user = db.session.get(User, pending.get("uid"))
    if user is None or not user.active:
        session.pop(PENDING_KEY, None)
        return None, None
    return user, pending


def _second_step_key() -> str:
    pending = session.get(PENDING_KEY)
    uid = pending.get("uid") if isinstance(pending, dict) else None
    return f"2fa:{uid}"


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(limits.logins_per_ip, methods=["POST"])
@limiter.limit(limits.logins_per_account, key_func=_second_step_key, methods=["POST"])
def login_code():
    user, pending = _pending_user()
    if user is None:
        flash(_("Log in with your email address and password first."), "info")
        return redirect(url_for("accounts.login"))
    form = SecondStepForm()
    if form.validate_on_submit():
        kind = tf.check_second_step(user, form.code.data)
        if kind is None:
            form.code.errors.append(_("The code is wrong or has already been used."))
        else:
            session.pop(PENDING_KEY, None)
            complete_login(user)
            _flash_logged_in(user, kind)
            return redirect(pending["next"])
    return render_template("accounts/login_code.html", form=form)


def _flash_logged_in(user: User, kind: str) -> None:
    flash(_("You are logged in."), "success")
    if kind == "recovery":
        flash(
            _(
                "You used a recovery code. You have %(n)d left; make new ones on the two-step login page.",
                n=tf.recovery_codes_left(user),
            ),
            "warning",
        )


# Enforcement -------------------------------------------------------------------------


@bp.before_app_request
def _staff_set_up_two_factor_first():
    """Staff without two-step login, where it is required, set it up before anything else."""
    if not current_app.config["REQUIRE_STAFF_2FA"] or request.endpoint in SETUP_ENDPOINTS:
        return None
    if not current_user.is_authenticated or not tf.must_set_up(current_user):
        return None
    if request.method == "GET":
        flash(_("Staff accounts must use two-step login. Set it up to continue."), "info")
    return redirect(url_for("accounts.two_factor_setup"), code=303)


# Status, setup and turning off -------------------------------------------------------


OFF, CODES = "off", "codes"  # the prefixes of the page's two password forms


def _two_factor_page(status: int = 200, **submitted: PasswordCheckForm):
    """The status page; a submitted form (by its prefix) comes back with its errors."""
    forms = {
        OFF: submitted.get(OFF) or TurnOffTwoFactorForm(prefix=OFF),
        CODES: submitted.get(CODES) or PasswordCheckForm(prefix=CODES),
    }
    return render_template(
        "accounts/two_factor.html",
        enabled=tf.is_enabled(current_user),
        may_set_up=permissions.can_set_up_two_factor(current_user),
        codes_left=tf.recovery_codes_left(current_user),
        required=tf.must_set_up(current_user),
        off_form=forms[OFF],
        codes_form=forms[CODES],
    ), status


@bp.get("/profile/two-factor")
def two_factor():
    require(permissions.can_manage_own_sessions(current_user))
    return _two_factor_page()


@bp.route("/profile/two-factor/setup", methods=["GET", "POST"])
@writes_on_safe_method
@limiter.limit(limits.logins_per_account, key_func=_per_person("2fa-setup"), methods=["POST"])
def two_factor_setup():
    require(permissions.can_set_up_two_factor(current_user))
    try:
        secret = tf.pending_secret(current_user)
    except tf.AlreadyEnabled:
        flash(_("Two-step login is already on."), "info")
        return redirect(url_for("accounts.two_factor"))
    db.session.commit()
    form = ConfirmSetupForm()
    if form.validate_on_submit():
        codes = tf.confirm_setup(current_user, form.code.data)
        if codes is not None:
            db.session.commit()
            # Shown in this response only: nothing shows them again.
            return render_template("accounts/recovery_codes.html", codes=codes, first=True)
        form.code.errors.append(_("The code does not match. Enter the code the app shows now."))
    uri = tf.provisioning_uri(current_user, secret)
    return render_template(
        "accounts/two_factor_setup.html",
        form=form,
        secret=secret,
        qr_code=tf.qr_code_svg(uri, _("QR code for your authenticator app")),
    )


def _password_checked(form: PasswordCheckForm) -> bool:
    if not form.validate_on_submit():
        return False
    if not services.password_matches(current_user, form.current_password.data):
        form.current_password.errors.append(_("The password is wrong."))
        return False
    return True


@bp.post("/profile/two-factor/disable")
@limiter.limit(limits.logins_per_account, key_func=_per_person("2fa-off"))
def two_factor_disable():
    require(permissions.can_manage_own_sessions(current_user))
    form = TurnOffTwoFactorForm(prefix=OFF)
    if not tf.is_enabled(current_user):
        return redirect(url_for("accounts.two_factor"))
    if not _password_checked(form):
        return _two_factor_page(400, off=form)
    if tf.check_second_step(current_user, form.code.data) is None:
        form.code.errors.append(_("The code is wrong or has already been used."))
        return _two_factor_page(400, off=form)
    tf.disable(current_user)
    db.session.commit()
    flash(_("Two-step login is off."), "success")
    return redirect(url_for("accounts.two_factor"))


@bp.post("/profile/two-factor/recovery-codes")
@limiter.limit(limits.logins_per_account, key_func=_per_person("2fa-codes"))
def two_factor_new_recovery_codes():
    require(permissions.can_manage_own_sessions(current_user))
    form = PasswordCheckForm(prefix=CODES)
    if not tf.is_enabled(current_user):
        return redirect(url_for("accounts.two_factor"))
    if not _password_checked(form):
        return _two_factor_page(400, codes=form)
    codes = tf.replace_recovery_codes(current_user)
    db.session.commit()
    return render_template("accounts/recovery_codes.html", codes=codes, first=False)


# An administrator's reset ------------------------------------------------------------


@bp.post("/admin/users/<int:user_id>/two-factor/reset")
@limits.write_limit()
def admin_reset_two_factor(user_id: int):
    require(permissions.can_reset_two_factor(current_user))
    person = db.get_or_404(User, user_id)
    form = ResetTwoFactorForm(prefix=ResetTwoFactorForm.PREFIX)
    if not form.validate_on_submit():
        flash(_("The reason can be at most 500 characters."), "error")
        return redirect(url_for("accounts.admin_role", user_id=person.id))
    tf.reset(person, by=current_user, reason=form.reason.data or None)
    db.session.commit()
    flash(
        _(
            "Two-step login is removed for %(name)s. They set it up again at their next login.",
            name=person.display_name,
        ),
        "success",
    )
    return redirect(url_for("accounts.admin_role", user_id=person.id))


@bp.app_template_global("two_factor_enabled")
def _two_factor_enabled(person: User) -> bool:
    return tf.is_enabled(person)


@bp.app_template_global("two_factor_reset_form")
def _two_factor_reset_form() -> ResetTwoFactorForm:
    return ResetTwoFactorForm(prefix=ResetTwoFactorForm.PREFIX)
