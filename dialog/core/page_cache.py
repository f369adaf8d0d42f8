"""A few seconds of cache for pages anonymous visitors read most.

Logged-in people always get fresh pages (their counts must equal the votes stored);
visitors without an account may see a page a few seconds old. Pages with a flash
message, and anything but GET, are never cached.
"""

from __future__ import annotations

from flask import current_app, request, session
from flask_babel import get_locale
from flask_login import current_user

from dialog.extensions import cache


def key(variant: str = "") -> str | None:
    """The cache key for this request, or None when it must not be cached.

    Decided before the page is rendered: rendering consumes the flash messages.
    """
    seconds = current_app.config["ANONYMOUS_PAGE_CACHE_SECONDS"]
    if (
        seconds <= 0
        or request.method != "GET"
        or "_flashes" in session
        or current_user.is_authenticated
    ):
        return None
    return f"page:{get_locale()}:{variant}:{request.full_path}"


def get(page_key: str | None) -> str | None:
    return cache.get(page_key) if page_key else None


def keep(page_key: str | None, html: str) -> str:
    if page_key:
        cache.set(page_key, html, timeout=current_app.config["ANONYMOUS_PAGE_CACHE_SECONDS"])
    return html
