"""Dialogue forms: they validate input; services decide."""

from __future__ import annotations

import json
import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FloatField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from dialog.core.forms import AsciiMailbox, PointPairMixin, ascii_mailbox_problem
from dialog.core.timezone import in_schedulable_range
from dialog.dialogues import schedule
from dialog.dialogues.labels import (
    CAPABILITY_LABELS,
    KIND_LABELS,
    VISIBILITY_LABELS,
    VOTE_COUNTS_LABELS,
    VOTE_MODE_LABELS,
)
from dialog.dialogues.models import (
    Capability,
    PhaseKind,
    RetentionAction,
    Visibility,
    VoteCounts,
    VoteMode,
)

RETENTION_ACTION_LABELS = {
    RetentionAction.anonymise: _l("Keep the texts, remove who wrote and voted"),
    RetentionAction.remove: _l("Remove proposals, comments and votes"),
}

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
MINUTE_HINT = _l("Swedish time, to the minute, e.g. 2026-03-12 09:00.")


def parse_polygon(text: str) -> dict | None:
    """The GeoJSON Polygon the text holds, rebuilt with only its type and coordinates,
    or None when it holds none (including text nested too deep to parse)."""
    try:
        shape = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not _is_polygon(shape):
        return None
    return {"type": "Polygon", "coordinates": shape["coordinates"]}


def is_polygon(text: str) -> bool:
    """A GeoJSON Polygon: closed rings of at least four [longitude, latitude] positions."""
    return parse_polygon(text) is not None


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_polygon(shape) -> bool:
    if not isinstance(shape, dict) or shape.get("type") != "Polygon":
        return False
    rings = shape.get("coordinates")
    if not isinstance(rings, list) or not rings:
        return False
    for ring in rings:
        if not isinstance(ring, list) or len(ring) < 4 or ring[0] != ring[-1]:
            return False
        for position in ring:
            if not (
                isinstance(position, list)
                and len(position) == 2
                and all(_is_number(v) for v in position)
                and -180 <= position[0] <= 180
                and -90 <= position[1] <= 90
            ):
                return False
    return True


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class StoredTextField(TextAreaField):
    """Text for a stored list (one item a line) or shape (JSON). A field the request
    leaves out keeps the row's value, so that value is made text too: the form's values
    are then always text, however the request came."""

    def process_data(self, value):
        if isinstance(value, list):
            value = "\n".join(value)
        elif isinstance(value, dict):
            value = json.dumps(value)
        super().process_data(value)


class DialogueForm(PointPairMixin, FlaskForm):
    slug = StringField(
        _l("Address name"),
        validators=[
            DataRequired(_l("Enter an address name.")),
            Length(max=80),
            # \A and \Z, not ^ and $: "$" also matches before a final newline.
            Regexp(
                r"\A[a-z0-9]+(-[a-z0-9]+)*\Z",
                message=_l("Use lower-case letters a–z, digits and hyphens."),
            ),
        ],
        description=_l("Part of the page address, e.g. framtidens-stadskarna."),
    )
    reference_prefix = StringField(
        _l("Letters for proposal references (optional)"),
        validators=[
            Optional(),
            Regexp(r"\A[A-Za-z]{2,6}\Z", message=_l("Use 2 to 6 letters A–Z.")),
        ],
        description=_l(
            "Proposals are numbered like STK-0042. Made from the address name when left empty."
        ),
    )
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Enter a title.")), Length(max=200)]
    )
    summary = TextAreaField(
        _l("Summary"), validators=[DataRequired(_l("Enter a summary.")), Length(max=1000)]
    )
    background = TextAreaField(
        _l("Background"),
        validators=[Optional(), Length(max=50_000)],
        description=_l(
            "Facts and data residents need. Markdown: **bold**, *italic*, lists, "
            "links and headings (##)."
        ),
    )
    place_name = StringField(_l("Place"), validators=[Optional(), Length(max=200)])
    place_lat = FloatField(_l("Latitude (optional)"), validators=[Optional(), NumberRange(-90, 90)])
    place_lon = FloatField(
        _l("Longitude (optional)"), validators=[Optional(), NumberRange(-180, 180)]
    )
    place_area = StoredTextField(
        _l("Area (optional)"),
        validators=[Optional(), Length(max=100_000)],
        description=_l("A GeoJSON polygon with longitude, latitude pairs, for a map of the area."),
    )
    named_places = StoredTextField(
        _l("Named places"),
        validators=[Optional(), Length(max=4000)],
        description=_l("Places residents can choose for a proposal. One per line."),
    )
    themes = StoredTextField(
        _l("Themes"), validators=[Optional(), Length(max=4000)], description=_l("One per line.")
    )
    focus_areas = StoredTextField(
        _l("Focus areas"),
        validators=[Optional(), Length(max=4000)],
        description=_l("One per line."),
    )
    visibility = RadioField(
        _l("Who can take part"),
        choices=[SelectChoice(v.value, label) for v, label in VISIBILITY_LABELS.items()],
        default=Visibility.public.value,
        validators=[InputRequired()],
    )
    vote_mode = RadioField(
        _l("How people vote"),
        choices=[SelectChoice(mode.value, label) for mode, label in VOTE_MODE_LABELS.items()],
        default=VoteMode.for_against.value,
        validators=[InputRequired()],
    )
    votes_per_participant = IntegerField(
        _l("Votes per participant (optional)"),
        validators=[
            Optional(),
            NumberRange(min=1, max=1000, message=_l("Enter a number from 1 to 1000.")),
        ],
        description=_l("Leave empty for no limit."),
    )
    vote_counts = RadioField(
        _l("When residents see the vote counts"),
        choices=[SelectChoice(when.value, label) for when, label in VOTE_COUNTS_LABELS.items()],
        default=VoteCounts.live.value,
        validators=[InputRequired()],
        description=_l(
            "Hidden counts keep early votes from steering later ones; planners and administrators always see them."
        ),
    )

    flag_threshold = IntegerField(
        _l("Reports that hold an item out of sight"),
        default=3,
        # Optional: a form from before the setting existed keeps the dialogue's threshold.
        validators=[
            Optional(),
            NumberRange(min=1, max=100, message=_l("Give a number of reports from 1 to 100.")),
        ],
        description=_l(
            "When this many different accounts have reported a proposal or comment, it is "
            "hidden until a moderator decides."
        ),
    )
    premoderate_proposals = BooleanField(
        _l("A moderator approves each new proposal before it is shown")
    )
    premoderate_comments = BooleanField(
        _l("A moderator approves each new comment before it is shown")
    )
    screen_words = BooleanField(
        _l("New proposals and comments with a screened word wait for approval"),
        description=_l("Administrators keep the list of screened words."),
    )

    retention_months = IntegerField(
        _l("Thin the records this many months after the dialogue closes (optional)"),
        validators=[
            Optional(),
            NumberRange(min=1, max=1200, message=_l("Enter a number of months from 1 to 1200.")),
        ],
        description=_l(
            "As the municipality's retention decision says. Leave empty to keep the records. "
            "The dialogue closes when its last phase for proposals, comments or votes ends."
        ),
    )
    retention_action = RadioField(
        _l("When the records are thinned"),
        choices=[SelectChoice(a.value, label) for a, label in RETENTION_ACTION_LABELS.items()],
        default=RetentionAction.anonymise.value,
        # The dialogue's own value (an enum member) is read as its string value.
        coerce=lambda value: getattr(value, "value", value),
        # Optional: a form from before the setting existed keeps the dialogue's decision.
        validators=[Optional()],
    )

    def validate_place_area(self, field) -> None:
        if field.data and field.data.strip() and not is_polygon(field.data):
            raise ValidationError(
                _l(
                    "Give the area as a GeoJSON polygon, e.g. "
                    '{"type": "Polygon", "coordinates": [[[17.62, 59.19], [17.63, 59.19], '
                    "[17.63, 59.20], [17.62, 59.19]]]}."
                )
            )

    def values(self) -> dict:
        values = {
            "title": self.title.data.strip(),
            "summary": self.summary.data.strip(),
            "background": self.background.data or "",
            "place_name": (self.place_name.data or "").strip(),
            "place_lat": self.place_lat.data,
            "place_lon": self.place_lon.data,
            # Whitespace is no area; extra members of the GeoJSON are not kept.
            "place_area": parse_polygon(self.place_area.data or "")
            if self.place_area.data
            else None,
            "named_places": _lines(self.named_places.data),
            "themes": _lines(self.themes.data),
            "focus_areas": _lines(self.focus_areas.data),
            "visibility": Visibility(self.visibility.data),
            "vote_mode": VoteMode(self.vote_mode.data),
            "votes_per_participant": self.votes_per_participant.data,
            "vote_counts": VoteCounts(self.vote_counts.data),
            "retention_months": self.retention_months.data,
            "premoderate_proposals": self.premoderate_proposals.data,
            "premoderate_comments": self.premoderate_comments.data,
            "screen_words": self.screen_words.data,
            "retention_action": RetentionAction(
                self.retention_action.data or RetentionAction.anonymise.value
            ),
        }
        if self.reference_prefix.data:
            values["reference_prefix"] = self.reference_prefix.data.upper()
        if self.flag_threshold.data is not None:
            values["flag_threshold"] = self.flag_threshold.data
        return values

    def fill_from(self, dialogue) -> None:
        self.place_area.data = json.dumps(dialogue.place_area) if dialogue.place_area else ""
        self.named_places.data = "\n".join(dialogue.named_places or [])
        self.themes.data = "\n".join(dialogue.themes or [])
        self.focus_areas.data = "\n".join(dialogue.focus_areas or [])
        self.visibility.data = dialogue.visibility.value
        self.vote_mode.data = dialogue.vote_mode.value
        self.vote_counts.data = dialogue.vote_counts.value
        self.retention_action.data = dialogue.retention_action.value


def _check_schedulable(field) -> None:
    # Year 1 or 9999 would overflow when converted to UTC; no dialogue is planned then.
    if field.data is not None and not in_schedulable_range(field.data):
        raise ValidationError(schedule.out_of_range_message())


OVERRIDE_CHOICES = [
    SelectChoice("", _l("As the phase kind decides")),
    SelectChoice("on", _l("Allowed")),
    SelectChoice("off", _l("Not allowed")),
]


class PhaseForm(FlaskForm):
    kind = SelectField(
        _l("Kind of phase"),
        choices=[SelectChoice(k.value, KIND_LABELS[k]) for k in PhaseKind],
        validators=[InputRequired()],
    )
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Enter a title.")), Length(max=200)]
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    starts_at = DateTimeLocalField(
        _l("Starts"),
        format=DATETIME_FORMAT,
        description=MINUTE_HINT,
        validators=[InputRequired(_l("Enter when the phase starts."))],
    )
    ends_at = DateTimeLocalField(
        _l("Ends (optional)"),
        format=DATETIME_FORMAT,
        validators=[Optional()],
        description=_l("Swedish time. Leave empty only for the last phase."),
    )
    # Shown only with the warning that the phase starts or lies in the past: saving it
    # then takes this box ticked (GOV.UK's warning text, with an explicit choice).
    confirm_past = BooleanField(_l("Yes, schedule the phase with these dates"))
    preview = SubmitField(_l("Preview the timeline"))
    save = SubmitField(_l("Save phase"))

    def validate_starts_at(self, field) -> None:
        _check_schedulable(field)

    def validate_ends_at(self, field) -> None:
        _check_schedulable(field)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for capability in Capability:
            getattr(self, f"override_{capability.value}").label.text = CAPABILITY_LABELS[capability]

    def overrides(self) -> dict[str, bool]:
        return {
            capability.value: getattr(self, f"override_{capability.value}").data == "on"
            for capability in Capability
            if getattr(self, f"override_{capability.value}").data in ("on", "off")
        }

    def override_fields(self):
        return [getattr(self, f"override_{capability.value}") for capability in Capability]

    def fill_overrides(self, overrides: dict[str, bool]) -> None:
        for name, allowed in (overrides or {}).items():
            getattr(self, f"override_{name}").data = "on" if allowed else "off"


for _capability in Capability:
    setattr(
        PhaseForm,
        f"override_{_capability.value}",
        SelectField(
            _capability.value, choices=OVERRIDE_CHOICES, default="", validators=[Optional()]
        ),
    )


class ConfirmForm(FlaskForm):
    """The button on a confirmation page. `confirmed` carries what the page showed (the
    state a dialogue moves to, the phase that closes early), so a POST without it, or
    from a page showing other consequences, brings the confirmation page back instead of
    acting."""

    confirmed = HiddenField()

    def confirms(self, shown: str) -> bool:
        """Sent, valid, and the confirmation of `shown`."""
        return self.validate_on_submit() and self.is_confirmation_of(shown)

    def is_confirmation_of(self, shown: str) -> bool:
        return self.confirmed.data == shown


class ReasonForm(ConfirmForm):
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(_l("Say why; it is kept in the audit log.")), Length(max=1000)],
    )


class PlannerForm(FlaskForm):
    email = StringField(
        _l("The planner's email address"),
        validators=[
            DataRequired(_l("Enter an email address.")),
            Email(_l("Enter a valid email address.")),
            AsciiMailbox(),
            Length(max=254),
        ],
    )


class InviteForm(FlaskForm):
    emails = TextAreaField(
        _l("Email addresses"),
        validators=[DataRequired(_l("Enter at least one email address.")), Length(max=50_000)],
        description=_l("One or more addresses, separated by new lines, commas or spaces."),
    )

    def addresses(self) -> list[str]:
        return [a for a in re.split(r"[\s,;]+", self.emails.data or "") if a]

    def validate_emails(self, field) -> None:
        bad = [a for a in self.addresses() if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", a)]
        if bad:
            raise ValidationError(
                _l("These are not email addresses: %(list)s", list=", ".join(bad[:10]))
            )
        unreachable = [a for a in self.addresses() if ascii_mailbox_problem(a)]
        if unreachable:
            raise ValidationError(
                _l(
                    "Mail cannot reach these addresses (å, ä or ö before the @): %(list)s",
                    list=", ".join(unreachable[:10]),
                )
            )
        if len(self.addresses()) > 500:
            raise ValidationError(_l("Invite at most 500 addresses at a time."))


class AttachmentForm(FlaskForm):
    """An image or a PDF for the dialogue's background."""

    file = FileField(
        _l("File"),
        description=_l("A PDF document or an image (JPEG, PNG or WebP), at most 10 MB."),
        validators=[FileRequired(_l("Choose a file to upload."))],
    )
    title = StringField(
        _l("Title"),
        description=_l("The link text of a document, the caption of an image."),
        validators=[
            DataRequired(_l("Give the file a title.")),
            Length(max=200, message=_l("The title can be at most 200 characters.")),
        ],
    )
    alt_text = StringField(
        _l("What the image shows (for images)"),
        description=_l("Read aloud to those who cannot see the image. Leave empty for a PDF."),
        validators=[
            Optional(),
            Length(max=500, message=_l("The description can be at most 500 characters.")),
        ],
    )
