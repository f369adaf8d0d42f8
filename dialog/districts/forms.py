"""Forms of the districts and the population table: they validate input; services decide."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from dialog.core.forms import NoBidiControls, VisibleText
from dialog.districts.models import CODE_LENGTH, NAME_LENGTH

# Letters, digits, dot, hyphen and underscore: safe in a path and in a CSV file as it is.
CODE_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"


def _lowered(value):
    return value.strip().lower() if isinstance(value, str) else value


def _stripped(value):
    return value.strip() if isinstance(value, str) else value


def _name_field():
    return StringField(
        _l("Name"),
        filters=[_stripped],
        validators=[
            DataRequired(_l("Enter the district's name.")),
            VisibleText(_l("Enter the district's name.")),
            NoBidiControls(),
            Length(max=NAME_LENGTH, message=_l("The name can be at most %(max)d characters long.")),
        ],
        description=_l("As residents know it; shown in the profile and in reports."),
    )


class DistrictForm(FlaskForm):
    code = StringField(
        _l("Code"),
        filters=[_lowered],
        validators=[
            DataRequired(_l("Enter a code.")),
            Length(max=CODE_LENGTH, message=_l("The code can be at most %(max)d characters long.")),
            Regexp(
                CODE_PATTERN,
                message=_l(
                    "Use only letters a–z, digits, dots, hyphens and underscores, "
                    "starting with a letter or a digit."
                ),
            ),
        ],
        description=_l(
            "The population table refers to the district by this code, for example "
            "Statistics Sweden's area code. It cannot be changed later."
        ),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    name = _name_field()


class RenameForm(FlaskForm):
    name = _name_field()


class RemoveForm(FlaskForm):
    clear_choices = BooleanField(
        _l("Remove it, and leave the people who chose it without a district"),
    )


class PopulationForm(FlaskForm):
    table = FileField(
        _l("Population table (CSV)"),
        validators=[FileRequired(_l("Choose a CSV file."))],
        description=_l(
            "Columns district_code, age_band and count, separated by commas or semicolons; "
            "age bands under_18, 18_29, 30_44, 45_64, 65_79 and 80_plus. The file replaces "
            "the stored table; nothing is stored unless every line is right."
        ),
        render_kw={"accept": ".csv,text/csv"},
    )
