"""The published report's files name nobody: a dialogue whose residents vote in three
camps, so that the opinion analysis finds real groups, compiled, published and
downloaded by a visitor as XLSX, CSV and JSON. No participant's name, address or
reference (the account id or the reference an import gave) is in any cell or file,
and the groups are (so the search is over a report that has something to hide)."""

from __future__ import annotations

import json
import re
import zipfile
from io import BytesIO
from typing import Any

import pytest
from openpyxl import load_workbook

from dialog.accounts.models import User
from dialog.dialogues import services as dialogue_services
from dialog.dialogues.models import Dialogue
from dialog.extensions import db
from dialog.reports import services
from tests.reports.camps import CAMPS, VOTING, Participant, compile_version, vote_in_camps
from tests.support import log_in


@pytest.fixture
def camps(app, db, make_dialogue, make_user, make_proposal):
    dialogue = make_dialogue("lager", phases=VOTING, title="Tre läger")
    people, _proposals = vote_in_camps(app, dialogue, make_user, make_proposal)
    planner = make_user(role="planner", email="quist-planner@example.org")
    with app.app_context():
        dialogue_services.assign_planner(
            db.session.get(Dialogue, dialogue.id), db.session.get(User, planner.id), by=None
        )
        db.session.commit()
    version, content = compile_version(app, dialogue, planner)
    return dialogue, people, planner, version, content


def _published(app, dialogue, version, planner) -> None:
    from sqlalchemy import select

    from dialog.reports.models import Report

    with app.app_context():
        report = db.session.scalar(
            select(Report).where(Report.dialogue_id == dialogue.id, Report.version == version)
        )
        assert services.publish(report, by=db.session.get(User, planner.id)) is not None
        db.session.commit()


def _cells_of_xlsx(data: bytes) -> dict[str, list[list[Any]]]:
    workbook = load_workbook(BytesIO(data))
    return {
        sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in workbook
    }


def _csv_files(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(BytesIO(data)) as archive:
        return {name: archive.read(name).decode("utf-8-sig") for name in archive.namelist()}


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for inner in value.values() for k in _keys(inner)}
    if isinstance(value, list):
        return {k for inner in value for k in _keys(inner)}
    return set()


def _standalone(reference: str) -> re.Pattern:
    """The reference as a token of its own: 7310003, not 0.57310003 nor 17310003."""
    return re.compile(rf"(?<![\w.]){re.escape(reference)}(?![\w.])")


def _leaks(text: str, people: list[Participant]) -> list[str]:
    found = []
    for person in people:
        found += [what for what in (person.name, person.email) if what.lower() in text.lower()]
        found += [
            reference
            for reference in {person.reference, str(person.id)}
            if _standalone(reference).search(text)
        ]
    # What every participant's name and address share, in any case.
    found += [part for part in ("zebulon", "quist") if part in text.lower()]
    return found


def test_the_analysis_finds_the_camps(camps):
    """The premise of the tests below: there are groups whose members could leak."""
    _dialogue, people, _planner, _version, content = camps

    groups = content["opinion_groups"]
    assert content["opinion"]["grouping"] == "groups"
    assert sorted(len(g["members"]) for g in groups) == sorted(CAMPS.values())
    by_reference = {p.reference: p.camp for p in people}
    assert all(len({by_reference[m] for m in g["members"]}) == 1 for g in groups)
    # What is searched for below is in what `flask report` gives: the members by reference.
    members = {m for g in groups for m in g["members"]}
    assert {p.reference for p in people} == members
    # And the search finds them there: every reference, in the content with its members.
    found = _leaks(json.dumps(content), people)
    assert {p.reference for p in people} <= set(found)
    assert any(p.external_id for p in people) and any(not p.external_id for p in people)


def test_the_published_files_name_no_participant_and_hold_the_groups(app, camps, client):
    dialogue, people, planner, version, content = camps
    _published(app, dialogue, version, planner)

    xlsx = client.get(f"/d/{dialogue.slug}/what-we-heard.xlsx?lang=en")
    csv = client.get(f"/d/{dialogue.slug}/what-we-heard.csv?lang=en")
    heard = client.get(f"/d/{dialogue.slug}/what-we-heard.json?lang=en")
    assert [xlsx.status_code, csv.status_code, heard.status_code] == [200, 200, 200]

    sheets = _cells_of_xlsx(xlsx.data)
    for title, rows in sheets.items():
        for row in rows:
            for cell in row:
                if cell is not None:
                    assert not _leaks(str(cell), people), (title, cell)
    # And nowhere else in the workbook either: sheet names, shared strings, properties.
    with zipfile.ZipFile(BytesIO(xlsx.data)) as workbook:
        for part in workbook.namelist():
            assert not _leaks(workbook.read(part).decode("utf-8", "replace"), people), part
    files = _csv_files(csv.data)
    for name, text in files.items():
        assert not _leaks(name + "\n" + text, people), name
    text = heard.get_data(as_text=True)
    assert not _leaks(text, people)
    published = json.loads(text)
    assert not _keys(published) & {"members", "participant", "email"}
    assert not _leaks(
        client.get(f"/d/{dialogue.slug}/what-we-heard").get_data(as_text=True), people
    )

    # The groups are there, in every file, with the sizes the analysis found.
    sizes = sorted(len(g["members"]) for g in content["opinion_groups"])
    assert sorted(g["size"] for g in published["opinion_groups"]) == sizes
    assert len(published["opinion"]["map"]) == len(people)
    [groups_sheet] = [rows for title, rows in sheets.items() if title == "Opinion groups"]
    heading, *rows = groups_sheet
    assert sorted(row[heading.index("People")] for row in rows if row[0] is not None) == sizes
    [groups_csv] = [text for name, text in files.items() if "Opinion groups" in name]
    assert len(groups_csv.strip().splitlines()) == 1 + len(sizes)
    representative = {
        r["proposal"] for g in published["opinion_groups"] for r in g["representative"]
    }
    assert representative and all(ref in published["proposal_titles"] for ref in representative)


def test_the_staff_version_file_names_no_participant_either(app, camps):
    dialogue, people, _planner, version, _content = camps
    staff = app.test_client()
    log_in(staff, "quist-planner@example.org")

    answer = staff.get(f"/d/{dialogue.slug}/reports/{version}.json")

    assert answer.status_code == 200
    text = answer.get_data(as_text=True)
    assert "@quistmail.example" not in text
    assert not _leaks(text, people)
    stored = json.loads(text)
    assert len(stored["opinion_groups"]) == len(CAMPS)
    assert not _keys(stored) & {"members", "participant", "email"}
