"""The audit of hidden figures and the rule it enforces: a hidden count of 1 to 4 must be
able to be anything from 0 to 5 given all that is published, and no hidden figure may be
worked out exactly, not even by combining several lines.

The audit is checked against a brute count of every table of whole counts a reader could
not tell from the true one, which uses no linear programming at all."""

from __future__ import annotations

import random

from dialog.reports.representation import exposed, feasible_intervals, hidden_cells
from tests.reports.test_representation import _lines, _values, _worked_out

# Two blocks of small counts, each hiding its own 2 × 2, joined by the 3 at (0, 2):
# row 0 and column 2 hide three figures, every other line none or two. The old rule
# (each line hides none or at least two, partners only for a line with one) adds
# nothing to the counts of 1 to 4 here, so its pattern is exactly those nine.
BRIDGED = [
    [1, 2, 3, 40, 50],
    [2, 1, 30, 40, 50],
    [30, 40, 2, 1, 50],
    [40, 30, 1, 2, 50],
]
BRIDGED_OLD_PATTERN = {(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3)}


def _published(matrix, hidden) -> dict[tuple[int, int], int]:
    return {cell: value for cell, value in _values(matrix).items() if cell not in hidden}


def test_the_old_pattern_lets_a_reader_combine_lines_and_the_audit_says_so():
    shown = _published(BRIDGED, BRIDGED_OLD_PATTERN)
    for line in _lines(4, 5):
        assert sum(cell in BRIDGED_OLD_PATTERN for cell in line) != 1, line
    assert _worked_out(BRIDGED, BRIDGED_OLD_PATTERN) == set()  # no single line gives it
    # The first two rows' totals hold the first block and the 3; the first two
    # columns' totals hold the first block and what rows 2 and 3 show there.
    rows = shown[(0, 5)] + shown[(1, 5)] - sum(shown[(i, j)] for i in (0, 1) for j in (3, 4))
    rows -= shown[(1, 2)]
    columns = shown[(4, 0)] + shown[(4, 1)] - sum(shown[(i, j)] for i in (2, 3) for j in (0, 1))
    assert rows - columns == 3 == BRIDGED[0][2]

    intervals = feasible_intervals(BRIDGED, BRIDGED_OLD_PATTERN)
    assert intervals[(0, 2)] == (3, 3)
    assert (0, 2) in exposed(BRIDGED, BRIDGED_OLD_PATTERN)


def test_a_hidden_count_that_can_only_be_0_1_or_2_is_exposed_though_never_worked_out():
    matrix = [[1, 1, 50], [1, 1, 50], [50, 50, 50]]
    old_pattern = {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert _worked_out(matrix, old_pattern) == set()
    assert feasible_intervals(matrix, old_pattern)[(0, 0)] == (0, 2)
    assert exposed(matrix, old_pattern) == old_pattern
    assert {values[(0, 0)] for values in _completions(matrix, old_pattern)} == {0, 1, 2}


def test_the_audit_gives_the_range_each_hidden_figure_can_take():
    # The four hidden figures move together: 3 - t, 10 + t, 8 + t, 9 - t for t from
    # -8 (the 8 can fall no further) to 3 (nor the 3).
    matrix = [[3, 10, 20], [8, 9, 30], [0, 0, 0]]
    hidden = {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert feasible_intervals(matrix, hidden) == {
        (0, 0): (0, 11),
        (0, 1): (2, 13),
        (1, 0): (0, 11),
        (1, 1): (6, 17),
    }
    assert exposed(matrix, hidden) == set()


def test_suppression_hides_more_until_the_bridged_table_passes_the_audit():
    hidden = hidden_cells(BRIDGED)
    assert hidden > BRIDGED_OLD_PATTERN
    assert (4, 5) not in hidden
    assert exposed(BRIDGED, hidden) == set()
    low, high = feasible_intervals(BRIDGED, hidden)[(0, 2)]
    assert low == 0 and high >= 5


def _random_table(rng: random.Random, height: int, width: int) -> list[list[int]]:
    return [
        [rng.choice([0, 0, 1, 2, 3, 4, 5, 6, rng.randint(7, 60)]) for _ in range(width)]
        for _ in range(height)
    ]


def test_on_random_tables_every_hidden_figure_passes_the_audit():
    rng = random.Random(2026)
    for _ in range(200):
        height, width = rng.randint(1, 8), rng.randint(1, 7)
        matrix = _random_table(rng, height, width)
        hidden = hidden_cells(matrix)
        values = _values(matrix)
        small = {cell for cell, value in values.items() if 0 < value < 5} - {(height, width)}
        assert small <= hidden, matrix
        assert (height, width) not in hidden
        assert exposed(matrix, hidden) == set(), matrix


def test_the_same_table_is_always_hidden_the_same_way():
    rng = random.Random(11)
    for _ in range(5):
        matrix = _random_table(rng, 30, 7)
        assert hidden_cells(matrix) == hidden_cells([list(row) for row in matrix])


# An independent check: every table a reader could not tell from the true one ----------


def _compositions(total: int, parts: int):
    if parts == 0:
        if total == 0:
            yield ()
        return
    for first in range(total + 1):
        for rest in _compositions(total - first, parts - 1):
            yield (first, *rest)


def _completions(matrix, hidden):
    """Every table of whole counts of 0 or more with the true one's grand total and
    shown figures, built row by row (a shown row total fixes its hidden cells' sum)."""
    height, width = len(matrix), len(matrix[0])
    truth = _values(matrix)

    def rows_from(i: int, left: int):
        if i == height:
            if left == 0:
                yield []
            return
        free = [j for j in range(width) if (i, j) in hidden]
        fixed = sum(matrix[i][j] for j in range(width) if (i, j) not in hidden)
        shown_total = (i, width) not in hidden
        sums = [truth[(i, width)] - fixed] if shown_total else range(left - fixed + 1)
        for total in sums:
            if total < 0 or fixed + total > left:
                continue
            for parts in _compositions(total, len(free)):
                row = list(matrix[i])
                for j, count in zip(free, parts, strict=True):
                    row[j] = count
                for rest in rows_from(i + 1, left - fixed - total):
                    yield [row, *rest]

    for candidate in rows_from(0, truth[(height, width)]):
        values = _values(candidate)
        if all(values[cell] == truth[cell] for cell in truth if cell not in hidden):
            yield values


def test_on_tiny_tables_counting_every_completion_agrees_and_no_small_count_is_narrowed():
    rng = random.Random(5)
    checked = 0
    while checked < 60:
        height, width = rng.choice([(2, 2), (2, 3), (3, 2), (3, 3)])
        matrix = [
            [rng.choice([0, 0, 0, 1, 1, 2, 3, 5, 6]) for _ in range(width)] for _ in range(height)
        ]
        grand = sum(map(sum, matrix))
        if grand > 12:
            continue
        checked += 1
        hidden = hidden_cells(matrix)
        seen: dict[tuple[int, int], set[int]] = {cell: set() for cell in hidden}
        for values in _completions(matrix, hidden):
            for cell in hidden:
                seen[cell].add(values[cell])
        intervals = feasible_intervals(matrix, hidden)
        for cell, possible in seen.items():
            true = _values(matrix)[cell]
            assert possible == set(range(min(possible), max(possible) + 1)), (matrix, cell)
            assert intervals[cell] == (min(possible), max(possible)), (matrix, cell)
            if 0 < true < 5:
                assert min(possible) == 0 and max(possible) >= min(5, grand), (matrix, cell)
            else:
                assert len(possible) > 1, (matrix, cell)
