"""The audit log viewer: administrators read and export who did what, when and why.

The log itself is core's (dialog/core/audit.py): every domain appends to it; this domain
only reads it.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from dialog.audit import views

    app.register_blueprint(views.bp)
