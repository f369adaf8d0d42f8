"""Friendly error pages in the visitor's language, JSON with a reason under /api/."""

from __future__ import annotations

import contextlib
import logging
from urllib.parse import urlsplit

import redis
import sqlalchemy as sa
from flask import (
    Flask,
    current_app,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from dialog.core import urls
from dialog.core.db import is_outage
from dialog.core.permissions import Decision, Refused, refusal_response
from dialog.extensions import db

log = logging.getLogger(__name__)

MESSAGES = {
    400: (
        _l("The request could not be understood"),
        _l("Something in the request was wrong. Go back, check what you entered and try again."),
    ),
    403: (_l("You do not have access"), _l("You do not have permission to do this.")),
    404: (
        _l("The page could not be found"),
        _l(
            "The page may have been moved or removed. Check the address or start from the front page."
        ),
    ),
    405: (_l("That is not possible here"), _l("This page does not accept that kind of request.")),
    413: (_l("The file is too large"), _l("What you sent is larger than we accept.")),
    429: (
        _l("Too many attempts"),
        _l("You have tried too many times in a short while. Wait a moment and try again."),
    ),
    500: (
        _l("Something went wrong on our side"),
        _l("The error has been logged. Try again in a while; what you have already saved is kept."),
    ),
    503: (
        _l("The service is temporarily unavailable"),
        _l(
            "Part of the service did not answer in time. Try again in a minute; what you have already saved is kept."
        ),
    ),
}
# How soon a person (or a client of the API) may try again after a 503.
RETRY_AFTER_SECONDS = 60
CSRF_MESSAGE = _l(
    "The form had expired or was sent from somewhere else. Reload the page and send it again."
)


def init_app(app: Flask) -> None:
    app.register_error_handler(Refused, _handle_refusal)
    app.register_error_handler(HTTPException, _handle_http_error)
    app.register_error_handler(sa.exc.SQLAlchemyError, _handle_database_error)
    # The cache and the limits carry on without Redis; anything else that needs it cannot.
    app.register_error_handler(redis.exceptions.ConnectionError, _handle_unavailable)
    app.register_error_handler(redis.exceptions.TimeoutError, _handle_unavailable)
    app.register_error_handler(Exception, _handle_unexpected_error)
    app.jinja_env.globals.update(return_target=return_target)


def _handle_refusal(refused: Refused):
    # Whatever the refused request had changed so far must not be committed later.
    db.session.rollback()
    decision = refused.decision
    if _sent_form_needs_login(decision):
        # Back to the page the form was on: the form's own address answers only POST.
        return redirect(url_for("accounts.login", next=return_target()))
    try:
        return refusal_response(refused)
    except HTTPException as error:
        if error.code != 403:
            return _handle_http_error(error)
        if (failure := _identity_failure()) is not None:
            return _handle_database_error(failure)
        return _render(403, error.description, refusal=decision)


def _sent_form_needs_login(decision: Decision) -> bool:
    return (
        decision.reason == "login_required"
        and request.method != "GET"
        and not request.path.startswith("/api/")
    )


def return_target() -> str:
    """Where logging in (or a new confirmation link) brings the person back: this page
    when it was asked for with GET, else the page the form was sent from; always a path
    on this site, so a crafted address cannot make the login page send anyone elsewhere."""
    if request.method == "GET":
        target = urls.same_site_path(request.path)
        if request.query_string:
            target += "?" + request.query_string.decode("latin-1")
    else:
        target = _referring_path()
    return target if urls.is_same_site_path(target) else url_for("dialogues.index")


def _referring_path() -> str:
    # The site is PUBLIC_URL's host, never the one the request names.
    sent_from = urlsplit(request.referrer or "")
    if sent_from.netloc != urlsplit(current_app.config["PUBLIC_URL"]).netloc:
        return ""
    return sent_from.path + (f"?{sent_from.query}" if sent_from.query else "")


def _handle_http_error(error: HTTPException):
    if (failure := _identity_failure()) is not None:
        return _handle_database_error(failure)
    return _render_http_error(error)


def _identity_failure() -> sa.exc.SQLAlchemyError | None:
    """Every page says who is logged in, in their language: that may need the database.
    When it fails, the page is rendered as for a visitor and the failure returned."""
    try:
        current_user._get_current_object()
    except sa.exc.SQLAlchemyError as failure:
        _as_visitor()
        return failure
    return None


def _as_visitor() -> None:
    g._login_user = current_app.login_manager.anonymous_user()


def _render_http_error(error: HTTPException):
    if isinstance(error, CSRFError):
        return _render(400, str(CSRF_MESSAGE))
    code = error.code or 500
    custom = error.description if error.description != type(error).description else None
    if isinstance(error, RateLimitExceeded) and not error.limit.error_message:
        custom = None  # the limit itself ("5 per 1 minute"), not words for a person
    response = _render(code, custom, kept=_typed_fields() if code == 429 else ())
    if code == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def _handle_database_error(error: sa.exc.SQLAlchemyError):
    # Unreachable, timed out, locked or cut off; any other database error is a bug.
    if is_outage(error):
        return _handle_unavailable(error)
    return _handle_unexpected_error(error)


def _handle_unavailable(error: Exception):
    """A dependency failed or hit its deadline: a 503 at once, never a hung worker."""
    first_line = next(iter(str(error).strip().splitlines()), "")
    log.warning(
        "%s %s answered 503: %s: %s", request.method, request.path, type(error).__name__, first_line
    )
    # The connection may be gone already; the session is reset at teardown either way.
    with contextlib.suppress(sa.exc.SQLAlchemyError):
        db.session.rollback()
    # The page is rendered as for a visitor: who is logged in would need the database.
    _as_visitor()
    response = _render_http_error(ServiceUnavailable())
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _handle_unexpected_error(error: Exception):
    # The error itself, not whatever is being handled: this may run for a failure that
    # the error page of another error met.
    log.error("unhandled error on %s %s", request.method, request.path, exc_info=error)
    # The failed transaction must not break the error page too (it loads the user).
    db.session.rollback()
    # A bug that stops who is logged in from being read shows the page of a visitor.
    _identity_failure()
    return _render_http_error(InternalServerError())


# Never shown again on a page: the person types these anew.
SECRET_FIELD_WORDS = ("password", "csrf_token", "code")


# What the common fields are called on their forms; any other shows its own name.
KEPT_FIELD_LABELS = {
    "title": _l("Title"),
    "body": _l("Text"),
    "place_name": _l("Place"),
    "reason": _l("Reason"),
    "emails": _l("Email addresses"),
    "description": _l("Description"),
}


def _typed_fields() -> list[tuple[str, str, str]]:
    """What a throttled form held, so the page can show it and send it again: nothing a
    person typed is lost because they were quick (passwords and codes excepted)."""
    if request.method != "POST" or request.path.startswith("/api/"):
        return []
    return [
        (name, str(KEPT_FIELD_LABELS.get(name, name)), value)
        for name, value in request.form.items(multi=True)
        if not any(word in name for word in SECRET_FIELD_WORDS)
    ]


def _render(code: int, detail: str | None, kept=(), refusal: Decision | None = None):
    title, message = MESSAGES.get(code, MESSAGES[500 if code >= 500 else 400])
    reason = detail or str(message)
    if request.path.startswith("/api/"):
        body = jsonify({"error": {"status": code, "title": str(title), "reason": reason}})
        return make_response(body, code)
    html = render_template(
        "errors/error.html", code=code, title=title, message=reason, kept=kept, refusal=refusal
    )
    return make_response(html, code)
