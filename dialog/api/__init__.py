"""The read-only open-data JSON API under /api/v1/ and its OpenAPI document."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from dialog.api import views

    app.register_blueprint(views.bp)
