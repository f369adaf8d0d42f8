"""Who took part compared with who lives there: participants by district and age band
against the population table, with a representation index per group, and small groups
hidden so that no one can be picked out.

The privacy rule is Statistics Sweden's small-cell rule: a count of 1 to 4 people is
never shown (0 is: it names no one). The table of districts × age bands is read with its
margins, each row and column ending in its total, and the participants' total (public in
the report's first section) closing both. Hiding one figure of a line whose total is
known would let anyone work it out by subtraction, so every line that hides a figure
hides at least two: the smallest other figure of the line is hidden too (a positive one
before a zero), line after line until no line has a single hidden figure (hiding in a
column can leave a row with one). A hidden figure shows neither its count, nor its share,
nor its index.

People who gave no district or no age band are a row and a column of their own ("not
stated"), hidden by the same rule. Shares are of the participants who stated what the
table is about; when the number who did not is itself hidden, the share is of all
participants instead, since the smaller base would give the hidden number away.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from dialog.accounts.models import AGE_BANDS, User
from dialog.districts import queries as districts
from dialog.extensions import db
from dialog.reports.queries import participant_ids

SMALLEST_SHOWN = 5
# A group whose share among participants is under 0.8 of its share of the population
# took part noticeably less than its size.
UNDER_REPRESENTED_BELOW = 0.8

Cell = tuple[int, int]


def representation_section(dialogue) -> dict[str, Any]:
    """The section as JSON-able data: margins, cells, and the groups that took part less."""
    district_list = districts.ordered()
    rows: list[str | None] = [d.code for d in district_list] + [None]
    columns: list[str | None] = [*AGE_BANDS, None]
    counts = _participant_counts(dialogue.id)
    matrix = [[counts.get((r, c), 0) for c in columns] for r in rows]
    table = _Table(matrix)
    hidden = hidden_cells(matrix)
    population = districts.population_table()
    names = {d.code: d.name for d in district_list}
    layout = _Layout(rows, columns, table, hidden, population, names)
    section = {
        "has_population": bool(population),
        "population_total": sum(population.values()),
        "participants": table.grand if table.grand == 0 or table.grand >= SMALLEST_SHOWN else None,
        "smallest_shown": SMALLEST_SHOWN,
        "under_represented_below": UNDER_REPRESENTED_BELOW,
        "districts": layout.district_margins(),
        "district_not_stated": layout.not_stated_district(),
        "age_bands": layout.age_band_margins(),
        "age_band_not_stated": layout.not_stated_age_band(),
        "cells": layout.cells(),
    }
    section["under_represented"] = {
        "districts": [d["name"] for d in section["districts"] if d["under"]],
        "age_bands": [b["age_band"] for b in section["age_bands"] if b["under"]],
    }
    return section


def _participant_counts(dialogue_id: int) -> dict[tuple[str | None, str | None], int]:
    people = participant_ids(dialogue_id).subquery()
    rows = db.session.execute(
        select(User.district, User.age_band, func.count())
        .where(User.id.in_(select(people.c.user_id)))
        .group_by(User.district, User.age_band)
    )
    return {(district, band): count for district, band, count in rows}


class _Table:
    """A matrix of counts with its margins: cell (i, j) inside, (i, C) a row's total,
    (R, j) a column's total, (R, C) the grand total."""

    def __init__(self, matrix: Sequence[Sequence[int]]):
        self.height = len(matrix)
        self.width = len(matrix[0]) if matrix else 0
        self.value: dict[Cell, int] = {}
        for i, row in enumerate(matrix):
            for j, count in enumerate(row):
                self.value[(i, j)] = count
            self.value[(i, self.width)] = sum(row)
        for j in range(self.width):
            self.value[(self.height, j)] = sum(row[j] for row in matrix)
        self.grand_cell = (self.height, self.width)
        self.value[self.grand_cell] = sum(self.value[(i, self.width)] for i in range(self.height))
        self.grand = self.value[self.grand_cell]

    def lines(self) -> list[list[Cell]]:
        """Every row and column with its total, the row of column totals and the column
        of row totals: each sums to a figure someone can read."""
        rows = [[(i, j) for j in range(self.width + 1)] for i in range(self.height)]
        columns = [[(i, j) for i in range(self.height + 1)] for j in range(self.width)]
        totals_row = [(self.height, j) for j in range(self.width + 1)]
        totals_column = [(i, self.width) for i in range(self.height + 1)]
        return rows + columns + [totals_row, totals_column]


def hidden_cells(matrix: Sequence[Sequence[int]]) -> set[Cell]:
    """The cells and margins to hide: counts of 1 to 4, then, until no line has a single
    hidden figure, the smallest other figure of such a line. The grand total is public
    and never hidden."""
    table = _Table(matrix)
    hidden = {cell for cell, count in table.value.items() if 0 < count < SMALLEST_SHOWN}
    hidden.discard(table.grand_cell)
    lines = table.lines()
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(cell in hidden for cell in line) != 1:
                continue
            partners = [c for c in line if c not in hidden and c != table.grand_cell]
            if partners:
                hidden.add(min(partners, key=lambda c: (table.value[c] == 0, table.value[c], c)))
                changed = True
    return hidden


class _Layout:
    """The figures of one section, each shown or hidden."""

    def __init__(self, rows, columns, table: _Table, hidden, population, names):
        self.rows, self.columns = rows, columns
        self.table, self.hidden = table, hidden
        self.population = population
        self.population_total = sum(population.values())
        self.names = names
        self.not_stated_row = len(rows) - 1
        self.not_stated_column = len(columns) - 1
        self.width, self.height = table.width, table.height

    def district_margins(self) -> list[dict]:
        base = self._base([(self.not_stated_row, self.width)])
        return [
            {
                "code": code,
                "name": self.names[code],
                **self._figures((i, self.width), base, self._population_of(district=code)),
            }
            for i, code in enumerate(self.rows[:-1])
        ]

    def age_band_margins(self) -> list[dict]:
        base = self._base([(self.height, self.not_stated_column)])
        return [
            {
                "age_band": band,
                **self._figures((self.height, j), base, self._population_of(band=band)),
            }
            for j, band in enumerate(self.columns[:-1])
        ]

    def not_stated_district(self) -> dict:
        return self._plain((self.not_stated_row, self.width))

    def not_stated_age_band(self) -> dict:
        return self._plain((self.height, self.not_stated_column))

    def cells(self) -> list[dict]:
        base = self._base(
            [
                (self.not_stated_row, self.width),
                (self.height, self.not_stated_column),
                (self.not_stated_row, self.not_stated_column),
            ],
            both=True,
        )
        result = []
        for i, code in enumerate(self.rows):
            row = []
            for j, band in enumerate(self.columns):
                if code is None or band is None:
                    row.append({"age_band": band, **self._plain((i, j))})
                else:
                    people = self.population.get((code, band), 0)
                    row.append({"age_band": band, **self._figures((i, j), base, people)})
            result.append({"code": code, "name": self.names.get(code), "cells": row})
        return result

    def _base(self, not_stated: list[Cell], both: bool = False) -> int:
        """The participants who stated what a table is about, when that number gives no
        hidden figure away; otherwise all participants."""
        if any(cell in self.hidden for cell in not_stated):
            return self.table.grand
        value = self.table.value
        if both:
            row, column, corner = (value[cell] for cell in not_stated)
            return self.table.grand - row - column + corner
        return self.table.grand - value[not_stated[0]]

    def _figures(self, cell: Cell, base: int, people: int) -> dict:
        population_share = self._share(people, self.population_total)
        if cell in self.hidden:
            return {
                "hidden": True,
                "participants": None,
                "share": None,
                "index": None,
                "under": False,
                "population": people,
                "population_share": _rounded(population_share, 4),
            }
        count = self.table.value[cell]
        share = self._share(count, base)
        index = share / population_share if share is not None and population_share else None
        return {
            "hidden": False,
            "participants": count,
            "share": _rounded(share, 4),
            "index": _rounded(index, 2),
            "under": index is not None and index < UNDER_REPRESENTED_BELOW,
            "population": people,
            "population_share": _rounded(population_share, 4),
        }

    def _plain(self, cell: Cell) -> dict:
        if cell in self.hidden:
            return {"hidden": True, "participants": None, "share": None}
        count = self.table.value[cell]
        return {
            "hidden": False,
            "participants": count,
            "share": _rounded(self._share(count, self.table.grand), 4),
        }

    def _population_of(self, *, district: str | None = None, band: str | None = None) -> int:
        return sum(
            people
            for (code, age_band), people in self.population.items()
            if district in (None, code) and band in (None, age_band)
        )

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return part / whole if whole else None


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
