"""The districts of the municipality, administered as a list of codes and names, and the
population table (people per district and age band) that reports compare participants
with."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from dialog.accounts.labels import AGE_BAND_LABELS
    from dialog.districts import models, views  # noqa: F401  (models register their tables)

    app.register_blueprint(views.bp)
    app.jinja_env.globals.update(age_band_label=AGE_BAND_LABELS.get)
