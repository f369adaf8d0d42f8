"""Caches for the pages read most.

Whole pages for anonymous visitors, for a few seconds: they may see a page a few seconds
old. Pages with a flash message, and anything but GET, are never cached that way.

Fragments for everyone, keyed by a version read from the database in the same request
(a dialogue's listing_version): a change gives a new key, so a fragment is never older
than the data the request itself would read, and logged-in people's counts stay exact.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

from flask import current_app, request, session
from flask_babel import get_locale
from flask_login import current_user

from dialog.extensions import cache

T = TypeVar("T")


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


def fragment(versioned_key: str | None, render: Callable[[], T]) -> T:
    """The cached value for the key in the request's language, rendered on a miss.

    The key must contain the version of everything the value shows; None renders
    without caching.
    """
    if versioned_key is None:
        return render()
    digest = hashlib.sha256(versioned_key.encode()).hexdigest()  # keys hold query strings
    fragment_key = f"fragment:{get_locale()}:{digest}"
    value = cache.get(fragment_key)
    if value is None:
        value = render()
        cache.set(fragment_key, value, timeout=current_app.config["FRAGMENT_CACHE_SECONDS"])
    return value
