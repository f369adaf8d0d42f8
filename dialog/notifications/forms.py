"""How often a person wants email, per category."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice
from wtforms.validators import DataRequired

from dialog.notifications.labels import CATEGORY_LABELS, FREQUENCY_LABELS
from dialog.notifications.models import Category, Frequency

FREQUENCY_CHOICES = [SelectChoice(f.value, label) for f, label in FREQUENCY_LABELS.items()]


def preferences_form(categories: list[Category], current: dict[Category, Frequency]):
    """A radio group per category this person may hear about, set to what they chose."""

    class PreferencesForm(FlaskForm):
        def chosen(self) -> dict[Category, Frequency]:
            return {c: Frequency(self[c.value].data) for c in categories}

    for category in categories:
        setattr(
            PreferencesForm,
            category.value,
            RadioField(
                CATEGORY_LABELS[category],
                choices=FREQUENCY_CHOICES,
                default=current[category].value,
                validators=[DataRequired(_l("Choose how often."))],
            ),
        )
    return PreferencesForm()
