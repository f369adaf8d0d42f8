"""Cross-cutting pages: health and readiness, robots.txt, the vendored map library, the
municipality's stylesheet, logo and favicon.

The terms of use, the privacy notice and the accessibility statement are the pages domain's.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, jsonify, send_from_directory

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


# Kept by browsers and proxies for a year: their URLs carry the brand's version
# (`brand_url`), so a changed setting is a new URL.
A_YEAR = 365 * 86400


@bp.get("/brand/<version>/brand.css")
@limiter.exempt
def brand_stylesheet(version: str):
    return _brand_file(current_app.extensions["brand"].stylesheet.encode(), "text/css")


@bp.get("/brand/<version>/<any(logo, favicon):name>")
@limiter.exempt
def brand_file(version: str, name: str):
    brand = current_app.extensions["brand"]
    found = brand.logo if name == "logo" else brand.favicon
    if found is None:
        abort(404)
    return _brand_file(*found)


def _brand_file(content: bytes, mimetype: str) -> Response:
    response = Response(content, mimetype=mimetype)
    response.headers["Cache-Control"] = f"public, max-age={A_YEAR}, immutable"
    # An SVG opened on its own runs no script and loads nothing.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    )
    return response
