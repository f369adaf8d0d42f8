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
        participation={
            "per_day": [{"date": "2026-02-28", "participants": 2, "proposals": 4, "votes": 9}]
        },
        themes={"proposals": 2, "themes": [{"name": "-1 Trafik", "proposals": 2, "share": 0.6667}]},
        opinion={"map": [{"x": -0.5, "y": 0.25, "group": 0}]},
    )

    sheets = _sheets(exports.as_xlsx(content), content)
    files = dict(_csv_files(exports.as_csv(content)))

    totals = {row[0].value: row[1] for row in sheets[("totals",)][1:]}
    participants = totals[str(exports.HEADINGS["participants"])]
    assert (participants.data_type, participants.value) == ("n", 3)
    day, people, proposals, _comments, votes = sheets[("participation", "per_day")][1][:5]
    assert day.is_date and day.value == datetime(2026, 2, 28)
    assert (people.value, proposals.value, votes.value) == (2, 4, 9)
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


def test_a_last_row_of_empty_cells_keeps_its_row_and_every_table_is_rectangular(ctx):
    content = _content(
        survey=[{"a": 1, "b": None}, {"a": None, "b": None}],
        representation=_representation_content(),
    )

    tables = exports.report_tables(content)
    sheets = _sheets(exports.as_xlsx(content), content)

    for table in tables:
        assert all(len(row) == len(table.headings) for row in table.rows), table.path
        assert len(sheets[table.path]) == len(table.rows) + 1, table.path
    assert [cell.value for cell in sheets[("survey",)][2]] == [None, None]


def _representation_content() -> dict:
    """The representation section of one district, a hidden figure in each line."""
    figures = {"hidden": True, "participants": None, "share": None}
    shown = {"hidden": False, "participants": 7, "share": 1.0}
    margin = {**shown, "index": 1.2, "under": False, "population": 10, "population_share": 0.5}
    hidden = {**figures, "index": None, "under": False, "population": 3, "population_share": 0.1}
    return {
        "has_population": True,
        "population_total": 20,
        "participants": 7,
        "smallest_shown": 5,
        "under_represented_below": 0.8,
        "districts": [{"code": "norr", "name": "Norr", **margin}],
        "district_not_stated": figures,
        "age_bands": [{"age_band": "18_29", **hidden}],
        "age_band_not_stated": figures,
        "cells": [
            {
                "code": "norr",
                "name": "Norr",
                "cells": [{"age_band": "18_29", **hidden}, {"age_band": None, **figures}],
            },
            {
                "code": None,
                "name": None,
                "cells": [{"age_band": "18_29", **figures}, {"age_band": None, **figures}],
            },
        ],
        "under_represented": {"districts": [], "age_bands": []},
    }


# The real sections, from a real dialogue ----------------------------------------------------

DISTRICTS = {"norr": "Norr", "hol": "Hölö-Mörkö"}
POPULATION = {
    ("norr", "18_29"): 100,
    ("norr", "30_44"): 100,
    ("hol", "18_29"): 100,
    ("hol", "30_44"): 700,
}
# (district, age band, people): Norr's three aged 30–44 and the one without a district are
# too few, and hide Norr's other figures and total with them; Hölö-Mörkö's show.
TAKING_PART = (
    ("norr", "18_29", 10),
    ("norr", "30_44", 3),
    ("norr", "45_64", 10),
    ("hol", "18_29", 10),
    ("hol", "30_44", 10),
    ("hol", "45_64", 10),
)
SMALL = {1, 2, 3, 4}
SUBJECTS = (
    ("Trafik", "Cykelbana längs vägen", "cykelbana cykel väg trafik säker korsning"),
    ("Grönska", "Träd i parken", "träd park grönska skugga blommor gräsmatta"),
    (None, "Hundrastgård", "hundrastgård hundar koppel staket hundägare rastning"),
)


@pytest.fixture
def lived_in(app, db, make_dialogue, make_user, make_proposal, make_comment, cast_vote):
    """A dialogue residents of two districts took part in, some too few to be shown, with
    enough text for topics, a hidden proposal and a population to compare with."""
    from dialog.accounts.models import User
    from dialog.moderation import services as moderation
    from dialog.proposals.models import Proposal
    from tests.districts.support import only_districts, store_population

    only_districts(app, DISTRICTS)
    store_population(app, POPULATION)
    dialogue = make_dialogue("boende", phases=VOTING, themes=["Trafik", "Grönska"])
    voters = [
        make_user(district=district, age_band=band)
        for district, band, people in TAKING_PART
        for _ in range(people)
    ] + [make_user(age_band="45_64")]
    for number in range(8):
        for theme, title, words in SUBJECTS:
            proposal = make_proposal(
                dialogue, voters[number], title=f"{title} {number}", body=words, theme=theme
            )
            cast_vote(proposal, voters[-1 - number])
            make_comment(proposal, voters[number + 1], words)
    for voter in voters:
        cast_vote(proposal, voter)
    hidden = make_proposal(dialogue, voters[0], title="Köp billigt", body="Reklam reklam")
    with app.app_context():
        moderation.hide(
            db.session.get(Proposal, hidden.id),
            by=db.session.get(User, make_user(role="admin").id),
            reason="Reklam",
        )
        db.session.commit()
    return dialogue


def _csv_by_path(content: dict) -> dict[tuple, str]:
    tables = exports.report_tables(content)
    files = _csv_files(exports.as_csv(content))
    return {table.path: text for table, (_name, text) in zip(tables, files, strict=True)}


def _representation_cells(tables, sheets, files):
    """Each representation table's cells in the report, the sheet and the CSV, side by side."""
    for table in tables:
        if table.path[0] != "representation":
            continue
        csv_rows = _csv_rows(files[table.path])[1:]
        for row, cells, texts in zip(table.rows, sheets[table.path][1:], csv_rows, strict=True):
            for key, value, cell, text in zip(table.keys, row, cells, texts, strict=True):
                yield table.path, key, value, cell, text


def test_a_hidden_figure_of_who_took_part_is_an_empty_cell_in_every_file(ctx, lived_in):
    content = _stored(lived_in.id)

    tables = exports.report_tables(content)
    sheets = _sheets(exports.as_xlsx(content), content)
    files = _csv_by_path(content)

    assert {
        ("representation", part) for part in ("districts", "age_bands", "cells", "index")
    } <= set(sheets)
    empty = 0
    for path, key, value, cell, text in _representation_cells(tables, sheets, files):
        if key in ("participants", "participants_share", "index") or path[-1] == "cells":
            assert cell.value not in SMALL and text not in {str(n) for n in SMALL}, (path, key)
        if value is None:
            assert (cell.value, text) == (None, ""), (path, key)
            empty += 1
    assert empty
    cross = {
        row[0].value: [cell.value for cell in row] for row in sheets[("representation", "cells")]
    }
    with force_locale("sv"):
        bands = [_age_band(code) for code in ("18_29", "30_44")]
        not_stated = str(exports.HEADINGS["not_stated"])
    columns = cross[str(exports.HEADINGS["district"])]
    for row in content["representation"]["cells"]:
        name = row["name"] or not_stated
        for figures in row["cells"]:
            band = _age_band(figures["age_band"]) if figures["age_band"] else not_stated
            assert cross[name][columns.index(band)] == figures["participants"], (name, band)
    middle = columns.index(bands[1])
    assert cross["Norr"][middle] is None  # the three aged 30–44
    shown = [value for row in list(cross.values())[1:] for value in row[1:] if value]
    assert shown and min(shown) >= 5  # what is not hidden is shown
    districts = {row[0].value: row for row in sheets[("representation", "districts")][1:]}
    # District, hidden, participants: Hölö-Mörkö's thirty are shown, Norr's and the one
    # not stated not.
    assert [cell.value for cell in districts["Hölö-Mörkö"][:3]] == ["Hölö-Mörkö", False, 30]
    assert [cell.value for cell in districts["Norr"][:3]] == ["Norr", True, None]
    assert [cell.value for cell in districts[not_stated][:3]] == [not_stated, True, None]


def _age_band(code: str) -> str:
    from dialog.accounts.labels import AGE_BAND_LABELS

    return str(AGE_BAND_LABELS[code])


def test_topics_and_words_read_as_one_row_each_with_their_words_as_text(ctx, lived_in):
    content = _stored(lived_in.id)
    assert content["topics"]["topics"], "the fixture has too little text for topics"

    sheets = _sheets(exports.as_xlsx(content), content)
    files = dict(_csv_files(exports.as_csv(content)))

    topics = sheets[("topics", "topics")]
    headings = [cell.value for cell in topics[0]]
    assert headings[:2] == [str(exports.HEADINGS["topic"]), str(exports.HEADINGS["words"])]
    assert len(topics) == len(content["topics"]["topics"]) + 1
    for row, topic in zip(topics[1:], content["topics"]["topics"], strict=True):
        number, words, texts, _theme, _named, emerging, examples = row
        assert number.data_type == words.data_type == examples.data_type == "s"
        assert words.value == ", ".join(word["word"] for word in topic["words"])
        assert (texts.value, emerging.value) == (topic["texts"], topic["emerging"])
        assert examples.value.splitlines() == [
            f"{e['reference']} {e['title']}" for e in topic["examples"]
        ]
        assert examples.alignment.wrap_text
    assert "Köp billigt" not in _file(files, ("topics", "topics"))  # hidden: not read
    themes = {row[0].value: row for row in sheets[("words",)][1:]}
    traffic = themes["Trafik"]
    assert traffic[2].data_type == "s" and "cykelbana (" in traffic[2].value
    assert traffic[1].value == content["words"]["themes"][0]["texts"]
    csv_themes = {row[0]: row for row in _csv_rows(_file(files, ("words",)))[1:]}
    assert csv_themes["Trafik"][2] == traffic[2].value


def test_a_published_report_downloads_with_its_answers_and_without_its_parameters(
    ctx, lived_in, make_user, make_answer
):
    from dialog.core.db import utcnow
    from dialog.proposals.models import AnswerStatus, Proposal
    from dialog.reports import services

    answered = db.session.scalar(
        db.select(Proposal).where(Proposal.dialogue_id == lived_in.id).order_by(Proposal.id)
    )
    make_answer(answered, make_user(role="admin"), status=AnswerStatus.accepted, body="=Vi bygger")
    report = db.session.scalars(db.select(Report)).first() or Report(
        dialogue_id=lived_in.id, version=1, status=ReportStatus.done
    )
    report.content = without_people(compile_report(db.session.get(Dialogue, lived_in.id)))
    report.finished_at = utcnow()
    db.session.add(report)
    db.session.flush()
    content = services.publish(report, by=None).content

    with force_locale("en"):
        sheets = _sheets(exports.as_xlsx(content), content)
        files = _csv_by_path(content)
        names = load_workbook(io.BytesIO(exports.as_xlsx(content))).sheetnames

    assert "parameters" not in content and ("parameters",) not in sheets
    assert "Every answer, proposal by proposal"[: exports.SHEET_NAME_LENGTH] in names
    [heading, row] = [[cell.value for cell in cells] for cells in sheets[("answers",)]]
    assert heading == ["Proposal", "Title", "Decision", "Answered on", "Answer"]
    assert row[:2] == [answered.reference, answered.title]
    today = utcnow().astimezone(exports.LOCAL_ZONE).date()
    assert row[2:4] == ["Accepted", datetime.combine(today, datetime.min.time())]
    assert row[4] == "=Vi bygger" and sheets[("answers",)][1][4].data_type == "s"
    [csv_row] = _csv_rows(files[("answers",)])[1:]
    assert csv_row[4] == "'=Vi bygger"
    about = {cells[0].value: cells[1].value for cells in sheets[("about",)][1:]}
    assert about["Compiled at"] == content["compiled_at"]


def test_the_parts_of_the_area_read_in_words_with_their_counts(ctx, make_dialogue, make_proposal):
    dialogue = make_dialogue("delar")
    for lat, lon in ((59.30, 17.90), (59.30, 17.91), (59.20, 18.10)):
        make_proposal(dialogue, place_lat=lat, place_lon=lon)
    content = _stored(dialogue.id)

    with force_locale("sv"):
        sheets = _sheets(exports.as_xlsx(content), content)
        names = load_workbook(io.BytesIO(exports.as_xlsx(content))).sheetnames
    rows = [[cell.value for cell in row] for row in sheets[("geography", "parts")]]

    assert "Förslag per del av området" in " ".join(names)
    assert rows[0] == ["Del", "Förslag"]
    assert rows[1:] == [
        ["Nordväst", 2],
        ["Norr", 0],
        ["Nordost", 0],
        ["Väster", 0],
        ["Mitten", 0],
        ["Öster", 0],
        ["Sydväst", 0],
        ["Söder", 0],
        ["Sydost", 1],
    ]
