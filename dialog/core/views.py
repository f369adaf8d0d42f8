"""Cross-cutting pages: health, robots.txt, the vendored map library.

The terms of use, the privacy notice and the accessibility statement are the pages domain's.
"""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    send_from_directory,
)
from sqlalchemy import text

from dialog.extensions import db, limiter

log = logging.getLogger(__name__)
bp = Blueprint("core", __name__)

ROBOTS_TXT = "User-agent: *\nDisallow: /admin/\nDisallow: /api/\n"


@bp.get("/robots.txt")
@limiter.exempt
def robots():
    return Response(ROBOTS_TXT, mimetype="text/plain")


@bp.get("/healthz")
@limiter.exempt
def healthz():
    checks = {"database": _database_status(), "broker": _broker_status()}
    healthy = all(value == "ok" for value in checks.values())
    return jsonify({"status": "ok" if healthy else "error", **checks}), 200 if healthy else 503


def _database_status() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except Exception as error:
        log.warning("health check: database unreachable: %s", error)
        db.session.rollback()
        return "down"
    return "ok"


def _broker_status() -> str:
    celery_app = current_app.extensions["celery"]
    timeout = current_app.config["OUTBOX_PUBLISH_TIMEOUT"]
    try:
        with celery_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)
    except Exception as error:
        log.warning("health check: broker unreachable: %s", error)
        return "down"
    return "ok"


@bp.get("/vendor/leaflet/<path:filename>")
@limiter.exempt
def leaflet(filename: str):
    """Leaflet from its Python package (XStatic-Leaflet): no CDN at runtime."""
    import xstatic.pkg.leaflet as package

    return send_from_directory(package.BASE_DIR, filename, max_age=86400)
