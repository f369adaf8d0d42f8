"""URLs: absolute links built from PUBLIC_URL (so a worker can build them too, and a
forged Host header cannot change them), same-site targets for redirects and links built
from what the visitor sent, ids in paths and page numbers in query strings that never
reach the database out of range."""

from __future__ import annotations

from urllib.parse import quote, urlencode, urlsplit

from flask import current_app, request, url_for
from werkzeug.routing import IntegerConverter, MapAdapter

LARGEST_ID = 2**31 - 1  # ids are INTEGER columns (32-bit on PostgreSQL); larger cannot exist
LARGEST_PAGE = 100_000
LONGEST_REDIRECT = 2000  # longer than any link of ours; nobody types more
# What may stay as it is in a path we send back; everything else is percent-encoded.
PATH_SAFE = "/:@!$&'()*+,;=-._~"


class DatabaseId(IntegerConverter):
    """`<int:...>` in every route: an id too large for the database is a 404, not a 500."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", LARGEST_ID)
        super().__init__(map, *args, **kwargs)


def page_number(name: str = "page") -> int:
    """A page number from the query string: anything that is not one means the first page."""
    raw = request.args.get(name, "")
    if raw.isascii() and raw.isdigit() and len(raw) <= len(str(LARGEST_PAGE)):
        return min(max(int(raw), 1), LARGEST_PAGE)
    return 1


def public_url(endpoint: str, /, **values) -> str:
    """An absolute link on PUBLIC_URL, whatever host the request named (or without one)."""
    return _public_adapter().build(endpoint, values, force_external=True)


def _public_adapter() -> MapAdapter:
    # Bound once per PUBLIC_URL: the API builds a link for every item of a page.
    adapters = current_app.extensions.setdefault("dialog.public_url", {})
    base_url = current_app.config["PUBLIC_URL"]
    if base_url not in adapters:
        base = urlsplit(base_url)
        adapters[base_url] = current_app.url_map.bind(
            base.netloc, script_name=base.path or "/", url_scheme=base.scheme
        )
    return adapters[base_url]


def is_same_site_path(target: object) -> bool:
    """A path on this site and nothing a browser could read as another site's address.

    Browsers drop tabs and line breaks from addresses and read `\\` as `/`, so
    `/\\evil.example` and `/<TAB>/evil.example` lead away as `//evil.example` does; control
    characters in a Location header are also refused by the server itself.
    """
    if not isinstance(target, str) or not 0 < len(target) <= LONGEST_REDIRECT:
        return False
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: object, default_endpoint: str = "dialogues.index") -> str:
    """Where to go after a form that took `next`: the target if it stays on this site."""
    return target if is_same_site_path(target) else url_for(default_endpoint)


def same_site_path(path: str) -> str:
    """The path of this request as a link that can only point to this site.

    The decoded path is encoded again (`\\` and control characters become %5C, %0A, ...),
    and leading slashes are folded into one so it cannot become `//host/...`.
    """
    encoded = "/" + quote(path, safe=PATH_SAFE).lstrip("/")
    return request.script_root + encoded


def language_url(lang: str) -> str:
    """This page in another language: the same path and query, with `lang` set."""
    args = request.args.to_dict()
    args["lang"] = lang
    return f"{same_site_path(request.path)}?{urlencode(args)}"
