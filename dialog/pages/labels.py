"""What people read for the kinds of legal page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from dialog.pages.models import PageKind

KIND_LABELS = {
    PageKind.terms: _l("Terms of use"),
    PageKind.privacy: _l("Privacy notice"),
    PageKind.accessibility: _l("Accessibility statement"),
    PageKind.conduct: _l("Code of conduct"),
}
