"""A report version as XLSX, CSV and JSON: every hostile text of the corpus stays text
(never a formula, in a sheet or in a CSV opened by a spreadsheet), numbers stay numbers,
every section has its sheet, and the same content gives the same bytes."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import datetime

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook

from dialog.dialogues.models import Dialogue
from dialog.extensions import db
from dialog.reports import exports
from dialog.reports.compiling import compile_report, without_people
from dialog.reports.models import Report, ReportStatus
from tests.security.injection import assert_harmless
from tests.security.injection_corpus import PAYLOADS, Payload

VOTING = (("proposals", -48, -1), ("voting", -1, 24, {"capability_overrides": {"comment": True}}))
# What a spreadsheet runs when a cell begins with it (OWASP), full-width forms included.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
# NUL never reaches the database: the request that carries it is refused.
STORABLE = [payload for payload in PAYLOADS if "\x00" not in payload.text]
GENERATED_AT = "2026-03-01T09:30:15.250000+00:00"


def _sheet_text(text: str) -> str:
    """What a sheet can hold of a text: no C0 control but tab and line feed, and a line
    break as LF (XML turns a CR into one on reading)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", text)


def _stored(dialogue_id: int) -> dict:
    """The report compiled and stored as the worker stores it, read back from the
    database (whose JSON turns tuples into lists)."""
    dialogue = db.session.get(Dialogue, dialogue_id)
    report = Report(
        dialogue_id=dialogue.id,
        version=1,
        status=ReportStatus.done,
        content=without_people(compile_report(dialogue)),
    )
    db.session.add(report)
    db.session.flush()
    db.session.expire(report)
    return report.content


@pytest.fixture
def hostile_report(ctx, make_dialogue, make_user, make_proposal, make_comment, cast_vote):
    """A dialogue whose one voted, discussed proposal is titled, themed and placed with
    the payload: its text lands in the rankings, the themes and the places."""

    def build(payload: Payload) -> tuple[dict, str]:
        # Named apart from the payload's marker, which must be the payload's alone.
        slug = f"fientlig-{payload.mark.removeprefix('inj')}"
        dialogue = make_dialogue(slug, phases=VOTING, themes=[payload.text])
        author, voter = make_user(), make_user()
        proposal = make_proposal(
            dialogue, author, title=payload.text, theme=payload.text, place_name=payload.text
        )
        cast_vote(proposal, voter)
        make_comment(proposal, voter, payload.text)
        return _stored(dialogue.id), proposal.title

    return build


@pytest.fixture
def english():
    """Headings compared with English names, whatever the catalogue says in Swedish."""
    from flask_babel import force_locale

    with force_locale("en"):
        yield


def _sheets(xlsx: bytes, content: dict) -> dict[tuple, list[list]]:
    """Each table's sheet as rows of cells, by the table's place in the content."""
    book = load_workbook(io.BytesIO(xlsx))
    tables = exports.report_tables(content)
    assert len(book.worksheets) == len(tables)
    return {
        table.path: [list(row) for row in sheet.iter_rows()]
        for table, sheet in zip(tables, book.worksheets, strict=True)
    }


def _csv_files(archive: bytes) -> list[tuple[str, str]]:
    with zipfile.ZipFile(io.BytesIO(archive)) as files:
        return [(name, files.read(name).decode("utf-8")) for name in files.namelist()]


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


# Hostile text, through a real dialogue ---------------------------------------------------


@pytest.mark.parametrize("payload", STORABLE, ids=lambda p: p.name)
def test_a_hostile_title_comes_out_as_text_in_every_format(hostile_report, payload):
    content, title = hostile_report(payload)

    xlsx, csv_zip, body = (
        write(content) for write in (exports.as_xlsx, exports.as_csv, exports.as_json)
    )

    sheets = _sheets(xlsx, content)
    _no_formula_in(sheets, payload)
    _every_text_as_in_the_report(sheets, content, payload)
    # A title is stored stripped of its outer spaces; a theme and a place as they came.
    for path, text in (
        (("proposals",), title),
        (("themes", "themes"), payload.text),
        (("geography", "named"), payload.text),
    ):
        _shown_as_text(sheets[path], text, payload, path)
    _quoted_in_the_csv(_csv_files(csv_zip), content, title, payload)
    assert json.loads(body) == content
    assert_harmless(body, payload, "json")


def _no_formula_in(sheets, payload) -> None:
    for path, rows in sheets.items():
        for cell in (cell for row in rows for cell in row):
            assert cell.data_type not in ("f", "e"), f"{payload.name} in {path}: {cell.value!r}"


def _every_text_as_in_the_report(sheets, content, payload) -> None:
    for table in exports.report_tables(content):
        rows = sheets[table.path]
        assert [cell.value for cell in rows[0]] == table.headings
        for row, cells in zip(table.rows, rows[1:], strict=True):
            for value, cell in zip(row, cells, strict=True):
                if isinstance(value, str) and cell.data_type == "s":
                    assert cell.value == _sheet_text(value), (payload.name, table.path)


def _shown_as_text(rows, text, payload, path) -> None:
    cells = [cell for row in rows for cell in row if cell.value == _sheet_text(text)]
    assert cells, f"{payload.name} missing from {path}"
    for cell in cells:
        assert cell.data_type == "s", (payload.name, path)
        # Kept text when someone edits the cell, too.
        assert cell.quotePrefix == text.startswith(FORMULA_START), (payload.name, path)


def _quoted_in_the_csv(files, content, title, payload) -> None:
    """Each text a cell, with an apostrophe before it where a spreadsheet would run it, and
    nothing else changed."""
    tables = exports.report_tables(content)
    assert len(files) == len(tables)
    found = False
    for (name, text), table in zip(files, tables, strict=True):
        assert_harmless(text, payload, "csv", where=name)
        rows = _csv_rows(text)
        for row, cells in zip(table.rows, rows[1:], strict=True):
            for value, cell in zip(row, cells, strict=True):
                if isinstance(value, str):
                    quoted = "'" + value if value.startswith(FORMULA_START) else value
                    assert cell == quoted, (payload.name, name)
        found = found or any(title in cells or "'" + title in cells for cells in rows)
    assert found, f"{payload.name}: the title is in no CSV"


# Hostile text that never reaches the database -------------------------------------------


def _content(**sections) -> dict:
    """A report's content as it is stored, with the sections given added."""
    return {
        "dialogue": "torget",
        "title": "Torget",
        "generated_at": GENERATED_AT,
        "totals": {"participants": 3, "proposals": 2},
        "proposal_titles": {},
        **sections,
    }


@pytest.mark.parametrize("payload", PAYLOADS, ids=lambda p: p.name)
def test_every_payload_opens_as_text_even_with_characters_xml_cannot_carry(ctx, payload):
    content = _content(
        title=payload.text,
        geography={"named": [{"place": payload.text, "proposals": 1, "votes": 0}]},
    )

    sheets = _sheets(exports.as_xlsx(content), content)
    csv_text = "".join(text for _name, text in _csv_files(exports.as_csv(content)))

    title = sheets[("about",)][2][1]  # the heading, the dialogue, its title
    assert (title.data_type, title.value) == ("s", _sheet_text(payload.text))
    place = sheets[("geography", "named")][1][0]
    assert (place.data_type, place.value) == ("s", _sheet_text(payload.text))
    assert_harmless(csv_text, payload, "csv")
    assert json.loads(exports.as_json(content)) == content


@pytest.mark.parametrize("sign", ["＝", "＋", "－", "＠"])
def test_a_full_width_formula_sign_is_quoted_in_the_csv_and_marked_in_the_sheet(ctx, sign):
    text = f'{sign}HYPERLINK("https://evil.example","klicka")'
    content = _content(proposal_titles={"STK-0001": text})

    sheets = _sheets(exports.as_xlsx(content), content)
    files = dict(_csv_files(exports.as_csv(content)))

    cell = sheets[("proposal_titles",)][1][1]
    assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)
    assert _csv_rows(_file(files, ("proposal_titles",)))[1] == ["STK-0001", "'" + text]


def test_control_characters_are_left_out_of_a_sheet_and_kept_in_the_csv(ctx):
    text = "före\x00efter\x1b[31m \x07\x08slut\x0b\x0c"
    content = _content(title=text)

    sheets = _sheets(exports.as_xlsx(content), content)
    [about] = [text for name, text in _csv_files(exports.as_csv(content)) if name.startswith("01")]

    assert sheets[("about",)][2][1].value == "föreefter[31m slut"
    assert _csv_rows(about)[2][1] == text


# Shape ---------------------------------------------------------------------------------


def test_every_section_of_an_empty_dialogue_has_a_sheet_with_a_heading_row(ctx, make_dialogue):
    dialogue = make_dialogue("tom")
    content = _stored(dialogue.id)

    sheets = _sheets(exports.as_xlsx(content), content)

    sections = {key for key, value in content.items() if isinstance(value, dict | list)}
    assert sections <= {path[0] for path in sheets}
    for path, rows in sheets.items():
        assert rows and all(cell.value for cell in rows[0]), path
    # Each shown by its columns though nothing is in it.
    assert _headings(sheets, ("opinion", "map")) == ["x", "y", str(exports.HEADINGS["group"])]
    assert len(_headings(sheets, ("opinion_groups", "representative"))) > 2
    assert len(sheets[("opinion", "map")]) == len(sheets[("opinion_groups",)]) == 1


def _headings(sheets, path) -> list:
    return [cell.value for cell in sheets[path][0]]


def test_the_opinion_map_is_one_sheet_of_points_and_groups_name_their_proposals(ctx):
    content = _content(
        proposal_titles={"STK-0001": "Fler bänkar"},
        opinion={"participants": 2, "map": [{"x": -0.5, "y": 0.25, "group": 1}]},
        opinion_groups=[
            {
                "id": 1,
                "size": 5,
                "representative": [
                    {"proposal": "STK-0001", "direction": "agree", "agree_in": 0.8, "votes_in": 5}
                ],
            }
        ],
        consensus=["STK-0001"],
    )

    sheets = _sheets(exports.as_xlsx(content), content)

    assert [[cell.value for cell in row] for row in sheets[("opinion", "map")][1:]] == [
        [-0.5, 0.25, 1]
    ]
    [representative] = sheets[("opinion_groups", "representative")][1:]
    assert [cell.value for cell in representative[:3]] == [1, "STK-0001", "Fler bänkar"]
    assert [cell.value for cell in sheets[("consensus",)][1]] == ["STK-0001", "Fler bänkar"]
    assert [cell.value for cell in sheets[("opinion_groups",)][1]] == [1, 5]


def test_a_section_nobody_told_the_exports_about_gets_its_sheets(ctx, english):
    content = _content(
        survey={
            "threshold": 5,
            "cells": [
                {"district": "Norr", "age_band": "16–29", "participants": 7, "suppressed": False},
                {
                    "district": "Söder",
                    "age_band": "16–29",
                    "participants": None,
                    "suppressed": True,
                },
            ],
            "words": [],
        }
    )

    # The headings of keys nobody named are the keys in words, whatever the language.
    with force_locale("en"):
        sheets = _sheets(exports.as_xlsx(content), content)
        names = load_workbook(io.BytesIO(exports.as_xlsx(content))).sheetnames

    assert "Survey" in names and "Survey – Cells" in names
    cells = sheets[("survey", "cells")]
    assert [cell.value for cell in cells[0]] == ["District", "Age", "Participants", "Suppressed"]
    assert [cell.value for cell in cells[2]] == ["Söder", "16–29", None, True]
    assert cells[2][3].data_type == "b"
    assert [cell.value for cell in sheets[("survey", "words")][0]] == ["Value"]


def test_sheet_names_are_short_unique_and_acceptable_to_excel(ctx):
    long = "districts_and_age_bands_with_suppressed_cells"
    content = _content(**{long: [{"a": 1}], f"{long}_again": [{"a": 2}], "why: [this]?": [1]})

    names = load_workbook(io.BytesIO(exports.as_xlsx(content))).sheetnames

    assert all(len(name) <= 31 for name in names)
    assert len({name.casefold() for name in names}) == len(names)
    assert not any(set(name) & set("[]:*?/\\") for name in names)
    assert "Why- -this--" in names


def test_counts_are_numbers_shares_percentages_and_days_dates(ctx):
    content = _content(
        participation={"per_day": [{"date": "2026-02-28", "proposals": 4, "votes": 9}]},
        themes={"proposals": 2, "themes": [{"name": "-1 Trafik", "proposals": 2, "share": 0.6667}]},
        opinion={"map": [{"x": -0.5, "y": 0.25, "group": 0}]},
    )

    sheets = _sheets(exports.as_xlsx(content), content)
    files = dict(_csv_files(exports.as_csv(content)))

    totals = {row[0].value: row[1] for row in sheets[("totals",)][1:]}
    participants = totals[str(exports.HEADINGS["participants"])]
    assert (participants.data_type, participants.value) == ("n", 3)
    day, proposals, votes = sheets[("participation", "per_day")][1][:3]
    assert day.is_date and day.value == datetime(2026, 2, 28)
    assert isinstance(proposals.value, int) and proposals.data_type == "n"
    name, _proposals, share = sheets[("themes", "themes")][1][:3]
    assert (share.value, share.number_format) == (0.6667, "0.0%")
    assert (name.data_type, name.value) == ("s", "-1 Trafik")
    x = sheets[("opinion", "map")][1][0]
    assert (x.data_type, x.value) == ("n", -0.5)
    assert _csv_rows(_file(files, ("themes", "themes")))[1][:3] == ["'-1 Trafik", "2", "0.6667"]
    # A negative number is no formula.
    assert _csv_rows(_file(files, ("opinion", "map")))[1] == ["-0.5", "0.25", "0"]
    assert _csv_rows(_file(files, ("participation", "per_day")))[1][0] == "2026-02-28"


def _file(files: dict[str, str], path) -> str:
    [text] = [text for name, text in files.items() if name[3:-4] == str(exports.TITLES[path])]
    return text


def test_the_same_content_gives_the_same_bytes_with_the_reports_own_time(ctx):
    content = _content(opinion={"map": [{"x": 1.0, "y": 2.0, "group": 0}]})

    xlsx, csv_zip = exports.as_xlsx(content), exports.as_csv(content)

    assert exports.as_xlsx(content) == xlsx
    assert exports.as_csv(content) == csv_zip
    compiled = (2026, 3, 1, 9, 30, 14)  # a ZIP's clock ticks in two seconds
    for archive in (xlsx, csv_zip):
        with zipfile.ZipFile(io.BytesIO(archive)) as files:
            assert {entry.date_time for entry in files.infolist()} == {compiled}
    properties = load_workbook(io.BytesIO(xlsx)).properties
    assert properties.created == properties.modified == datetime(2026, 3, 1, 9, 30, 15)


def test_swedish_arabic_and_emoji_come_through_every_format(ctx):
    text = "Åäö på torget – ساحة المدينة 🌳"
    content = _content(title=text, proposal_titles={"STK-0001": text})

    sheets = _sheets(exports.as_xlsx(content), content)
    files = _csv_files(exports.as_csv(content))
    body = exports.as_json(content)

    assert sheets[("proposal_titles",)][1][1].value == text
    assert all(csv_text.startswith("\ufeff") for _name, csv_text in files)
    assert any(text in csv_text for _name, csv_text in files)
    assert text.encode("utf-8") in body
    assert json.loads(body) == content


def test_the_csv_is_one_file_per_table_in_the_reports_order(ctx):
    content = _content(feedback={"proposals": 2, "answered": 1, "by_status": {"accepted": 1}})

    files = _csv_files(exports.as_csv(content))

    tables = exports.report_tables(content)
    assert [name for name, _text in files] == [
        f"{number:02d} {table.title}.csv" for number, table in enumerate(tables, start=1)
    ]
    for (_name, text), table in zip(files, tables, strict=True):
        assert _csv_rows(text)[0] == table.headings


def test_each_download_is_the_file_its_name_says(ctx):
    content = _content()

    xlsx, csv_zip, body = (exports.FORMATS[kind] for kind in ("xlsx", "csv", "json"))

    assert load_workbook(io.BytesIO(xlsx.write(content))).sheetnames
    assert zipfile.ZipFile(io.BytesIO(csv_zip.write(content))).namelist()
    assert json.loads(body.write(content)) == content
    assert exports.download_name("torget", 3, "csv").endswith("-3.csv.zip")
    assert exports.download_name("torget", 3, "xlsx").startswith("torget-")
