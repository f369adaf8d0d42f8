"""Districts and population tables for tests, written through the real services."""

from __future__ import annotations

from sqlalchemy import delete

from dialog.districts import services
from dialog.districts.models import District
from dialog.extensions import db


def only_districts(app, names: dict[str, str]) -> None:
    """Make the list exactly `names` (code → name), in that order, and commit."""
    with app.app_context():
        db.session.execute(delete(District))
        for code, name in names.items():
            services.add_district(code, name, by=None)
        db.session.commit()


def store_population(app, counts: dict[tuple[str, str], int]) -> None:
    with app.app_context():
        assert services.replace_population(counts, by=None)
        db.session.commit()
