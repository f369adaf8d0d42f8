"""The representativeness section: known indices, the groups named as under-represented,
and the privacy rules: no figure of 1 to 4 people anywhere, and every row and column that
hides a figure hides at least two. That alone does not stop a reader combining lines;
tests/reports/test_suppression_audit.py checks the real guarantee, that every hidden
count of 1 to 4 could be anything from 0 to 5 given all that is published."""

from __future__ import annotations

import random

import pytest
from flask import render_template

from dialog.dialogues.models import Dialogue
from dialog.extensions import db
from dialog.reports.representation import exposed, hidden_cells, representation_section
from tests.districts.support import only_districts, store_population

VOTING = (("voting", -1, 24),)
DISTRICTS = {"norr": "Norr", "hol": "Hölö-Mörkö"}
# 1,000 people: Norr is a fifth of them, the young a fifth.
POPULATION = {
    ("norr", "18_29"): 100,
    ("norr", "30_44"): 100,
    ("hol", "18_29"): 100,
    ("hol", "30_44"): 700,
}


# The rule on its own ----------------------------------------------------------------------


def _lines(height: int, width: int) -> list[list[tuple[int, int]]]:
    """Rows and columns with their totals, the row of column totals and the column of
    row totals (the grand total, public, closes both)."""
    rows = [[(i, j) for j in range(width + 1)] for i in range(height)]
    columns = [[(i, j) for i in range(height + 1)] for j in range(width)]
    return [
        *rows,
        *columns,
        [(height, j) for j in range(width + 1)],
        [(i, width) for i in range(height + 1)],
    ]


def _values(matrix) -> dict[tuple[int, int], int]:
    height, width = len(matrix), len(matrix[0])
    values = {(i, j): matrix[i][j] for i in range(height) for j in range(width)}
    for i in range(height):
        values[(i, width)] = sum(matrix[i])
    for j in range(width):
        values[(height, j)] = sum(row[j] for row in matrix)
    values[(height, width)] = sum(map(sum, matrix))
    return values


def _worked_out(matrix, hidden) -> set[tuple[int, int]]:
    """What a reader gets by subtraction: any line with one unknown figure gives it away,
    and what it gives may open another line. Combining lines can give more away than
    this finds (see test_suppression_audit.py), so an empty answer is a weak check."""
    height, width = len(matrix), len(matrix[0])
    unknown = set(hidden)
    found = set()
    progress = True
    while progress:
        progress = False
        for line in _lines(height, width):
            missing = [cell for cell in line if cell in unknown]
            if len(missing) == 1:
                unknown.discard(missing[0])
                found.add(missing[0])
                progress = True
    return found


def test_a_small_count_is_hidden_with_the_smallest_other_figure_of_its_row_and_column():
    matrix = [[3, 10, 20], [8, 9, 30], [0, 0, 0]]
    assert hidden_cells(matrix) == {(0, 0), (0, 1), (1, 0), (1, 1)}
    # The four move together: the 3 could be anything from 0 to 11, so nothing more.
    assert exposed(matrix, hidden_cells(matrix)) == set()


def test_small_margins_are_hidden_too_and_the_grand_total_never():
    matrix = [[2, 1], [10, 10]]
    hidden = hidden_cells(matrix)
    assert {(0, 0), (0, 1), (0, 2)} <= hidden  # the cells and their row's total of 3
    assert (2, 2) not in hidden
    assert _worked_out(matrix, hidden) == set()


def test_zero_is_shown_and_chosen_as_a_partner_only_when_no_other_figure_is_left():
    assert hidden_cells([[0, 7], [0, 9]]) == set()
    hidden = hidden_cells([[3, 0, 8], [20, 20, 20]])
    assert (0, 2) in hidden and (0, 1) not in hidden
    only_zeros = [[4, 0], [0, 0]]
    hidden = hidden_cells(only_zeros)
    assert {(0, 1), (1, 0)} <= hidden
    assert _worked_out(only_zeros, hidden) == set()


def test_hiding_in_a_column_that_leaves_a_row_with_one_hidden_goes_on_until_none_is_left():
    # The 1 takes the 5 of its row and the 6 of its column; the 5 takes the 7 of its
    # column. That leaves the 6 and the 7 alone in their rows, and each takes the
    # smallest figure there (the first of equals).
    matrix = [[1, 5, 50], [6, 50, 50], [50, 7, 50]]
    assert hidden_cells(matrix) == {(0, 0), (0, 1), (1, 0), (2, 1), (1, 1), (2, 0)}
    # The audit asks for nothing more: the 1 could be anything from 0 to 6.
    assert exposed(matrix, hidden_cells(matrix)) == set()


def test_on_random_tables_no_line_hides_a_single_figure_nor_gives_one_by_subtraction():
    # A weaker check than the audit's (test_suppression_audit.py), kept because it needs
    # no solver: whatever the audit adds, no line may be left with one hidden figure.
    rng = random.Random(13)
    for _ in range(200):
        height, width = rng.randint(2, 7), rng.randint(2, 8)
        matrix = [
            [rng.choice([0, 0, 1, 2, 3, 4, 5, 6, rng.randint(7, 60)]) for _ in range(width)]
            for _ in range(height)
        ]
        hidden = hidden_cells(matrix)
        values = _values(matrix)
        small = {cell for cell, value in values.items() if 0 < value < 5}
        assert small - {(height, width)} <= hidden, matrix
        assert (height, width) not in hidden
        for line in _lines(height, width):
            assert sum(cell in hidden for cell in line) != 1, (matrix, line)
        assert _worked_out(matrix, hidden) == set(), matrix


def test_the_rule_is_the_same_every_time():
    rng = random.Random(7)
    matrix = [[rng.randint(0, 9) for _ in range(7)] for _ in range(15)]
    assert hidden_cells(matrix) == hidden_cells([list(row) for row in matrix])


# The section from a dialogue -------------------------------------------------------------


@pytest.fixture
def dialogue(app, db, make_dialogue, make_proposal):
    only_districts(app, DISTRICTS)
    dialogue = make_dialogue("vem", phases=VOTING)
    proposal = make_proposal(dialogue)  # entered on someone's behalf: no participant
    return dialogue, proposal


@pytest.fixture
def take_part(make_user, cast_vote):
    def take_part(proposal, district, band, people):
        for _ in range(people):
            cast_vote(proposal, make_user(district=district, age_band=band))

    return take_part


def _section(app, dialogue):
    with app.app_context():
        return representation_section(db.session.get(Dialogue, dialogue.id))


def _by(rows, key, value):
    return next(row for row in rows if row[key] == value)


def _every_count(section):
    """Every participant count in the section, margins and not-stated figures included."""
    if isinstance(section, dict):
        for key, value in section.items():
            if key in ("participants",):
                yield value
            else:
                yield from _every_count(value)
    elif isinstance(section, list):
        for item in section:
            yield from _every_count(item)


def test_known_indices_and_the_groups_that_took_part_less(app, dialogue, take_part):
    dialogue, proposal = dialogue
    take_part(proposal, "norr", "18_29", 10)
    take_part(proposal, "norr", "30_44", 10)
    take_part(proposal, "hol", "18_29", 5)
    take_part(proposal, "hol", "30_44", 15)
    store_population(app, POPULATION)
    section = _section(app, dialogue)

    norr = _by(section["districts"], "code", "norr")
    hol = _by(section["districts"], "code", "hol")
    assert (norr["participants"], norr["share"], norr["population_share"], norr["index"]) == (
        20,
        0.5,
        0.2,
        2.5,
    )
    assert (hol["index"], hol["under"]) == (0.62, True)  # 0.5 / 0.8
    young = _by(section["age_bands"], "age_band", "18_29")
    middle = _by(section["age_bands"], "age_band", "30_44")
    assert (young["participants"], young["index"], young["under"]) == (15, 1.88, False)
    assert (middle["index"], middle["under"]) == (0.78, True)  # 0.625 / 0.8
    cell = _by(_by(section["cells"], "code", "hol")["cells"], "age_band", "30_44")
    assert (cell["participants"], cell["share"], cell["index"]) == (15, 0.375, 0.54)
    assert section["under_represented"] == {"districts": ["Hölö-Mörkö"], "age_bands": ["30_44"]}
    assert section["participants"] == 40
    assert section["population_total"] == 1000


def test_the_page_names_the_groups_in_plain_words_and_marks_what_is_hidden(
    app, dialogue, take_part
):
    dialogue, proposal = dialogue
    take_part(proposal, "norr", "30_44", 40)
    take_part(proposal, "norr", "18_29", 2)  # hidden in the table, and so are its partners
    take_part(proposal, "hol", "18_29", 5)
    take_part(proposal, "hol", "30_44", 5)
    take_part(proposal, None, None, 5)
    store_population(app, POPULATION)
    section = _section(app, dialogue)
    with app.test_request_context("/?lang=en"):
        html = render_template("reports/_representation.html", c={"representation": section})
    assert '<section class="report-section" aria-labelledby="representation-heading">' in html
    assert '<h2 id="representation-heading">' in html
    assert (
        "Compared with the population, people aged 18–29 and people in Hölö-Mörkö took part"
        " less than their share." in html
    )
    assert "<caption>Participants by district</caption>" in html
    assert '<th scope="row">Hölö-Mörkö</th>' in html
    assert '<span aria-hidden="true">–</span><span class="visually-hidden">hidden</span>' in html
    assert "–: fewer than 5 people" in html


def test_no_figure_of_one_to_four_people_is_anywhere_and_hidden_figures_say_nothing(
    app, dialogue, take_part
):
    dialogue, proposal = dialogue
    take_part(proposal, "norr", "18_29", 3)
    take_part(proposal, "norr", "30_44", 6)
    take_part(proposal, "hol", "30_44", 9)
    take_part(proposal, "hol", None, 2)  # no age band given
    take_part(proposal, None, None, 1)  # nothing given
    store_population(app, POPULATION)
    section = _section(app, dialogue)

    counts = list(_every_count(section))
    assert counts and all(c is None or c == 0 or c >= 5 for c in counts), counts
    assert section["participants"] == 21
    assert section["district_not_stated"]["participants"] is None  # 1 person
    assert section["age_band_not_stated"]["participants"] is None  # 3 people
    hol = _by(section["cells"], "code", "hol")["cells"]
    assert _by(hol, "age_band", None)["participants"] is None
    for row in [*section["districts"], *section["age_bands"]]:
        if row["hidden"]:
            assert (row["share"], row["index"], row["under"]) == (None, None, False)
    # Norr's young are 3: hidden, with the smallest other figure of their row and column.
    norr = _by(section["cells"], "code", "norr")["cells"]
    assert _by(norr, "age_band", "18_29")["participants"] is None
    assert _by(norr, "age_band", "30_44")["participants"] is None


def test_a_hidden_figure_cannot_be_had_by_subtracting_the_shown_ones_from_the_totals(
    app, dialogue, take_part
):
    dialogue, proposal = dialogue
    take_part(proposal, "norr", "18_29", 6)
    take_part(proposal, "norr", "30_44", 2)
    take_part(proposal, "hol", "18_29", 7)
    take_part(proposal, "hol", "30_44", 8)
    section = _section(app, dialogue)
    # Read the table back as a reader sees it: rows of cells, each row ending in its total.
    margins = [*section["districts"], section["district_not_stated"]]
    table = [
        [cell["participants"] for cell in row["cells"]] + [margin["participants"]]
        for row, margin in zip(section["cells"], margins, strict=True)
    ]
    bands = [*section["age_bands"], section["age_band_not_stated"]]
    table.append([band["participants"] for band in bands] + [section["participants"]])
    for line in [*table, *map(list, zip(*table, strict=True))]:
        assert line.count(None) != 1, line
    assert table[0][2] is None and table[0][1] is None  # Norr's 2, and the 6 beside it
    assert table[0][-1] == 8  # Norr's total is shown: its two hidden figures add up to 8


def test_without_a_population_table_only_participant_shares_are_shown(app, dialogue, take_part):
    dialogue, proposal = dialogue
    take_part(proposal, "norr", "18_29", 5)
    take_part(proposal, "hol", "18_29", 5)
    section = _section(app, dialogue)
    assert section["has_population"] is False
    norr = _by(section["districts"], "code", "norr")
    assert (norr["participants"], norr["share"], norr["index"], norr["under"]) == (
        5,
        0.5,
        None,
        False,
    )
    assert section["under_represented"] == {"districts": [], "age_bands": []}
    with app.test_request_context("/?lang=en"):
        html = render_template("reports/_representation.html", c={"representation": section})
    assert "No population table has been uploaded" in html
    assert "Representation index" not in html


def test_a_dialogue_nobody_took_part_in_shows_zeros(app, dialogue):
    dialogue, _proposal = dialogue
    section = _section(app, dialogue)
    assert set(_every_count(section)) == {0}


def test_the_section_costs_three_statements_however_many_take_part(
    app, dialogue, take_part, count_queries
):
    dialogue, proposal = dialogue
    store_population(app, POPULATION)
    costs = []
    for people in (5, 15):
        take_part(proposal, "norr", "18_29", people)
        with app.app_context():
            loaded = db.session.get(Dialogue, dialogue.id)
            with count_queries() as counted:
                representation_section(loaded)
        costs.append(counted.count)
    assert costs == [3, 3]
