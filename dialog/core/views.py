"""Cross-cutting pages: health and readiness, robots.txt, the vendored map library.

The terms of use, the privacy notice and the accessibility statement are the pages domain's.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, send_from_directory

from dialog.core import health
from dialog.extensions import limiter

bp = Blueprint("core", __name__)

ROBOTS_TXT = "User-agent: *\nDisallow: /admin/\nDisallow: /api/\n"


@bp.get("/robots.txt")
@limiter.exempt
def robots():
    return Response(ROBOTS_TXT, mimetype="text/plain")


@bp.get("/healthz")
@limiter.exempt
def healthz():
    answer, healthy = health.health()
    return _uncached(jsonify(answer), 200 if healthy else 503)


@bp.get("/readyz")
@limiter.exempt
def readyz():
    answer = health.readiness()
    return _uncached(jsonify(answer), 503 if answer["status"] == health.DOWN else 200)


def _uncached(response: Response, status: int) -> Response:
    # A load balancer or monitor must see the state now, never a proxy's copy.
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/vendor/leaflet/<path:filename>")
@limiter.exempt
def leaflet(filename: str):
    """Leaflet from its Python package (XStatic-Leaflet): no CDN at runtime."""
    import xstatic.pkg.leaflet as package

    return send_from_directory(package.BASE_DIR, filename, max_age=86400)
