"""Proposal and vote forms: they validate input; services decide."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    FloatField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from dialog.core.forms import PointPairMixin, VisibleText
from dialog.core.timezone import local_today
from dialog.proposals.labels import (
    ANSWER_LABELS,
    DIMENSION_LABELS,
    SOURCE_LABELS,
    STANCE_LABELS,
    VOTE_LABELS,
)
from dialog.proposals.models import (
    DEPARTMENT_LENGTH,
    AnswerStatus,
    Dimension,
    Source,
    Stance,
    VoteValue,
)


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ProposalForm(PointPairMixin, FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(_l("Give the proposal a title.")),
            VisibleText(_l("Give the proposal a title.")),
            Length(max=150, message=_l("The title can be at most 150 characters.")),
        ],
    )
    body = TextAreaField(
        _l("Your proposal"),
        validators=[
            DataRequired(_l("Describe your proposal.")),
            VisibleText(_l("Describe your proposal.")),
            Length(max=5000, message=_l("The proposal can be at most 5,000 characters.")),
        ],
        description=_l(
            "What should change, where, and why? You can use **bold**, *italic* and lists."
        ),
    )
    theme = SelectField(_l("Theme"), validators=[Optional()])
    focus_area = SelectField(_l("Focus area"), validators=[Optional()])
    dimensions = CheckboxesField(
        _l("Sustainability dimensions it concerns"),
        choices=[SelectChoice(d.value, DIMENSION_LABELS[d]) for d in Dimension],
        validators=[Optional()],
    )
    place_name = SelectField(_l("Place (optional)"), validators=[Optional()])
    image = FileField(
        _l("Image (optional)"),
        description=_l("JPEG, PNG or WebP, at most 5 MB. Location and camera details are removed."),
    )
    image_key = HiddenField()
    place_lat = FloatField(_l("Latitude (optional)"), validators=[Optional(), NumberRange(-90, 90)])
    place_lon = FloatField(
        _l("Longitude (optional)"), validators=[Optional(), NumberRange(-180, 180)]
    )

    def __init__(self, dialogue, *args, **kwargs):
        super().__init__(*args, **kwargs)
        none = SelectChoice("", _l("Choose…"))
        self.theme.choices = [none] + [SelectChoice(t) for t in dialogue.themes or []]
        self.focus_area.choices = [none] + [SelectChoice(f) for f in dialogue.focus_areas or []]
        places = list(dialogue.named_places or [])
        existing = getattr(kwargs.get("obj"), "place_name", None)
        if existing and existing not in places:
            # An edited proposal keeps a place that has since left the dialogue's list.
            places.append(existing)
        self.place_name.choices = [none] + [SelectChoice(p) for p in places]

    def values(self) -> dict:
        return {
            "title": self.title.data.strip(),
            "body": self.body.data,
            "theme": self.theme.data or None,
            "focus_area": self.focus_area.data or None,
            "dimensions": list(self.dimensions.data or []),
            "place_name": (self.place_name.data or "").strip() or None,
            "place_lat": self.place_lat.data,
            "place_lon": self.place_lon.data,
        }


class VoteForm(FlaskForm):
    value = SelectField(
        choices=[SelectChoice(v.value, VOTE_LABELS[v]) for v in VoteValue],
        validators=[InputRequired()],
    )


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        _l("Why do you withdraw the proposal?"),
        validators=[DataRequired(_l("Say why; it is shown with the proposal.")), Length(max=1000)],
    )


class CommentForm(FlaskForm):
    body = TextAreaField(
        _l("Your comment"),
        validators=[
            DataRequired(_l("Write a comment.")),
            VisibleText(_l("Write a comment.")),
            Length(max=2000, message=_l("A comment can be at most 2,000 characters.")),
        ],
    )
    stance = RadioField(
        _l("Your view of the proposal"),
        # A scale, read in order: for, neutral, against.
        choices=[SelectChoice(s.value, STANCE_LABELS[s]) for s in STANCE_LABELS],
        default=Stance.neutral.value,
        validators=[InputRequired()],
    )


class DeleteCommentForm(FlaskForm):
    """The confirmation page's button: a POST without it shows the page instead."""

    confirmed = HiddenField(validators=[AnyOf(["yes"])])


class AnswerForm(FlaskForm):
    status = SelectField(
        _l("Status"),
        choices=[SelectChoice(s.value, ANSWER_LABELS[s]) for s in AnswerStatus],
        validators=[InputRequired()],
    )
    body = TextAreaField(
        _l("The municipality's answer"),
        validators=[DataRequired(_l("Write the answer.")), Length(max=10_000)],
        description=_l(
            "You can use **bold**, *italic*, lists and links; a line break is kept as you write it."
        ),
    )
    department = StringField(
        _l("Responsible department"),
        validators=[
            Optional(),
            Length(
                max=DEPARTMENT_LENGTH,
                message=_l("The department can be at most 120 characters."),
            ),
        ],
        description=_l(
            "The department that answers, for example Stadsbyggnadsförvaltningen. Residents "
            "see it with the answer."
        ),
    )
    save_draft = SubmitField(_l("Save as draft"))
    publish = SubmitField(_l("Publish the answer"))


# What a planner records by hand; online input comes through the site, imports through
# `flask import-dialogue` and `import-polis`.
RECORDED_SOURCES = (Source.letter, Source.phone, Source.email, Source.workshop)
# A case number as registrars write them: "KS 2026/123", "SBN-2026-0412", "2026.1234".
CASE_NUMBER = r"^[\w][\w .:/-]*$"


def _received_in_the_past(form, field) -> None:
    if field.data is None:
        return
    if field.data > local_today():
        raise ValidationError(_l("The date received cannot be in the future."))
    if field.data.year < EARLIEST_RECEIVED_YEAR:
        raise ValidationError(
            _l("Give a date from %(year)d or later.", year=EARLIEST_RECEIVED_YEAR)
        )


EARLIEST_RECEIVED_YEAR = 2000


class EnteredProposalForm(ProposalForm):
    """A planner records input that came another way: from whom, when, under which case."""

    source = SelectField(
        _l("Where the input came from"),
        choices=[SelectChoice(s.value, SOURCE_LABELS[s]) for s in RECORDED_SOURCES],
        validators=[InputRequired()],
    )
    sender_name = StringField(
        _l("Sender (optional)"),
        description=_l(
            "Name or organisation. Only the dialogue's planners and administrators see it."
        ),
        validators=[
            Optional(),
            Length(max=200, message=_l("The sender can be at most 200 characters.")),
        ],
    )
    received_on = DateField(
        _l("Date received"),
        validators=[
            InputRequired(_l("Enter the date the input was received.")),
            _received_in_the_past,
        ],
    )
    case_number = StringField(
        _l("Case number (diarienummer, optional)"),
        description=_l("As in the registry, for example KS 2026/123. Residents see it."),
        validators=[
            Optional(),
            Length(max=50, message=_l("The case number can be at most 50 characters.")),
            Regexp(
                CASE_NUMBER,
                message=_l("Write the case number with letters, digits, spaces and . : / -"),
            ),
        ],
    )

    def __init__(self, dialogue, *args, **kwargs) -> None:
        super().__init__(dialogue, *args, **kwargs)
        self.body.label.text = _l("What the sender proposes")
        self.body.description = _l(
            "In the sender's own words where you can, without names or contact details."
        )

    def received(self) -> dict:
        return {
            "sender_name": (self.sender_name.data or "").strip() or None,
            "received_on": self.received_on.data,
            "case_number": (self.case_number.data or "").strip() or None,
        }
