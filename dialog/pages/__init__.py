"""The installation's legal pages: terms of use, the privacy notice and the accessibility
statement (with its feedback form), edited by administrators in Swedish and English."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from dialog.pages import models, views  # noqa: F401  (models register their tables)

    app.register_blueprint(views.bp)
