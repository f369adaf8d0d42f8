"""Caches for the pages read most.

Whole pages for anonymous visitors, for a few seconds: they may see a page a few seconds
old. Pages with a flash message, and anything but GET, are never cached that way.

Fragments for everyone, keyed by a version read from the database in the same request
(a dialogue's listing_version): a change gives a new key, so a fragment is never older
than the data the request itself would read, and logged-in people's counts stay exact.

The cache only saves work: when its store fails, pages are rendered without it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

from flask import current_app, request, session
from flask_babel import get_locale
from flask_login import current_user

from dialog.core import outages
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
    return _stored(page_key) if page_key else None


def keep(page_key: str | None, html: str) -> str:
    if page_key:
        _store(page_key, html, current_app.config["ANONYMOUS_PAGE_CACHE_SECONDS"])
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
    value = _stored(fragment_key)
    if value is None:
        value = render()
        _store(fragment_key, value, current_app.config["FRAGMENT_CACHE_SECONDS"])
    return value


def _outage() -> outages.Outage:
    return outages.of("page cache", "pages are rendered without it")


def _stored(cache_key: str):
    """The cached value, or None: also when the store cannot be asked now."""
    outage = _outage()
    if not outage.worth_trying():
        return None
    try:
        value = cache.get(cache_key)
    except Exception as error:  # whatever the store raises, the page renders anyway
        outage.failed(error)
        return None
    outage.succeeded()
    return value


def _store(cache_key: str, value, timeout: int) -> None:
    outage = _outage()
    if not outage.worth_trying():
        return
    try:
        cache.set(cache_key, value, timeout=timeout)
    except Exception as error:
        outage.failed(error)
    else:
        outage.succeeded()
