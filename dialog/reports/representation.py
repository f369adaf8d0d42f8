"""Who took part compared with who lives there: participants by district and age band
against the population table, with a representation index per group, and small groups
hidden so that no one can be picked out.

The privacy rule is Statistics Sweden's small-cell rule: a count of 1 to 4 people is
never shown (0 is: it names no one). The table of districts × age bands is read with its
margins, each row and column ending in its total, and the participants' total (public in
the report's first section) closing both.

Hiding a small count is not enough on its own. A reader can take a line's shown figures
from its total, and can also combine lines: two rows' totals less two columns' totals,
say, may leave just one hidden figure. Even a figure that cannot be worked out exactly
may be narrowed to 0, 1 or 2. So the hidden pattern is audited the way statistical
offices audit cell suppression (τ-Argus and the Handbook on Statistical Disclosure
Control call the result a cell's feasibility interval): for each hidden figure, the
least and the most it can be given every shown figure, the grand total, that every line
adds up to its total and that no count is below zero, found by linear programming.

A hidden count of 1 to 4 is protected when it could be anything from 0 up to 5, the
smallest count shown (up to the grand total, when fewer than 5 took part): a reader
cannot tell whether nobody, a few, or a group big enough to show is there. In τ-Argus's
terms, its lower protection level is its whole value and its upper one reaches the
threshold; these levels are this report's choice, the small-cell rule does not set them.
Any other hidden figure must have more than one possible value, because a figure
worked out exactly can open others.

The figures hidden are the counts of 1 to 4; then, in every line that hides a single
figure, the smallest other figure of the line (a positive one before a zero), until no
line hides just one (hiding in a column can leave a row with one); then, while the audit
finds a hidden figure not protected, one more figure from that figure's row or column:
a cell before a total, a positive figure before a zero, the smallest first. The grand
total is never hidden, and hiding everything else always protects, so this ends. A
hidden figure shows neither its count, nor its share, nor its index.

People who gave no district or no age band are a row and a column of their own ("not
stated"), hidden by the same rule. Shares are of the participants who stated what the
table is about; when the number who did not is itself hidden, the share is of all
participants instead, since the smaller base would give the hidden number away.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy.optimize import linprog
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
Interval = tuple[int, int]


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
        # With a single row its total is the grand total, with a single column likewise:
        # as public as the grand total, whatever is hidden.
        self.twins_of_grand = {(0, self.width)} if self.height == 1 else set()
        self.twins_of_grand |= {(self.height, 0)} if self.width == 1 else set()
        # Every figure's place in a whole-table vector such as `vector`, the true one.
        self.place = {cell: k for k, cell in enumerate(self.value)}
        self.vector = np.array(list(self.value.values()))

    def lines(self) -> list[list[Cell]]:
        """Every row and column with its total, the row of column totals and the column
        of row totals: each sums to a figure someone can read."""
        rows = [[(i, j) for j in range(self.width + 1)] for i in range(self.height)]
        columns = [[(i, j) for i in range(self.height + 1)] for j in range(self.width)]
        totals_row = [(self.height, j) for j in range(self.width + 1)]
        totals_column = [(i, self.width) for i in range(self.height + 1)]
        return rows + columns + [totals_row, totals_column]

    def is_margin(self, cell: Cell) -> bool:
        return cell[0] == self.height or cell[1] == self.width


def hidden_cells(matrix: Sequence[Sequence[int]]) -> set[Cell]:
    """The cells and margins to hide: counts of 1 to 4 and their line partners, then more
    until the audit finds every hidden figure protected. The grand total is public and
    never hidden."""
    table = _Table(matrix)
    return _until_protected(table, _with_line_partners(table, _small_counts(table)))


def feasible_intervals(matrix: Sequence[Sequence[int]], hidden: set[Cell]) -> dict[Cell, Interval]:
    """The least and the most each hidden figure can be, given every shown figure, the
    grand total, the sums of every line and that no count is below zero."""
    table = _Table(matrix)
    audit = _Audit(table, hidden)
    audit.push(set(hidden), 1)
    return {cell: audit.interval(cell) for cell in sorted(hidden)}


def exposed(matrix: Sequence[Sequence[int]], hidden: set[Cell]) -> set[Cell]:
    """The hidden figures that a reader can narrow down too far (see the module's rule)."""
    table = _Table(matrix)
    intervals = feasible_intervals(matrix, hidden)
    return {cell for cell, interval in intervals.items() if not _protected(table, cell, interval)}


def _small_counts(table: _Table) -> set[Cell]:
    small = {cell for cell, count in table.value.items() if 0 < count < SMALLEST_SHOWN}
    return small - {table.grand_cell}


def _with_line_partners(table: _Table, hidden: set[Cell]) -> set[Cell]:
    """Until no line has a single hidden figure, the smallest other figure of such a line
    (a positive one before a zero): the cheap first pass, which the audit then checks."""
    hidden = set(hidden)
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


def _until_protected(table: _Table, hidden: set[Cell]) -> set[Cell]:
    """Take the hidden figures in order; while one is weak, hide one more figure for it.
    Hiding a figure only frees the reader's equations, so a figure once protected stays
    protected and need not be audited again. Hiding all but the grand total protects
    everything, so this ends."""
    audit = _Audit(table, hidden)
    audit.survey(hidden)
    pending = sorted(hidden)
    while pending:
        if audit.protects(pending[0]):
            pending.pop(0)
            continue
        figure = _next_to_hide(table, hidden, pending[0])
        if figure is None:
            break
        hidden = hidden | {figure}
        audit = _Audit(table, hidden, audit.witnesses)
        bisect.insort(pending, figure)
    return hidden


def _protected(table: _Table, cell: Cell, interval: Interval) -> bool:
    if cell in table.twins_of_grand:
        return True
    least, most = interval
    required = _required_range(table, cell)
    if required is None:
        return most > least
    return least <= required[0] and most >= required[1]


def _required_range(table: _Table, cell: Cell) -> Interval | None:
    """What a hidden count of 1 to 4 must be able to be: anything from 0 up to the
    smallest shown count (or the whole table, when fewer took part). Other hidden figures
    only need more than one possible value (None)."""
    if table.value[cell] in range(1, SMALLEST_SHOWN):
        return 0, min(SMALLEST_SHOWN, table.grand)
    return None


def _next_to_hide(table: _Table, hidden: set[Cell], weak: Cell) -> Cell | None:
    """The cheapest figure to hide for a weak one: from its own lines if any is left
    there, otherwise from anywhere. Inner cells go before margins (a margin tells more),
    positive figures before zeros, small before large, then by place, so the choice is
    the same every time."""
    nearby = [cell for line in table.lines() if weak in line for cell in line]
    for pool in (nearby, list(table.value)):
        shown = [c for c in pool if c not in hidden | {table.grand_cell} | table.twins_of_grand]
        if shown:
            return min(
                shown, key=lambda c: (table.is_margin(c), table.value[c] == 0, table.value[c], c)
            )
    return None


class _Audit:
    """What a reader can work out about the hidden figures: each line's equation (its
    figures add up to its total), with the shown figures put in, is a constraint of a
    linear program over the hidden ones, each between 0 and the grand total. The lines
    form a network (people flow from the grand total through the rows' totals and the
    cells to the columns' totals), so the program's bounds and its corner solutions are
    whole numbers, and every whole number between the bounds is a possible value.

    Every solution met on the way is kept as a witness, for the whole table: the true
    table is the first. A witness answers a question (can this figure be 0? can it be 5?)
    without a program, and it stays a solution when more is hidden."""

    def __init__(self, table: _Table, hidden: set[Cell], witnesses: list[np.ndarray] | None = None):
        self.table = table
        self.unknowns = sorted(hidden)
        self.places = [table.place[cell] for cell in self.unknowns]
        self.position = {cell: k for k, cell in enumerate(self.unknowns)}
        equations = [self._equation(line) for line in table.lines()]
        equations = [(row, total) for row, total in equations if any(row)]
        self.equations = np.array([row for row, _ in equations], dtype=float).reshape(
            len(equations), len(self.unknowns)
        )
        self.sums = [total for _, total in equations]
        self.witnesses = witnesses or [table.vector]

    def _equation(self, line: list[Cell]) -> tuple[list[int], int]:
        # The last figure of every line is its total: the others add up to it.
        signs = [1] * (len(line) - 1) + [-1]
        row = [0] * len(self.unknowns)
        known = 0
        for cell, sign in zip(line, signs, strict=True):
            if cell in self.position:
                row[self.position[cell]] = sign
            else:
                known += sign * self.table.value[cell]
        return row, -known

    def interval(self, cell: Cell) -> Interval:
        least = 0 if self._witnessed(cell, lambda value: value == 0) else self._bound(cell, 1)
        ceiling = self._ceiling(cell)
        if self._witnessed(cell, lambda value: value == ceiling):
            return least, ceiling
        return least, self._bound(cell, -1)

    def _ceiling(self, cell: Cell) -> int:
        """A bound no program is needed for: the grand total, or what is left of a line
        whose total is shown once its shown figures are taken off."""
        k = self.position[cell]
        sums = [
            total
            for equation, total in zip(self.equations, self.sums, strict=True)
            if equation[k] == 1 and min(equation) >= 0
        ]
        return min([self.table.grand, *sums])

    def survey(self, cells: set[Cell]) -> None:
        """One solution with all the figures as low as can be and one with each as high
        as the rule needs, as far as that is possible together: they answer most
        questions at once, before the solver is asked about any figure alone."""
        if cells:
            self.push(cells, 1)
            self._lift({cell: self._height_needed(cell) for cell in sorted(cells)})

    def _height_needed(self, cell: Cell) -> int:
        required = _required_range(self.table, cell)
        return self.table.value[cell] + 1 if required is None else required[1]

    def protects(self, cell: Cell) -> bool:
        """The module's rule, asking the solver only what no solution met so far shows."""
        if cell in self.table.twins_of_grand:
            return True
        required = _required_range(self.table, cell)
        if required is None:
            return self._varies(cell)
        low, high = required
        return self._reaches(cell, 1, low) and self._reaches(cell, -1, high)

    def _reaches(self, cell: Cell, direction: int, target: int) -> bool:
        """Whether the figure can be as low (direction 1) or as high (-1) as the target."""
        if self._witnessed(cell, lambda value: direction * (value - target) <= 0):
            return True
        return direction * (self._bound(cell, direction) - target) <= 0

    def _varies(self, cell: Cell) -> bool:
        value = self.table.value[cell]
        return self._witnessed(cell, lambda other: other != value) or any(
            self._bound(cell, direction) != value for direction in (-1, 1)
        )

    def push(self, cells: set[Cell], direction: int) -> None:
        """Push the given figures all down (1) or all up (-1) together: the solution
        answers many questions about them at once."""
        if cells:
            weights = np.zeros(len(self.unknowns))
            weights[[self.position[cell] for cell in cells]] = direction
            self._solve(weights)

    def _witnessed(self, cell: Cell, holds: Callable[[int], bool]) -> bool:
        k = self.table.place[cell]
        return any(holds(witness[k]) for witness in self.witnesses)

    def _bound(self, cell: Cell, direction: int) -> int:
        """The least (direction 1) or the most (direction -1) the figure can be."""
        objective = np.zeros(len(self.unknowns))
        objective[self.position[cell]] = direction
        return round(direction * self._solve(objective))

    def _lift(self, heights: dict[Cell, int]) -> None:
        """A solution with as many figures as possible up to their heights. Each figure
        gets a companion no larger than the figure nor its height; making the companions'
        sum as large as can be lifts every figure towards its height without rewarding
        one for going past it at the cost of another."""
        n, m = len(self.unknowns), len(heights)
        companions = np.zeros((m, n + m))
        for k, cell in enumerate(heights):
            companions[k, self.position[cell]] = -1
            companions[k, n + k] = 1
        equations = np.hstack([self.equations, np.zeros((len(self.equations), m))])
        objective = np.concatenate([np.zeros(n), -np.ones(m)])
        bounds = [(0, self.table.grand)] * n + [(0, height) for height in heights.values()]
        self._solve(objective, equations, bounds, companions)

    def _solve(
        self,
        objective: np.ndarray,
        equations: np.ndarray | None = None,
        bounds: list[tuple[int, int]] | None = None,
        companions: np.ndarray | None = None,
    ) -> float:
        result = linprog(
            objective,
            A_ub=companions,
            b_ub=None if companions is None else np.zeros(len(companions)),
            A_eq=self.equations if equations is None else equations,
            b_eq=self.sums,
            bounds=(0, self.table.grand) if bounds is None else bounds,
            method="highs",
        )
        if result.status != 0:
            raise RuntimeError(f"the published table has no solution: {result.message}")
        solution = result.x[: len(self.unknowns)]
        # A corner is whole; a solver that stopped inside would give fractions, and a
        # rounded fraction might not be a solution, so such a witness is not kept.
        if np.allclose(solution, np.round(solution), atol=1e-6):
            witness = self.table.vector.copy()
            witness[self.places] = np.round(solution)
            self.witnesses.append(witness)
        return result.fun


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
