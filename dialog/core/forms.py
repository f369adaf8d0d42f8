"""Forms every domain uses."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm


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
