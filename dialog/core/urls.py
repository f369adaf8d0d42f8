"""URLs: absolute links built from PUBLIC_URL (so a worker can build them too), ids in
paths and page numbers in query strings that never reach the database out of range."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, request
from werkzeug.routing import IntegerConverter

LARGEST_ID = 2**63 - 1  # a 64-bit integer column; larger ids cannot exist
LARGEST_PAGE = 100_000


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


def public_url(endpoint: str, **values) -> str:
    base = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    return adapter.build(endpoint, values, force_external=True)
