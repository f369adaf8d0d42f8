"""Security headers on every response; personal responses are never stored by any cache."""

from __future__ import annotations

from flask import Flask, abort, current_app, g, request, session
from flask_babel import lazy_gettext as _l

NUL_MESSAGE = _l("The text contains a character that cannot be used (NUL).")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:{tiles}; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def init_app(app: Flask) -> None:
    app.before_request(_refuse_nul_characters)
    app.after_request(_set_security_headers)
    app.after_request(_keep_personal_responses_out_of_caches)


def _refuse_nul_characters() -> None:
    # No text a person types contains NUL, and PostgreSQL cannot store it: a clear 400
    # instead of a database error.
    for values in (request.args, request.form):
        # Every value of a repeated field, not only the first that .values() would give.
        if any("\x00" in value for _, value in values.items(multi=True)):
            abort(400, description=str(NUL_MESSAGE))
    # An uploaded file's name is text the person sent too (it is stored with the file).
    if any("\x00" in (upload.filename or "") for _, upload in request.files.items(multi=True)):
        abort(400, description=str(NUL_MESSAGE))


def _tile_origin() -> str:
    url = current_app.config.get("MAP_TILE_URL") or ""
    if "://" not in url:
        return ""
    scheme, rest = url.split("://", 1)
    return " " + scheme + "://" + rest.split("/", 1)[0].replace("{s}", "*")


def _set_security_headers(response):
    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy", CONTENT_SECURITY_POLICY.format(tiles=_tile_origin())
    )
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
    if current_app.config["HSTS"]:
        headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    return response


# The same files for everyone, whoever asks: they keep their own cache headers.
SHARED_FILES = frozenset({"static", "core.leaflet", "core.brand_stylesheet", "core.brand_file"})


def _keep_personal_responses_out_of_caches(response):
    # Runs after every blueprint's own after_request, so it overrides what they chose:
    # a page for a logged-in person, or one that carries a session cookie, must not be
    # kept by the browser (a shared computer's back button) or any cache on the way.
    if _is_personal() and "no-store" not in response.headers.get("Cache-Control", ""):
        response.headers["Cache-Control"] = "no-store"
    return response


def _is_personal() -> bool:
    if current_app.session_interface.should_set_cookie(current_app, session):
        return True
    if request.endpoint in SHARED_FILES:
        return False  # the same files for everyone; they keep their cache headers
    user = g.get("_login_user")  # set by Flask-Login once the request asked who it is
    return "_user_id" in session or bool(user is not None and user.is_authenticated)
