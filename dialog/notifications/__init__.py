"""Notifications: the worker tells people what happened to what they wrote, follow or
moderate, in the app (the bell) and by email, at once or in a digest as each person
chose; every email is one delivery record, sent once."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from dialog.notifications import models, stopping, tasks, views  # noqa: F401  (register tables, signals, tasks, routes)
    from dialog.notifications.labels import CATEGORY_LABELS

    app.register_blueprint(views.bp)
    app.jinja_env.globals.update(category_label=CATEGORY_LABELS.get)
