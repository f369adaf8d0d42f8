"""The report form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from dialog.moderation.labels import FLAG_REASONS
from dialog.moderation.models import FlagReason

FLAG_TEXT_LENGTH = 1000


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
