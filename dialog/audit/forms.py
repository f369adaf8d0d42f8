"""The audit log's filters: a GET form, so a filtered view is a link one can share."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

# Dates outside these years cannot be times anything happened here, and year 1 or 9999
# would overflow when moved between the local zone and UTC.
EARLIEST_YEAR, LATEST_YEAR = 2000, 9000


def _plausible_date(form, field) -> None:
    if field.data is not None and not EARLIEST_YEAR <= field.data.year <= LATEST_YEAR:
        raise ValidationError(
            _l("Give a date between %(first)d and %(last)d.", first=EARLIEST_YEAR, last=LATEST_YEAR)
        )


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # reading only; the filters travel in the link

    actor = StringField(
        _l("Done by"),
        validators=[Optional(), Length(max=254)],
        description=_l("An email address or an account number."),
    )
    area = SelectField(
        _l("Area"),
        # Actions named "<area>.<what>" (moderation.hide): the moderation history is one.
        choices=[SelectChoice("", _l("All")), SelectChoice("moderation", _l("Moderation"))],
        default="",
    )
    action = SelectField(_l("Action"), choices=[], default="")
    object_type = SelectField(_l("Kind of object"), choices=[], default="")
    object_id = StringField(_l("Object number"), validators=[Optional(), Length(max=64)])
    since = DateField(_l("From (date)"), validators=[Optional(), _plausible_date])
    until = DateField(_l("To (date)"), validators=[Optional(), _plausible_date])

    def offer(self, actions: list[str], object_types: list[str]) -> None:
        """The choices are what the log holds, so the lists never offer what cannot match."""
        everything = [("", _l("All"))]
        self.action.choices = everything + [(a, a) for a in actions]
        self.object_type.choices = everything + [(t, t) for t in object_types]

    def validate_until(self, field) -> None:
        if self.since.data and field.data and field.data < self.since.data:
            raise ValidationError(_l("The end date cannot be before the start date."))

    @property
    def filters(self) -> dict:
        return {
            "actor": (self.actor.data or "").strip(),
            "area": self.area.data or "",
            "action": self.action.data or "",
            "object_type": self.object_type.data or "",
            "object_id": (self.object_id.data or "").strip(),
            "since": self.since.data,
            "until": self.until.data,
        }
