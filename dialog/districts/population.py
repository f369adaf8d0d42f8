"""Reading an uploaded population table: CSV with the columns `district_code`, `age_band`
and `count`, as Statistics Sweden and spreadsheets write it (UTF-8 with or without a byte
order mark, comma, semicolon or tab between fields). Every problem is reported with its
line number, all at once, so a file is fixed in one go."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field

from flask_babel import gettext as _

from dialog.accounts.models import AGE_BANDS

COLUMNS = ("district_code", "age_band", "count")
DELIMITERS = (";", ",", "\t")
# A table has one line per district and age band; far more lines is not a population table.
MAX_LINES = 20_000
# Reading stops after this many problems: the first ones show what is wrong with the file.
MAX_PROBLEMS = 100
# What fits in the database's integer column.
MAX_COUNT = 2**31 - 1
# Quoted back in a message, a value is cut to this many characters.
QUOTED = 40


@dataclass(frozen=True)
class Problem:
    line: int | None
    message: str


@dataclass
class Parsed:
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems


def parse(data: bytes, district_codes: set[str]) -> Parsed:
    """The counts per (district code, age band), or every problem found; never raises on
    what a person might upload."""
    parsed = Parsed()
    lines = _lines(data, parsed)
    if lines is None:
        return parsed
    header_at = next((n for n, line in enumerate(lines, start=1) if line.strip()), None)
    if header_at is None:
        return _refused(parsed, None, _("The file is empty."))
    reader = csv.reader(lines[header_at - 1 :], delimiter=_delimiter(lines[header_at - 1]))
    places = _columns(reader, header_at, parsed)
    if places is not None:
        _read_rows(reader, header_at, places, district_codes, parsed)
    return _capped(parsed)


def _lines(data: bytes, parsed: Parsed) -> list[str] | None:
    text = _text(data, parsed)
    if text is None:
        return None
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        _problem(parsed, None, _("The file has more than %(max)d lines.", max=MAX_LINES))
        return None
    return lines


def _columns(reader, header_at: int, parsed: Parsed) -> list[int] | None:
    """Where district_code, age_band and count are among the header's columns."""
    try:
        header = [name.strip().lower() for name in next(reader)]
    except csv.Error:
        _problem(parsed, header_at, _("The line cannot be read as CSV."))
        return None
    missing = [name for name in COLUMNS if name not in header]
    for name in missing:
        _problem(parsed, header_at, _("The column %(name)s is missing.", name=name))
    return None if missing else [header.index(name) for name in COLUMNS]


def _read_rows(reader, header_at: int, places: list[int], district_codes, parsed) -> None:
    first_seen: dict[tuple[str, str], int] = {}
    known = {code.lower(): code for code in district_codes}
    while len(parsed.problems) <= MAX_PROBLEMS:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error:
            _problem(parsed, header_at - 1 + reader.line_num, _("The line cannot be read as CSV."))
            continue
        if any(f.strip() for f in fields):
            values = [fields[i] if i < len(fields) else "" for i in places]
            _read_line(parsed, header_at - 1 + reader.line_num, values, known, first_seen)
    if not parsed.problems and not parsed.counts:
        _problem(parsed, None, _("The file has a header but no counts."))


def _read_line(parsed: Parsed, number: int, fields: list[str], known, first_seen) -> None:
    raw_code, raw_band, raw_count = (f.strip() for f in fields)
    code = known.get(raw_code.lower())
    if not raw_code:
        _problem(parsed, number, _("The district code is empty."))
    elif code is None:
        _problem(parsed, number, _("Unknown district code “%(code)s”.", code=_quoted(raw_code)))
    band = _age_band(raw_band)
    if not raw_band:
        _problem(parsed, number, _("The age band is empty."))
    elif band is None:
        _problem(
            parsed,
            number,
            _(
                "Unknown age band “%(band)s”; use one of %(bands)s.",
                band=_quoted(raw_band),
                bands=", ".join(AGE_BANDS),
            ),
        )
    count = _count(parsed, number, raw_count)
    if code is None or band is None or count is None:
        return
    if (code, band) in first_seen:
        _problem(
            parsed,
            number,
            _(
                "District %(code)s and age band %(band)s come twice (first on line %(first)d).",
                code=code,
                band=band,
                first=first_seen[(code, band)],
            ),
        )
        return
    first_seen[(code, band)] = number
    parsed.counts[(code, band)] = count


def _count(parsed: Parsed, number: int, raw: str) -> int | None:
    # Statistics Sweden and spreadsheets group thousands with a (no-break) space.
    digits = raw.replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
    if not raw:
        _problem(parsed, number, _("The count is empty."))
        return None
    if digits.startswith("-") and digits[1:].isdigit():
        _problem(parsed, number, _("The count cannot be negative."))
        return None
    if not (digits.isascii() and digits.isdigit()):
        _problem(
            parsed, number, _("The count “%(count)s” is not a whole number.", count=_quoted(raw))
        )
        return None
    if int(digits) > MAX_COUNT:
        _problem(parsed, number, _("The count is too large."))
        return None
    return int(digits)


def _age_band(raw: str) -> str | None:
    # "18-29" and "18–29" as written in tables mean the band 18_29.
    band = raw.lower().replace("–", "_").replace("-", "_")
    return band if band in AGE_BANDS else None


def _text(data: bytes, parsed: Parsed) -> str | None:
    if not data.strip():
        _problem(parsed, None, _("The file is empty."))
        return None
    if b"\x00" in data:
        _problem(parsed, None, _("The file is not a text file. Save the table as CSV."))
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        _problem(parsed, line, _("The file is not UTF-8 text. Save it as CSV UTF-8."))
        return None


def _delimiter(header: str) -> str:
    """The separator that splits the header into the most fields."""
    return max(DELIMITERS, key=lambda d: (header.count(d), -DELIMITERS.index(d)))


def _problem(parsed: Parsed, line: int | None, message: str) -> None:
    parsed.problems.append(Problem(line, message))


def _refused(parsed: Parsed, line: int | None, message: str) -> Parsed:
    _problem(parsed, line, message)
    return parsed


def _capped(parsed: Parsed) -> Parsed:
    if len(parsed.problems) > MAX_PROBLEMS:
        parsed.problems = parsed.problems[:MAX_PROBLEMS] + [
            Problem(
                None,
                _("Reading stopped after %(num)d problems. Correct these first.", num=MAX_PROBLEMS),
            )
        ]
    if parsed.problems:
        parsed.counts = {}
    return parsed


def _quoted(value: str) -> str:
    return value if len(value) <= QUOTED else value[: QUOTED - 1] + "…"
