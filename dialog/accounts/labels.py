"""What people read for roles, age bands and languages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from dialog.accounts.models import Role

ROLE_LABELS = {
    Role.resident: _l("Resident"),
    Role.planner: _l("Planner"),
    Role.admin: _l("Administrator"),
}
AGE_BAND_LABELS = {
    "under_18": _l("Under 18"),
    "18_29": _l("18–29"),
    "30_44": _l("30–44"),
    "45_64": _l("45–64"),
    "65_79": _l("65–79"),
    "80_plus": _l("80 or older"),
}
# Each language is named in itself, so a reader finds theirs whatever the page's language.
LANGUAGE_LABELS = {"sv": "Svenska", "en": "English"}
