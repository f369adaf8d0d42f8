"""Forms of the legal pages: they validate input; services decide."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from dialog.core.forms import AsciiMailbox, VisibleText

MAX_BODY = 50_000
MAX_DESCRIPTION = 5_000
MAX_PAGE_ADDRESS = 500


class LegalPageForm(FlaskForm):
    body = TextAreaField(
        _l("Text"),
        validators=[
            Length(max=MAX_BODY, message=_l("The text can be at most %(max)d characters long.")),
        ],
        description=_l(
            "Markdown: a blank line between paragraphs, ## for a heading, - for a list item, "
            "[words](https://…) for a link. Leave it empty to show the built-in text."
        ),
        render_kw={"rows": 24},
    )
    save = SubmitField(_l("Save"))
    reset = SubmitField(_l("Use the built-in text"))


class FeedbackForm(FlaskForm):
    description = TextAreaField(
        _l("What was hard to use?"),
        validators=[
            DataRequired(_l("Describe what was hard to use.")),
            VisibleText(_l("Describe what was hard to use.")),
            Length(
                max=MAX_DESCRIPTION,
                message=_l("The description can be at most %(max)d characters long."),
            ),
        ],
        description=_l("Say what you tried to do and what got in the way."),
        render_kw={"rows": 6},
    )
    page_address = StringField(
        _l("The page's address (optional)"),
        validators=[
            Optional(),
            Length(
                max=MAX_PAGE_ADDRESS,
                message=_l("The address can be at most %(max)d characters long."),
            ),
        ],
        description=_l("Copy the address from the browser, or say which page it was."),
        render_kw={"autocomplete": "off"},
    )
    email = EmailField(
        _l("Your email address, if you want an answer (optional)"),
        validators=[
            Optional(),
            Email(
                _l("Enter an email address in the form name@example.se."),
                check_deliverability=False,
            ),
            AsciiMailbox(),
            Length(max=254),
        ],
        render_kw={"autocomplete": "email"},
    )
