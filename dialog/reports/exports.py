"""A report version as files to download: XLSX for reading in a spreadsheet, CSV for other
tools, JSON as it is stored.

The conversion follows the content's shape, so a section added to `compile_report`
appears in the files without a change here: each section becomes one or more tables, and
`report_tables` gives the same tables to both spreadsheet formats.

- A dict of figures ("totals") is a table of two columns, figure and value; what it holds
  besides figures (a list, another dict) becomes tables of their own beside it.
- A list of records ("per_day") is a table with a column per key; a list of plain values
  ("consensus") a table of one column; a list of records inside a record (a group's
  representative proposals) a table of its own whose first column names the record.
- A dict of lists of records (the four rankings) is one table, with a column saying which
  list a row comes from; a dict of dicts of figures (flags by reason and state) a table
  crossing the two keys.
- A column of proposal references gains a title column from `proposal_titles`.

The tables below (titles, headings, labelled values, the columns an empty list still
shows) are only where that plain reading would name things badly. Four sections are read
by hand instead (`SHAPED`), where the plain reading would scatter what a planner reads as
one table: who took part (districts and age bands each with their "not stated" row, and
the districts crossed with the age bands), the topics and the words of each theme (one
row per topic or theme, its words as one text), and a published report's answers. A
hidden figure of who took part is an empty cell, as it is None in the content: no file
carries more than the report's page shows.

XLSX: one sheet per table, a heading row first (an empty section keeps its sheet and
heading), every cell of the table written, an empty one too (so the sheet has the
table's rows and columns, a last row of empty cells included), counts as numbers, shares as numbers formatted as percentages, days as dates.
Every text is a string cell: never a formula or an error value, whatever it begins with
(and one a spreadsheet could still take for a formula is marked quote-prefixed, so
editing the cell keeps it text). Characters XML cannot carry are left out; a CR reads
back as LF, as XML reads every line break. The same content gives the same bytes: the
file's times come from the report's `generated_at`.

CSV: a ZIP with one CSV file per table, numbered in the report's order and named in the
reader's language. Each file is one rectangular table under one heading row, so sorting,
filtering and a pivot table work on it as opened, and Excel's Data > From Text/CSV (or any
other tool) imports it as a table; one CSV of all sections with a `section` column would
put tables of different columns under one heading row, mostly empty cells. The files are
UTF-8 with a byte order mark (so Excel reads å, ä, ö), comma-separated with a full stop
for decimals, and a text beginning with a character a spreadsheet would run (=, +, -, @,
tab, CR, LF, or their full-width forms) gets a leading apostrophe, OWASP's advice for CSV
injection. A planner who wants to read rather than process the report opens the XLSX:
Excel set to Swedish separates a list by semicolons and would not split a CSV opened by
double-clicking it.

JSON: the content as stored, indented, in UTF-8.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import pgettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from dialog.core.export import FORMULA_STARTS
from dialog.core.timezone import LOCAL_ZONE
from dialog.reports import labels

# Excel and LibreOffice also run a formula typed with the full-width = + - @.
DANGEROUS_STARTS = (*FORMULA_STARTS, "\uff1d", "\uff0b", "\uff0d", "\uff20")
# What XML 1.0 cannot carry (openpyxl refuses the C0 controls; a lone surrogate cannot
# even be encoded): left out of a sheet's text.
NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
SHEET_NAME_LENGTH = 31  # Excel's limit
NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
NOT_IN_FILE_NAMES = re.compile(r"[\[\]:*?/\\\"<>|\x00-\x1f]")
# A ZIP entry's time cannot be earlier; also the time of a content without `generated_at`.
ZIP_EPOCH = datetime(1980, 1, 1)
PERCENT = "0.0%"
DAY = "yyyy-mm-dd"
WIDEST_COLUMN = 60

Path = tuple[str, ...]


@dataclass(frozen=True)
class Table:
    path: Path  # where in the content it comes from: ("opinion", "map")
    keys: list[str]
    headings: list[str]
    rows: list[list[Any]]

    @property
    def title(self) -> str:
        known = TITLES.get(self.path)
        return str(known) if known else " – ".join(_humane(part) for part in self.path)


# Titles of the tables, in the reader's language; others read their path.
TITLES: dict[Path, Any] = {
    ("about",): _l("About the report"),
    ("parameters",): _l("Parameters"),
    ("totals",): _l("Totals"),
    ("participation", "per_day"): _l("Participation per day"),
    ("participation", "proposals_by_source"): _l("Proposals by source"),
    ("proposals",): _l("Proposal rankings"),
    ("proposal_titles",): _l("Proposal titles"),
    ("opinion",): _l("Opinion"),
    ("opinion", "parameters"): _l("Opinion method parameters"),
    ("opinion", "map"): _l("Opinion map"),
    ("opinion", "consensus"): _l("Consensus scores"),
    ("opinion", "uncertain"): _l("Where people are unsure"),
    ("opinion_groups",): _l("Opinion groups"),
    ("opinion_groups", "representative"): _l("What sets each group apart"),
    ("consensus",): _l("What the groups share"),
    ("feedback",): _l("Answers"),
    ("feedback", "by_status"): _l("Answers by decision"),
    ("themes",): _l("Themes"),
    ("themes", "themes"): _l("Input by theme"),
    ("themes", "focus_areas"): _l("Input by focus area"),
    ("themes", "dimensions"): _l("Input by dimension"),
    ("themes", "missing_dimensions"): _l("Dimensions nobody named"),
    ("themes", "thin_dimensions"): _l("Dimensions few named"),
    ("geography",): _l("Geography"),
    ("geography", "named"): _l("Proposals by place"),
    ("geography", "parts"): _l("Proposals by part of the area"),
    ("representation",): _l("Who took part"),
    ("representation", "districts"): _l("Participants by district"),
    ("representation", "age_bands"): _l("Participants by age band"),
    # Short enough for a sheet's name in Swedish too.
    ("representation", "cells"): _l("By district and age band"),
    ("representation", "index"): _l("Representation index"),
    ("topics",): _l("Emerging topics"),
    ("topics", "topics"): _l("Topics in what residents wrote"),
    ("topics", "parameters"): _l("Topic method parameters"),
    ("words",): _l("Words of each theme"),
    ("words", "parameters"): _l("Word method parameters"),
    ("answers",): _l("Every answer, proposal by proposal"),
    ("moderation",): _l("Moderation"),
    ("moderation", "flags"): _l("Reports by reason"),
    ("moderation", "actions"): _l("Moderation decisions"),
    ("moderation", "hidden"): _l("Hidden by reason"),
}
# Column headings, by the content's key wherever it stands.
HEADINGS: dict[str, Any] = {
    "figure": _l("Figure"),
    "value": _l("Value"),
    "dialogue": _l("Dialogue"),
    "title": _l("Title"),
    "generated_at": _l("Compiled at"),
    "compiled_at": _l("Compiled at"),
    "participants": _l("Participants"),
    "proposals": _l("Proposals"),
    "proposals_hidden": _l("Hidden proposals"),
    "comments": _l("Comments"),
    "comments_hidden": _l("Hidden comments"),
    "votes": _l("Votes"),
    "date": _l("Day"),
    "ranking": _l("Ranking"),
    "reference": _l("Proposal"),
    "proposal": _l("Proposal"),
    "votes_for": _l("For"),
    "votes_against": _l("Against"),
    "votes_abstain": _l("Abstain"),
    "votes_support": _l("Support"),
    "comments_for": _l("Comments for"),
    "comments_against": _l("Comments against"),
    "comments_neutral": _l("Neutral comments"),
    "score": _l("Score"),
    "method": _l("Method"),
    "below_threshold": _l("Too few votes to place"),
    "uncertain_total": _l("Proposals many abstained on, in all"),
    "consensus_total": _l("Proposals with a consensus score, in all"),
    "consensus_proposals_total": _l("Proposals every group supports, in all"),
    "consensus_scored": _l("Consensus scores listed"),
    "named_min_votes": _l("Votes a proposal needs to be listed"),
    "uncertain_listed": _l("Proposals many abstained on, listed"),
    "grouping": _l("Grouping"),
    "x": _l("x"),
    "y": _l("y"),
    "group": _l("Group"),
    "id": _l("Group"),
    "size": _l("People"),
    "direction": _l("The group"),
    "votes_in": _l("Votes in the group"),
    "votes_out": _l("Votes of everyone else"),
    "agree_in": _l("Agree in the group"),
    "disagree_in": _l("Disagree in the group"),
    "agree_out": _l("Everyone else agrees"),
    "disagree_out": _l("Everyone else disagrees"),
    "passes": _l("Abstentions"),
    "pass_share": _l("Share abstaining"),
    "answered": _l("Answered"),
    "median_days": _l("Median days to an answer"),
    "name": _l("Name"),
    "share": _l("Share of proposals"),
    "dimension": _l("Dimension"),
    "place": _l("Place"),
    "located": _l("On the map"),
    "unplaced": _l("Neither place nor point"),
    "open": _l("Open"),
    "dismissed": _l("Dismissed"),
    "upheld": _l("Upheld"),
    "row": _l("Row"),
    "ranked": _l("Proposals in each ranking"),
    "ranked_min_votes": _l("Votes needed to rank by agreement or division"),
    "part": _l("Part"),
    "has_population": _l("Population table uploaded"),
    "population_total": _l("Population"),
    "smallest_shown": _l("Smallest group shown"),
    "under_represented_below": _l("Under-represented below index"),
    "district": _l("District"),
    "age_band": _l("Age"),
    "hidden": _l("Hidden"),
    "participants_share": _l("Share of participants"),
    "population_share": _l("Share of population"),
    "index": _l("Representation index"),
    "under": _l("Under-represented"),
    "not_stated": _l("Not stated"),
    "topic": _l("Topic"),
    "words": _l("Most used words"),
    "texts": _l("Proposals and comments"),
    "sampled": _l("Proposals and comments read"),
    "reason": _l("Why no topics were found"),
    "main_theme": _l("Mostly filed under"),
    "named_by": _l("Named by"),
    "emerging": _l("Emerging"),
    "examples": _l("Examples"),
    "theme": _l("Theme"),
    "theme_words": _l("Words (times used)"),
    "status": _l("Decision"),
    "answer": _l("Answer"),
    "answered_at": _l("Answered on"),
    "reports": _l("Reports"),
    "hidden_items": _l("Hidden items"),
    "main_reason": _l("Most common reason"),
}
# The two headings of a table of figures, where "figure" and "value" say too little.
PAIR_HEADINGS: dict[Path, tuple[Any, Any]] = {
    ("participation", "proposals_by_source"): (_l("Source"), _l("Proposals")),
    ("proposal_titles",): (_l("Proposal"), _l("Title")),
    ("feedback", "by_status"): (_l("Decision"), _l("Proposals")),
    ("moderation", "flags"): (_l("Reason"), _l("Reports")),
    ("moderation", "actions"): (_l("Decision"), _l("Items")),
    ("moderation", "hidden"): (_l("Reason"), _l("Hidden items")),
}
# The heading column naming the list a row comes from, in a dict of lists of records.
STACKED_BY: dict[Path, str] = {("proposals",): "ranking"}
# A plain value's column in a list of plain values.
LIST_KEYS: dict[Path, str] = {
    ("consensus",): "proposal",
    ("themes", "missing_dimensions"): "dimension",
    ("themes", "thin_dimensions"): "dimension",
}
# The parent's key a child table's first column repeats: (column, the parent's key).
CHILD_OF: dict[Path, tuple[str, str]] = {("opinion_groups",): ("group", "id")}
# Drawn, not read: a picture's coordinates (the JSON keeps them).
LEFT_OUT: set[Path] = {("geography", "drawing")}
# Columns a list's table shows, in this order, when the list is empty too.
_FIGURES = ["reference", "title", "votes_for", "votes_against", "votes_abstain", "votes_support"]
_COMMENTS = ["comments", "comments_for", "comments_against", "comments_neutral"]
_SPREAD = ["name", "proposals", "share", "comments", "votes"]
KNOWN_COLUMNS: dict[Path, list[str]] = {
    ("participation", "per_day"): ["date", "participants", "proposals", "comments", "votes"],
    ("proposals",): ["ranking", *_FIGURES, *_COMMENTS, "score"],
    ("opinion", "map"): ["x", "y", "group"],
    ("opinion", "consensus"): ["proposal", "score"],
    ("opinion", "uncertain"): ["proposal", "votes", "passes", "pass_share"],
    ("opinion_groups",): ["id", "size"],
    ("opinion_groups", "representative"): [
        "group",
        "proposal",
        "direction",
        "votes_in",
        "votes_out",
        "agree_in",
        "disagree_in",
        "agree_out",
        "disagree_out",
        "z_agree",
        "z_disagree",
        "z_agree_in_group",
        "z_disagree_in_group",
    ],
    ("consensus",): ["proposal"],
    ("themes", "themes"): _SPREAD,
    ("themes", "focus_areas"): _SPREAD,
    ("themes", "dimensions"): _SPREAD,
    ("geography", "named"): ["place", "proposals", "votes"],
    ("geography", "parts"): ["part", "proposals"],
}
# Shares of a whole: a spreadsheet shows them as percentages.
SHARES = {
    "share",
    "pass_share",
    "agree_in",
    "disagree_in",
    "agree_out",
    "disagree_out",
    "participants_share",
    "population_share",
}
DAYS = {"date", "answered_at"}
# A text of several lines (a topic's examples, an answer) wraps in its cell.
WRAPPED = Alignment(vertical="top", wrap_text=True)
TOP = Alignment(vertical="top")


def _dimension_label(value: str) -> str:
    from dialog.proposals.labels import DIMENSION_LABELS
    from dialog.proposals.models import Dimension

    return str(DIMENSION_LABELS[Dimension(value)])


def _ranking_label(value: str) -> str:
    return str(dict(labels.RANKINGS)[value])


DIRECTIONS = {"agree": _l("agrees"), "disagree": _l("disagrees")}
# Coded values shown in words: (table, column) -> the words for a code.
VALUE_LABELS: dict[tuple[Path, str], Callable[[str], str]] = {
    (("participation", "proposals_by_source"), "figure"): labels.source_label,
    (("feedback", "by_status"), "figure"): labels.answer_label,
    (("moderation", "flags"), "figure"): labels.flag_reason_label,
    (("moderation", "actions"), "figure"): labels.action_label,
    (("moderation", "hidden"), "figure"): labels.flag_reason_label,
    (("proposals",), "ranking"): _ranking_label,
    (("opinion_groups", "representative"), "direction"): lambda v: str(DIRECTIONS[v]),
    (("themes", "dimensions"), "name"): _dimension_label,
    (("themes", "missing_dimensions"), "dimension"): _dimension_label,
    (("themes", "thin_dimensions"), "dimension"): _dimension_label,
    (("moderation",), "main_reason"): labels.flag_reason_label,
    (("geography", "parts"), "part"): labels.area_part_label,
    (("topics",), "reason"): lambda v: str(TOPIC_REASONS[v]),
}
TOPIC_REASONS = {
    "too_few_texts": _l("Too little text"),
    "too_few_words": _l("Too few shared words"),
}


# The tables ---------------------------------------------------------------------------


def report_tables(content: dict[str, Any]) -> list[Table]:
    """The report as tables, in its own order: first what the report is (its plain
    values), then each section."""
    titles = content.get("proposal_titles") or {}
    about = {key: value for key, value in content.items() if _is_plain(value)}
    tables = [_pairs(("about",), about)]
    for key, value in content.items():
        if key not in about:
            tables += _tables((key,), value, titles)
    return tables


def _tables(path: Path, value: Any, titles: dict) -> list[Table]:
    shaped = SHAPED.get(path)
    if shaped:
        try:
            return shaped(value)
        except (KeyError, TypeError, AttributeError):
            pass  # a report of an older shape: read as any other section
    if isinstance(value, dict):
        return _dict_tables(path, value, titles)
    return _records(path, [_as_record(path, item) for item in value], titles)


def _dict_tables(path: Path, value: dict, titles: dict) -> list[Table]:
    value = {key: inner for key, inner in value.items() if (*path, key) not in LEFT_OUT}
    if len(value) > 1 and all(_is_records(inner) for inner in value.values()):
        return _stacked(path, value, titles)
    if value and all(_is_figures(inner) for inner in value.values()):
        return [_crossed(path, value)]
    plain = {key: inner for key, inner in value.items() if _is_plain(inner)}
    tables = [_pairs(path, plain)] if plain or len(plain) == len(value) else []
    for key, inner in value.items():
        if key not in plain:
            tables += _tables((*path, key), inner, titles)
    return tables


def _pairs(path: Path, figures: dict) -> Table:
    named, valued = PAIR_HEADINGS.get(path, (HEADINGS["figure"], HEADINGS["value"]))
    label = VALUE_LABELS.get((path, "figure"))
    return Table(
        path,
        ["figure", "value"],
        [str(named), str(valued)],
        [[_key_label(label, key), _value_of(path, key, value)] for key, value in figures.items()],
    )


def _value_of(path: Path, key: str, value: Any) -> Any:
    """A figure's value, in words where it is a code (the main reason for reports)."""
    label = VALUE_LABELS.get((path, key))
    return _labelled(label, value) if label and isinstance(value, str) else value


def _crossed(path: Path, value: dict[str, dict]) -> Table:
    """Outer keys down, inner keys across: flags by reason (rows) and state (columns)."""
    across = _ordered([], (key for inner in value.values() for key in inner))
    named = PAIR_HEADINGS.get(path, (HEADINGS["figure"],))[0]
    label = VALUE_LABELS.get((path, "figure"))
    return Table(
        path,
        ["figure", *across],
        [str(named), *(_heading(key) for key in across)],
        [[_key_label(label, key), *(inner.get(k) for k in across)] for key, inner in value.items()],
    )


def _stacked(path: Path, value: dict[str, list], titles: dict) -> list[Table]:
    """Lists of the same kind of record as one table, a column saying which list."""
    by = STACKED_BY.get(path, "part")
    rows = [{by: name, **record} for name, records in value.items() for record in records]
    return _records(path, rows, titles)


def _records(path: Path, rows: list[dict], titles: dict) -> list[Table]:
    rows = [_flattened(row) for row in rows]
    # An empty list of unknown records still shows a heading row.
    known = KNOWN_COLUMNS.get(path) or ([] if rows else [LIST_KEYS.get(path, "value")])
    children = _ordered(
        [known_path[-1] for known_path in KNOWN_COLUMNS if known_path[:-1] == path],
        (key for row in rows for key, value in row.items() if _is_records(value) and value),
    )
    keys = _ordered(known, (key for row in rows for key in row if key not in children))
    keys = _with_titles(keys)
    label = {key: VALUE_LABELS.get((path, key)) for key in keys}
    table = Table(
        path,
        keys,
        [_heading(key) for key in keys],
        [[_cell(row, key, label[key], titles) for key in keys] for row in rows],
    )
    tables = [table]
    for child in children:
        tables += _records((*path, child), _child_rows(path, rows, child), titles)
    return tables


def _child_rows(path: Path, rows: list[dict], child: str) -> list[dict]:
    column, parent_key = CHILD_OF.get(path, ("row", ""))
    return [
        {column: row.get(parent_key) if parent_key else number, **record}
        for number, row in enumerate(rows, start=1)
        for record in row.get(child) or []
    ]


def _as_record(path: Path, item: Any) -> dict:
    return item if isinstance(item, dict) else {LIST_KEYS.get(path, "value"): item}


def _flattened(row: dict, prefix: str = "") -> dict:
    """A record's nested dicts as columns of their own ("a.b")."""
    flat: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, dict):
            flat.update(_flattened(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _with_titles(keys: list[str]) -> list[str]:
    """A proposal's reference is followed by its title (from `proposal_titles`)."""
    if "proposal" not in keys or "title" in keys:
        return keys
    at = keys.index("proposal") + 1
    return [*keys[:at], "title", *keys[at:]]


def _cell(row: dict, key: str, label, titles: dict) -> Any:
    if key == "title" and "title" not in row and "proposal" in row:
        return titles.get(row["proposal"], "")
    value = row.get(key)
    if label and isinstance(value, str):
        return _labelled(label, value)
    if isinstance(value, list | tuple):
        return ", ".join("" if item is None else str(item) for item in value)
    return value


def _key_label(label, key: str) -> str:
    """A dict's key as a row's name: a code in words, a field by its heading, a name (a
    proposal's reference, a theme) as it is."""
    if label:
        return _labelled(label, key)
    known = HEADINGS.get(key)
    return str(known) if known else key


def _labelled(label: Callable[[str], str], value: str) -> str:
    """A code in words; a code the labels do not know yet as it is."""
    try:
        return label(value)
    except (KeyError, ValueError):
        return value


def _heading(key: str) -> str:
    known = HEADINGS.get(key)
    return str(known) if known else _humane(key)


def _humane(key: str) -> str:
    text = key.replace("_", " ").replace(".", ": ")
    return text[:1].upper() + text[1:]


def _ordered(first: list[str], more: Iterable[str]) -> list[str]:
    return list(dict.fromkeys([*first, *more]))


def _is_plain(value: Any) -> bool:
    return not isinstance(value, dict | list | tuple)


def _is_records(value: Any) -> bool:
    """A list of dicts (a tuple too: compiled content not yet stored keeps them)."""
    return isinstance(value, list | tuple) and all(isinstance(item, dict) for item in value)


def _is_figures(value: Any) -> bool:
    return isinstance(value, dict) and all(_is_plain(inner) for inner in value.values())


# The sections read by hand ---------------------------------------------------------------


def _representation(section: dict) -> list[Table]:
    """Who took part: its figures, districts and age bands each ending in the people who
    gave none, and the districts crossed with the age bands (participants, and the index
    where there is a population to compare with). What `under_represented` lists is the
    column saying so."""
    about = {key: value for key, value in section.items() if _is_plain(value)}
    tables = [
        _pairs(("representation",), about),
        _margins(
            ("representation", "districts"),
            "district",
            [(row["name"], row) for row in section["districts"]],
            section["district_not_stated"],
        ),
        _margins(
            ("representation", "age_bands"),
            "age_band",
            [(_age_band(row["age_band"]), row) for row in section["age_bands"]],
            section["age_band_not_stated"],
        ),
        _cross(("representation", "cells"), section["cells"], "participants"),
    ]
    if section["has_population"]:
        tables.append(_cross(("representation", "index"), section["cells"], "index"))
    return tables


MARGIN_KEYS = ["hidden", "participants", "participants_share", "population_share", "index"]


def _margins(path: Path, first: str, rows: list[tuple[str, dict]], not_stated: dict) -> Table:
    keys = [first, *MARGIN_KEYS, "under"]
    return Table(
        path,
        keys,
        [_heading(key) for key in keys],
        [_margin_row(name, figures) for name, figures in rows]
        + [_margin_row(str(HEADINGS["not_stated"]), not_stated)],
    )


def _margin_row(name: str, figures: dict) -> list[Any]:
    """A hidden group's row says it is hidden and leaves its figures empty; "under"
    too, which would otherwise read as a finding about a group nobody may see."""
    shown = not figures["hidden"]
    return [
        name,
        figures["hidden"],
        figures["participants"],
        figures["share"],
        figures.get("population_share"),
        figures.get("index"),
        figures.get("under") if shown and "under" in figures else None,
    ]


def _cross(path: Path, rows: list[dict], figure: str) -> Table:
    """Districts down, age bands across, the people who gave none last both ways."""
    bands = [cell["age_band"] for cell in rows[0]["cells"]] if rows else []
    keys = ["district", *(band or "not_stated" for band in bands)]
    return Table(
        path,
        keys,
        [
            str(HEADINGS["district"]),
            *(_age_band(band) if band else str(HEADINGS["not_stated"]) for band in bands),
        ],
        [
            [
                row["name"] if row["code"] else str(HEADINGS["not_stated"]),
                *(None if cell["hidden"] else cell.get(figure) for cell in row["cells"]),
            ]
            for row in rows
        ],
    )


def _age_band(code: str) -> str:
    from dialog.accounts.labels import AGE_BAND_LABELS

    return str(AGE_BAND_LABELS.get(code, code))


TOPIC_KEYS = ["topic", "words", "texts", "main_theme", "named_by", "emerging", "examples"]


def _topics(section: dict) -> list[Table]:
    """How much was read and why no topics were found if so, then one row per topic."""
    about = {key: value for key, value in section.items() if _is_plain(value)}
    topics = Table(
        ("topics", "topics"),
        TOPIC_KEYS,
        [_heading(key) for key in TOPIC_KEYS],
        [_topic_row(topic) for topic in section["topics"]],
    )
    return [
        _pairs(("topics",), about),
        _pairs(("topics", "parameters"), section["parameters"]),
        topics,
    ]


def _topic_row(topic: dict) -> list[Any]:
    return [
        _("Topic %(number)d", number=topic["id"]),
        ", ".join(word["word"] for word in topic["words"]),
        topic["texts"],
        topic["main_theme"] if topic["main_theme"] is not None else _("No theme"),
        ", ".join(topic["named_by"]) if topic["named_by"] else _("No theme or focus area"),
        topic["emerging"],
        "\n".join(f"{example['reference']} {example['title']}" for example in topic["examples"]),
    ]


def _words(section: dict) -> list[Table]:
    """One row per theme, its words with the times each was used; the texts read are the
    topics' too, whose sheet gives them."""
    keys = ["theme", "texts", "theme_words"]
    themes = Table(
        ("words",),
        keys,
        [_heading(key) for key in keys],
        [
            [
                theme["name"],
                theme["texts"],
                ", ".join(f"{word['word']} ({word['count']})" for word in theme["words"])
                or _("Too little text"),
            ]
            for theme in section["themes"]
        ],
    )
    return [themes, _pairs(("words", "parameters"), section["parameters"])]


ANSWER_KEYS = ["proposal", "title", "status", "answered_at", "answer"]


def _answers(answers: list[dict]) -> list[Table]:
    """A published report's answers, each on the day it was published (the local day)."""
    return [
        Table(
            ("answers",),
            ANSWER_KEYS,
            [_heading(key) for key in ANSWER_KEYS],
            [
                [
                    answer["proposal"],
                    answer["title"],
                    _labelled(labels.answer_label, answer["status"]),
                    _local_day(answer["answered_at"]),
                    answer["answer"],
                ]
                for answer in answers
            ],
        )
    ]


def _local_day(moment: str) -> str:
    return datetime.fromisoformat(moment).astimezone(LOCAL_ZONE).date().isoformat()


SHAPED: dict[Path, Callable[[Any], list[Table]]] = {
    ("representation",): _representation,
    ("topics",): _topics,
    ("words",): _words,
    ("answers",): _answers,
}


# XLSX ---------------------------------------------------------------------------------


def as_xlsx(content: dict[str, Any]) -> bytes:
    """One sheet per table, with the report's own time as the file's."""
    tables = report_tables(content)
    book = Workbook()
    book.remove(book.active)
    moment = _moment(content)
    book.properties.created = book.properties.modified = moment
    book.properties.creator = "Medborgardialog"
    for table, name in zip(tables, _unique(table.title for table in tables), strict=True):
        _write_sheet(book.create_sheet(name), table)
    buffer = io.BytesIO()
    # ExcelWriter rather than book.save(), which would stamp the time of saving.
    ExcelWriter(book, _ZipAt(buffer, moment)).save()
    return buffer.getvalue()


def _write_sheet(sheet, table: Table) -> None:
    bold = Font(bold=True)
    for column, heading in enumerate(table.headings, start=1):
        _write_cell(sheet.cell(row=1, column=column), heading, "").font = bold
    for number, row in enumerate(table.rows, start=2):
        for column, (key, value) in enumerate(zip(table.keys, row, strict=True), start=1):
            cell = _write_cell(sheet.cell(row=number, column=column), value, key)
            # A styled cell is written even when empty; openpyxl leaves out an unstyled
            # empty one, and a last row of them (the hidden "not stated" row) with it.
            cell.alignment = WRAPPED if isinstance(value, str) and "\n" in value else TOP
    sheet.freeze_panes = "A2"
    for index in range(len(table.keys)):
        sheet.column_dimensions[get_column_letter(index + 1)].width = _width(table, index)


def _write_cell(cell, value: Any, key: str):
    if isinstance(value, str):
        text = _xml_text(value)
        if key in DAYS and _is_day(text):
            cell.value, cell.number_format = date.fromisoformat(text), DAY
            return cell
        cell.value = text
        # openpyxl would make "=..." a formula and "#N/A" an error value.
        cell.data_type = "s"
        cell.quotePrefix = text.startswith(DANGEROUS_STARTS)
    elif isinstance(value, float) and not math.isfinite(value):
        cell.value = None
    else:
        cell.value = value
        if key in SHARES and isinstance(value, int | float) and not isinstance(value, bool):
            cell.number_format = PERCENT
    return cell


def _xml_text(text: str) -> str:
    return NOT_XML.sub("", text)


def _is_day(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def _width(table: Table, index: int) -> float:
    longest = max(
        (
            len(line)
            for row in table.rows
            if row[index] is not None
            for line in str(row[index]).splitlines()
        ),
        default=0,
    )
    return min(max(longest, len(table.headings[index])) + 2, WIDEST_COLUMN)


def _unique(titles: Iterable[str]) -> list[str]:
    """Sheet names of at most 31 characters, none twice (Excel compares them case-blind)."""
    names: list[str] = []
    taken: set[str] = set()
    for title in titles:
        name, count = _sheet_name(title, SHEET_NAME_LENGTH), 1
        while name.casefold() in taken:
            count += 1
            suffix = f" ({count})"
            name = _sheet_name(title, SHEET_NAME_LENGTH - len(suffix)) + suffix
        taken.add(name.casefold())
        names.append(name)
    return names


def _sheet_name(title: str, length: int) -> str:
    """Excel refuses these characters, and a name beginning or ending with an apostrophe."""
    return NOT_IN_SHEET_NAMES.sub("-", title)[:length].strip("' ") or "-"


class _ZipAt(zipfile.ZipFile):
    """A ZIP whose entries all carry one time, so the same content gives the same bytes."""

    def __init__(self, file, moment: datetime):
        super().__init__(file, "w", zipfile.ZIP_DEFLATED)
        self.moment = moment

    def writestr(self, name, data, *args, **kwargs):
        if isinstance(name, str):
            name = _entry(name, self.moment)
        super().writestr(name, data, *args, **kwargs)

    def write(self, filename, arcname=None, *args, **kwargs):
        """openpyxl writes each sheet from a file of its own, whose time would be kept."""
        with open(filename, "rb") as file:
            self.writestr(arcname or str(filename), file.read())


def _entry(name: str, moment: datetime) -> zipfile.ZipInfo:
    entry = zipfile.ZipInfo(name, date_time=moment.timetuple()[:6])
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.external_attr = 0o644 << 16
    return entry


def _moment(content: dict[str, Any]) -> datetime:
    """When the report was compiled, in UTC without a zone (as openpyxl and ZIP take it)."""
    try:
        moment = datetime.fromisoformat(content["generated_at"])
    except (KeyError, TypeError, ValueError):
        return ZIP_EPOCH
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return max(moment.replace(microsecond=0), ZIP_EPOCH)


# CSV ----------------------------------------------------------------------------------


def as_csv(content: dict[str, Any]) -> bytes:
    """A ZIP of one CSV per table (the module's docstring says why)."""
    moment = _moment(content)
    tables = report_tables(content)
    buffer = io.BytesIO()
    with _ZipAt(buffer, moment) as archive:
        names = _unique(table.title for table in tables)
        for number, (table, name) in enumerate(zip(tables, names, strict=True), start=1):
            archive.writestr(_file_name(number, name), _csv_text(table).encode("utf-8"))
    return buffer.getvalue()


def _file_name(number: int, title: str) -> str:
    return f"{number:02d} {NOT_IN_FILE_NAMES.sub('-', title)}.csv"


def _csv_text(table: Table) -> str:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([_csv_cell(heading) for heading in table.headings])
    writer.writerows([_csv_cell(value) for value in row] for row in table.rows)
    return buffer.getvalue()


def _csv_cell(value: Any) -> Any:
    """Text a spreadsheet cannot run; numbers as numbers (a negative one is no formula)."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, str):
        return "'" + value if value.startswith(DANGEROUS_STARTS) else value
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# JSON ---------------------------------------------------------------------------------


def as_json(content: dict[str, Any]) -> bytes:
    return (json.dumps(content, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


@dataclass(frozen=True)
class Format:
    write: Callable[[dict[str, Any]], bytes]
    mimetype: str
    extension: str


# The downloads, by the last part of their address (/d/<slug>/reports/<version>.xlsx).
FORMATS = {
    "xlsx": Format(
        as_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"
    ),
    "csv": Format(as_csv, "application/zip", "csv.zip"),
    "json": Format(as_json, "application/json", "json"),
}


def download_name(slug: str, version: int, kind: str) -> str:
    """The file's name in the reader's language: stadskarna-rapport-3.xlsx."""
    word = pgettext("file name", "report")  # outside the f-string, where pybabel finds it
    return f"{slug}-{word}-{version}.{FORMATS[kind].extension}"
