"""The report form, the moderators' forms and the screened-word list."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Regexp,
    ValidationError,
)

from dialog.core.forms import VisibleText
from dialog.moderation.labels import ACTION_LABELS, FLAG_REASONS, QUEUE_STATE_LABELS
from dialog.moderation.models import Action, FlagReason
from dialog.moderation.queries import QUEUE_STATES
from dialog.moderation.services import MAX_BLOCK_DAYS

FLAG_TEXT_LENGTH = 1000
REASON_LENGTH = 1000


def _reason_field(label):
    return TextAreaField(
        label,
        validators=[
            DataRequired(_l("Give the reason; the author is told it.")),
            VisibleText(),
            Length(max=REASON_LENGTH),
        ],
    )


class FlagForm(FlaskForm):
    reason = RadioField(
        _l("Why should a moderator look at this?"),
        choices=[SelectChoice(reason.value, label) for reason, label in FLAG_REASONS.items()],
        validators=[DataRequired(_l("Choose a reason."))],
    )
    text = TextAreaField(
        _l("Tell the moderators more (optional, required for “Something else”)"),
        validators=[Length(max=FLAG_TEXT_LENGTH)],
    )

    def validate_text(self, field) -> None:
        if self.reason.data == FlagReason.other.value and not (field.data or "").strip():
            raise ValidationError(_l("Say what is wrong when you choose “Something else”."))


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False  # reading only; the filters travel in the link

    dialogue = SelectField(_l("Dialogue"), choices=[], default="")
    state = SelectField(
        _l("Show"),
        choices=[SelectChoice(state, QUEUE_STATE_LABELS[state]) for state in QUEUE_STATES],
        default="open",
    )
    reason = SelectField(
        _l("Reported as"),
        choices=[SelectChoice("", _l("Any reason"))]
        + [SelectChoice(reason.value, label) for reason, label in FLAG_REASONS.items()],
        default="",
    )

    def offer(self, dialogues) -> None:
        self.dialogue.choices = [SelectChoice("", _l("All my dialogues"))] + [
            SelectChoice(str(dialogue.id), dialogue.title) for dialogue in dialogues
        ]


class HideForm(FlaskForm):
    reason = _reason_field(_l("Why it is hidden (shown in its place and told to the author)"))


class RestoreForm(FlaskForm):
    reason = TextAreaField(
        _l("Why it is shown again (optional)"), validators=[Length(max=REASON_LENGTH)]
    )


class RedactForm(FlaskForm):
    title = StringField(_l("Title, with the personal data taken out"), validators=[Length(max=200)])
    body = TextAreaField(
        _l("Text, with the personal data taken out"),
        validators=[
            DataRequired(_l("The text cannot be empty; hide the item instead.")),
            VisibleText(),
            Length(max=5000),  # as long as a proposal may be
        ],
    )
    reason = _reason_field(_l("What was taken out, in general terms (told to the author)"))


class BlockForm(FlaskForm):
    days = IntegerField(
        _l("For how many days"),
        default=7,
        validators=[
            InputRequired(_l("Give a number of days.")),
            NumberRange(
                min=1,
                max=MAX_BLOCK_DAYS,
                message=_l("Give a number of days from 1 to %(max)d.", max=MAX_BLOCK_DAYS),
            ),
        ],
    )
    reason = _reason_field(_l("Why (told to the author)"))


BULK_ACTIONS = (Action.approve, Action.dismiss, Action.hide)


class BulkForm(FlaskForm):
    items = SelectMultipleField(_l("Selected"), choices=[], validate_choice=False)
    action = RadioField(
        _l("What to do with the selected items"),
        choices=[SelectChoice(action.value, ACTION_LABELS[action]) for action in BULK_ACTIONS],
        validators=[DataRequired(_l("Choose what to do."))],
    )
    # An id of its own: the queue page shows the filter's reason field too.
    reason = TextAreaField(
        _l("Reason (required when hiding)"),
        validators=[Length(max=REASON_LENGTH)],
        id="bulk-reason",
    )

    def validate_items(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Select at least one item."))

    def validate_reason(self, field) -> None:
        if self.action.data == Action.hide.value and not (field.data or "").strip():
            raise ValidationError(_l("Give the reason; the author is told it."))


class ReviewRequestForm(FlaskForm):
    reason = TextAreaField(
        _l("Why should another moderator look again?"),
        validators=[
            DataRequired(_l("Say why you think the decision was wrong.")),
            VisibleText(),
            Length(max=REASON_LENGTH),
        ],
    )


class ReviewDecisionForm(FlaskForm):
    outcome = RadioField(
        _l("Your review"),
        choices=[
            SelectChoice("stand", _l("The decision stands")),
            SelectChoice("reverse", _l("Reverse the decision")),
        ],
        validators=[DataRequired(_l("Choose whether the decision stands."))],
    )
    reason = _reason_field(_l("Why (told to the author)"))


class ScreenedWordForm(FlaskForm):
    word = StringField(
        _l("Word, or the start of words"),
        validators=[
            DataRequired(_l("Write a word.")),
            Length(min=2, max=80, message=_l("Write from 2 to 80 letters.")),
            Regexp(r"^\w+$", message=_l("One word only: letters and digits, no spaces.")),
        ],
    )
