"""Forms every domain uses."""

import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import StopValidation, ValidationError


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class PointPairMixin:
    """Forms with `place_lat` and `place_lon`: both or neither.

    Checked after the fields, because Optional() stops a field-level check on the empty one.
    """

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if (
            not self.place_lat.errors
            and not self.place_lon.errors
            and ((self.place_lat.data is None) != (self.place_lon.data is None))
        ):
            self.place_lon.errors.append(_l("Give both latitude and longitude, or neither."))
            valid = False
        return valid


# Text that must say something ----------------------------------------------------------

# Characters that show nothing: spaces of every kind and the format characters (zero-width
# space and joiners, word joiner, byte-order mark, soft hyphen, bidi marks). Python's
# str.strip() and DataRequired leave the format characters in place.
INVISIBLE_CATEGORIES = frozenset({"Cf", "Zs", "Zl", "Zp", "Cc", "Mn", "Me"})

# Controls that reorder how text is displayed: a name could read "nummoK" one way and
# "Kommun" the other, or hide what follows it.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def visible_part(text: str) -> str:
    return "".join(ch for ch in text or "" if unicodedata.category(ch) not in INVISIBLE_CATEGORIES)


class VisibleText:
    """Refuses text that is empty once spaces and invisible characters are left out.

    Use after DataRequired (which only strips ordinary spaces) on every free-text field.
    """

    def __init__(self, message=None):
        self.message = message or _l("Write something that can be read, not only spaces.")

    def __call__(self, form, field) -> None:
        if field.data and not visible_part(field.data):
            raise StopValidation(self.message)


class NoBidiControls:
    """Refuses characters that reverse or reorder the text around them (names only: in a
    longer text an Arabic or Hebrew quote can need them, and there they deceive less)."""

    def __call__(self, form, field) -> None:
        if any(ch in BIDI_CONTROLS for ch in field.data or ""):
            raise ValidationError(
                _l("Remove the invisible characters that change the direction of the text.")
            )


def ascii_mailbox_problem(address: str) -> str | None:
    """Why mail cannot reach the address, or None: the part before the @ beyond ASCII
    (åsa@...) needs SMTPUTF8 at every mail server on the way, which we do not rely on.
    A Swedish domain (åre.se) is fine."""
    mailbox = (address or "").rpartition("@")[0]
    if mailbox and not mailbox.isascii():
        return _l("Use an address with only a–z, digits and . _ - before the @ (no å, ä or ö).")
    return None


class AsciiMailbox:
    """An email field whose address mail can reach (`ascii_mailbox_problem`)."""

    def __call__(self, form, field) -> None:
        if problem := ascii_mailbox_problem(field.data):
            raise ValidationError(problem)
