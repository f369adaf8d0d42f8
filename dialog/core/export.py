"""Files people download: CSV that spreadsheet programs open as text, never as formulas."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from itertools import chain

from flask import Response, stream_with_context

# A cell starting with one of these is run as a formula by Excel and LibreOffice
# (OWASP's CSV injection guidance); a leading apostrophe makes it text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def formula_safe(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_response(filename: str, header: Iterable[str], rows: Iterable[Iterable]) -> Response:
    """A streamed CSV download; the byte order mark makes Excel read UTF-8 (å, ä, ö).

    `rows` may be a lazy database result: it is read while the response streams, inside
    the request that asked for it."""

    def lines():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        yield "\ufeff"
        for row in chain([header], rows):
            writer.writerow([formula_safe(cell) for cell in row])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()

    return Response(
        stream_with_context(lines()),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
