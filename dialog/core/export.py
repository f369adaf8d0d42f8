"""Files people download: CSV that spreadsheet programs open as text, never as formulas."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from itertools import chain

from flask import Response

# A cell starting with one of these is run as a formula by Excel and LibreOffice
# (OWASP's CSV injection guidance); a leading apostrophe makes it text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def formula_safe(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Iterable[str], rows: Iterable[Iterable]) -> str:
    """CSV with a byte order mark, so that Excel reads UTF-8 (å, ä, ö)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    for row in chain([header], rows):
        writer.writerow([formula_safe(cell) for cell in row])
    return buffer.getvalue()


def csv_response(filename: str, header: Iterable[str], rows: Iterable[Iterable]) -> Response:
    """A CSV download, written whole before it is sent: a stream would read the database
    after the request that asked for it had ended."""
    return Response(
        csv_text(header, rows),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
