"""Account forms: they validate input; services decide."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from dialog.accounts.labels import AGE_BAND_LABELS, LANGUAGE_LABELS, ROLE_LABELS
from dialog.accounts.models import AGE_BANDS, Role
from dialog.accounts.names import looks_like_staff
from dialog.accounts.services import is_common_password
from dialog.core.forms import AsciiMailbox, NoBidiControls, VisibleText
from dialog.districts import queries as district_queries

MIN_PASSWORD = 12
MAX_PASSWORD = 256


class NewPassword:
    """At least 12 characters and not among the most common passwords."""

    def __call__(self, form, field) -> None:
        password = field.data or ""
        if len(password) < MIN_PASSWORD:
            raise ValidationError(
                _l("The password must be at least %(n)d characters long.", n=MIN_PASSWORD)
            )
        if len(password) > MAX_PASSWORD:
            raise ValidationError(
                _l("The password can be at most %(n)d characters long.", n=MAX_PASSWORD)
            )
        if is_common_password(password):
            raise ValidationError(
                _l(
                    "This password is among the most common ones. Choose one that is harder to guess."
                )
            )


class NotStaffName:
    """Staff themselves may be called so: a form says so with `may_use_staff_names`."""

    def __call__(self, form, field) -> None:
        if getattr(form, "may_use_staff_names", False):
            return
        if field.data and looks_like_staff(field.data):
            raise ValidationError(
                _l(
                    "This name can be mistaken for the municipality or its staff. "
                    "Choose another name."
                )
            )


def _name_validators(message):
    return [
        DataRequired(message),
        VisibleText(message),
        Length(max=80),
        NoBidiControls(),
        NotStaffName(),
    ]


def _email_field(label=None):
    return EmailField(
        label or _l("Email address"),
        validators=[
            DataRequired(_l("Enter your email address.")),
            Email(
                _l("Enter an email address in the form name@example.se."),
                check_deliverability=False,
            ),
            AsciiMailbox(),
            Length(max=254),
        ],
        render_kw={"autocomplete": "email"},
    )


def _new_password_field(label=None):
    return PasswordField(
        label or _l("Password"),
        validators=[InputRequired(_l("Choose a password.")), NewPassword()],
        description=_l("At least 12 characters. A few unrelated words make a good password."),
        render_kw={"autocomplete": "new-password"},
    )


def _confirm_field():
    return PasswordField(
        _l("Repeat the password"),
        validators=[
            InputRequired(_l("Repeat the password.")),
            EqualTo("password", _l("The passwords do not match.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class RegisterForm(FlaskForm):
    email = _email_field()
    display_name = StringField(
        _l("Name"),
        validators=_name_validators(_l("Enter your name.")),
        description=_l("You choose in your profile whether it is shown publicly."),
        render_kw={"autocomplete": "name"},
    )
    password = _new_password_field()
    confirm = _confirm_field()
    accept_terms = BooleanField(
        _l("I accept the terms of use and have read the privacy notice"),
        validators=[DataRequired(_l("You need to accept the terms to create an account."))],
    )


class LoginForm(FlaskForm):
    email = _email_field()
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(_l("Enter your password."))],
        render_kw={"autocomplete": "current-password"},
    )


class ForgotPasswordForm(FlaskForm):
    email = _email_field()


class ResetPasswordForm(FlaskForm):
    password = _new_password_field(_l("New password"))
    confirm = _confirm_field()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[InputRequired(_l("Enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )
    password = _new_password_field(_l("New password"))
    confirm = _confirm_field()


class ChangeEmailForm(FlaskForm):
    email = _email_field(_l("New email address"))
    current_password = PasswordField(
        _l("Current password"),
        validators=[InputRequired(_l("Enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )


class ProfileForm(FlaskForm):
    display_name = StringField(
        _l("Name"),
        validators=_name_validators(_l("Enter your name.")),
        render_kw={"autocomplete": "name"},
    )
    show_name_publicly = RadioField(
        _l("How you are shown to others"),
        choices=[
            SelectChoice("yes", _l("With my name")),
            SelectChoice("no", _l("With a pseudonym")),
        ],
        validators=[InputRequired()],
    )
    pseudonym = StringField(
        _l("Pseudonym"),
        validators=_name_validators(_l("Enter a pseudonym.")),
        description=_l("Shown instead of your name when you choose a pseudonym."),
    )
    district = SelectField(
        _l("District (optional)"),
        validators=[Optional()],
        description=_l("Used only for statistics on who takes part. Never shown publicly."),
    )
    age_band = SelectField(
        _l("Age (optional)"),
        validators=[Optional()],
        description=_l("Used only for statistics on who takes part. Never shown publicly."),
    )
    locale = SelectField(_l("Language"), validators=[InputRequired()])
    follow_what_i_join = BooleanField(
        _l("Follow the proposals I comment on or vote for"),
        description=_l("You are told when they get an answer or new comments."),
    )

    def __init__(self, *args, may_use_staff_names: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.may_use_staff_names = may_use_staff_names
        not_given = SelectChoice("", _l("Prefer not to say"))
        self.district.choices = [not_given] + [
            SelectChoice(code, name) for code, name in district_queries.choices()
        ]
        self.age_band.choices = [not_given] + [
            SelectChoice(b, AGE_BAND_LABELS[b]) for b in AGE_BANDS
        ]
        self.locale.choices = [
            SelectChoice(code, LANGUAGE_LABELS[code]) for code in current_app.config["LANGUAGES"]
        ]


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[SelectChoice(r.value, ROLE_LABELS[r]) for r in Role])
    reason = TextAreaField(
        _l("Reason"),
        validators=[
            DataRequired(_l("Say why the role changes; it is kept in the audit log.")),
            Length(max=500),
        ],
    )


class DeleteAccountForm(FlaskForm):
    current_password = PasswordField(
        _l("Your password"),
        validators=[InputRequired(_l("Enter your password to confirm."))],
        render_kw={"autocomplete": "current-password"},
    )
    understood = BooleanField(
        _l("I understand that my account cannot be restored"),
        validators=[DataRequired(_l("Tick the box to confirm that you understand."))],
    )
