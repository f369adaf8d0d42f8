"""Forms of the two-step login and sessions pages: they validate input; services decide."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

_CODE_ATTRS = {"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}


class SecondStepForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(_l("Enter the code.")), Length(max=32)],
        description=_l(
            "The six digits your authenticator app shows now, or one of your recovery codes."
        ),
        render_kw=_CODE_ATTRS,
    )


class ConfirmSetupForm(FlaskForm):
    code = StringField(
        _l("Code from the app"),
        validators=[DataRequired(_l("Enter the six digits the app shows.")), Length(max=32)],
        description=_l("Six digits. A new code appears every 30 seconds."),
        render_kw={**_CODE_ATTRS, "inputmode": "numeric"},
    )


class PasswordCheckForm(FlaskForm):
    """The password again, before a change to two-step login. Two of these share a page,
    told apart by a prefix; the page's one CSRF token is checked by CSRFProtect."""

    class Meta:
        csrf = False

    current_password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(_l("Enter your password."))],
        render_kw={"autocomplete": "current-password"},
    )


class TurnOffTwoFactorForm(PasswordCheckForm):
    """The password and a code: whoever has only the password (or only a logged-in
    browser) cannot take the second step away."""

    code = StringField(
        _l("Code from the app, or a recovery code"),
        validators=[DataRequired(_l("Enter the code.")), Length(max=32)],
        render_kw=_CODE_ATTRS,
    )


class ResetTwoFactorForm(FlaskForm):
    """On the role page beside the role form, so prefixed (`reset-`) to keep ids unique;
    CSRFProtect checks the page's token."""

    PREFIX = "reset"

    class Meta:
        csrf = False

    reason = TextAreaField(
        _l("Reason (kept in the audit log)"), validators=[Optional(), Length(max=500)]
    )
