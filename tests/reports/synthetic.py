"""Synthetic Polis conversations with planted opinion groups.

Each planted group has its own probabilities of agree, disagree and pass on every
proposal; a participant belongs to one group and votes on a random subset of the
proposals. Because the probabilities are known, the Bayes rule (the most probable
planted group given a participant's observed votes) is the best any method can do: the
ceiling against which the opinion-group analysis is judged.

The conversations are available as arrays and as a Polis export folder (comments.csv,
votes.csv, participants-votes.csv, summary.csv), so the same reader serves the real
exports and these.

Run by hand, `python -m tests.reports.synthetic` times the analysis on a matrix of the
seed-scale dialogue's size and prints the peak memory.
"""

from __future__ import annotations

import csv
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

AGREE, DISAGREE, PASS = 1, -1, 0
# Column c of a probability table is the outcome OUTCOMES[c].
OUTCOMES = np.array([AGREE, DISAGREE, PASS])


@dataclass(frozen=True)
class Case:
    """The recipe of one kind of conversation."""

    name: str
    group_weights: tuple[float, ...]
    participants: int
    proposals: int
    # Each participant votes on a uniformly drawn number of proposals in this range.
    votes_per_participant: tuple[int, int]
    # Share of proposals on which the groups' agreement differs; the rest are shared.
    divisive_share: float = 0.5
    consensus_proposals: int = 3
    max_pass_rate: float = 0.3
    # Participants who leave after a few votes, below the analysis's threshold.
    drop_outs: int = 5
    seed: int = 0


@dataclass(frozen=True)
class Conversation:
    participants: list[str]
    proposals: list[str]
    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    # The planted group of every participant, and the model that drew the votes.
    truth: np.ndarray
    weights: np.ndarray
    probabilities: np.ndarray  # groups x proposals x OUTCOMES


CASES = (
    Case("two balanced", (0.5, 0.5), 300, 40, (12, 40), seed=1),
    Case("three skewed", (0.6, 0.3, 0.1), 400, 60, (15, 50), seed=2),
    Case("four, sparse", (0.3, 0.3, 0.2, 0.2), 500, 120, (15, 45), max_pass_rate=0.45, seed=3),
    Case("five groups", (0.3, 0.25, 0.2, 0.15, 0.1), 700, 80, (15, 60), seed=4),
    Case("two, one small", (0.85, 0.15), 350, 60, (10, 40), divisive_share=0.4, seed=5),
)

# No planted division at all: one group.
UNDIVIDED = Case("undivided", (1.0,), 300, 40, (12, 40), seed=6)


def generate(case: Case) -> Conversation:
    rng = np.random.default_rng(case.seed)
    weights = np.asarray(case.group_weights, dtype=float)
    probabilities = _group_probabilities(rng, len(weights), case)
    # Participants arrive mixed: the group of each is drawn independently.
    truth = rng.choice(len(weights), size=case.participants, p=weights)
    rows, cols, values = _votes(rng, case, truth, probabilities)
    return Conversation(
        participants=[f"p{i}" for i in range(case.participants)],
        proposals=[f"c{j}" for j in range(case.proposals)],
        rows=rows,
        cols=cols,
        values=values,
        truth=truth,
        weights=weights,
        probabilities=probabilities,
    )


def _group_probabilities(rng: np.random.Generator, groups: int, case: Case) -> np.ndarray:
    proposals = case.proposals
    shared_pass_rate = rng.uniform(0.02, case.max_pass_rate, size=proposals)
    # Groups pass somewhat more or less often than one another, as people do on topics
    # their side is unsure of.
    pass_rate = np.clip(
        shared_pass_rate * np.exp(rng.normal(0.0, 0.4, size=(groups, proposals))), 0.01, 0.6
    )
    shared = rng.beta(2.0, 2.0, size=proposals)
    # Each group's agreement among those who take a side, before the shared proposals
    # are made equal across groups.
    agree = np.clip(shared + rng.normal(0.0, 0.05, size=(groups, proposals)), 0.02, 0.98)
    divisive = rng.random(proposals) < case.divisive_share
    agree[:, divisive] = rng.beta(0.6, 0.6, size=(groups, int(divisive.sum())))
    consensus = rng.choice(proposals, size=case.consensus_proposals, replace=False)
    agree[:, consensus] = 0.92
    taking_side = 1.0 - pass_rate
    return np.stack(
        [taking_side * agree, taking_side * (1.0 - agree), pass_rate],
        axis=-1,
    )


def _votes(
    rng: np.random.Generator, case: Case, truth: np.ndarray, probabilities: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    low, high = case.votes_per_participant
    counts = rng.integers(low, high + 1, size=case.participants)
    counts[rng.choice(case.participants, size=case.drop_outs, replace=False)] = 3
    rows, cols, values = [], [], []
    for participant, count in enumerate(counts):
        seen = rng.choice(case.proposals, size=count, replace=False)
        table = probabilities[truth[participant], seen]
        outcome = (rng.random((count, 1)) > np.cumsum(table, axis=1)).sum(axis=1)
        rows.append(np.full(count, participant))
        cols.append(seen)
        values.append(OUTCOMES[np.minimum(outcome, 2)])
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(values)


def bayes_labels(conversation: Conversation) -> np.ndarray:
    """The most probable planted group of every participant given their votes."""
    outcome = np.where(
        conversation.values == AGREE, 0, np.where(conversation.values == DISAGREE, 1, 2)
    )
    log_probabilities = np.log(conversation.probabilities)
    scores = np.tile(np.log(conversation.weights), (len(conversation.participants), 1))
    np.add.at(scores, conversation.rows, log_probabilities[:, conversation.cols, outcome].T)
    return scores.argmax(axis=1)


def write_polis_export(conversation: Conversation, folder: Path) -> None:
    """The conversation as Polis exports it; group-id is the planted group."""
    folder.mkdir(parents=True, exist_ok=True)
    order = np.lexsort((conversation.cols, conversation.rows))
    rows, cols, values = (
        a[order] for a in (conversation.rows, conversation.cols, conversation.values)
    )
    _write_comments(folder / "comments.csv", conversation, cols, values)
    _write_votes(folder / "votes.csv", rows, cols, values)
    _write_participants_votes(folder / "participants-votes.csv", conversation, rows, cols, values)
    _write_summary(folder / "summary.csv", conversation)


def _write_comments(path: Path, conversation: Conversation, cols, values) -> None:
    agrees = np.bincount(cols[values == AGREE], minlength=len(conversation.proposals))
    disagrees = np.bincount(cols[values == DISAGREE], minlength=len(conversation.proposals))
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "timestamp",
                "datetime",
                "comment-id",
                "author-id",
                "agrees",
                "disagrees",
                "moderated",
                "comment-body",
            ]
        )
        for j in range(len(conversation.proposals)):
            writer.writerow([j, "", j, 0, agrees[j], disagrees[j], 1, f"Synthetic statement {j}"])


def _write_votes(path: Path, rows, cols, values) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp", "datetime", "comment-id", "voter-id", "vote"])
        for timestamp, (row, col, value) in enumerate(zip(rows, cols, values, strict=True)):
            writer.writerow([timestamp, "", col, row, value])


def _write_participants_votes(path: Path, conversation: Conversation, rows, cols, values) -> None:
    proposals = len(conversation.proposals)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "participant",
                "group-id",
                "n-comments",
                "n-votes",
                "n-agree",
                "n-disagree",
                *range(proposals),
            ]
        )
        starts = np.searchsorted(rows, np.arange(len(conversation.participants) + 1))
        for participant in range(len(conversation.participants)):
            own = slice(starts[participant], starts[participant + 1])
            cells = [""] * proposals
            for col, value in zip(cols[own], values[own], strict=True):
                cells[col] = str(value)
            own_values = values[own]
            writer.writerow(
                [
                    participant,
                    conversation.truth[participant],
                    0,
                    len(own_values),
                    int((own_values == AGREE).sum()),
                    int((own_values == DISAGREE).sum()),
                    *cells,
                ]
            )


def _write_summary(path: Path, conversation: Conversation) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        for key, value in [
            ("topic", "Synthetic conversation"),
            ("url", ""),
            ("voters", len(conversation.participants)),
            ("voters-in-conv", len(conversation.participants)),
            ("commenters", 1),
            ("comments", len(conversation.proposals)),
            ("groups", len(conversation.weights)),
            ("conversation-description", "Planted opinion groups"),
        ]:
            writer.writerow([key, value])


def scale_votes(
    participants: int = 50_000,
    proposals: int = 100_000,
    votes: int = 1_000_000,
    planted_groups: int = 1,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The seed-scale dialogue's shape. With one group, every vote is drawn at random, as
    seed-scale does; with more, half of each resident's votes fall on the thousand most
    discussed proposals and follow their planted group, so the full fit runs at scale."""
    rng = np.random.default_rng(seed)
    per_participant = votes // participants
    rows = np.repeat(np.arange(participants), per_participant)
    cols = rng.integers(0, proposals, size=len(rows))
    values = rng.choice(OUTCOMES, size=len(rows), p=[0.5, 0.35, 0.15])
    if planted_groups > 1:
        popular = 1_000
        group = rng.integers(0, planted_groups, size=participants)
        agree = rng.beta(0.6, 0.6, size=(planted_groups, popular))
        on_popular = np.arange(len(rows)) % per_participant < per_participant // 2
        cols[on_popular] = rng.integers(0, popular, size=int(on_popular.sum()))
        chance = agree[group[rows[on_popular]], cols[on_popular]]
        values[on_popular] = np.where(rng.random(len(chance)) < chance, AGREE, DISAGREE)
    # One vote per participant and proposal, as the caller guarantees.
    _, first = np.unique(rows * proposals + cols, return_index=True)
    return rows[first], cols[first], values[first]


def _time_at_scale() -> None:
    from dialog.reports.opinion import analyse

    proposals = [f"c{j}" for j in range(100_000)]
    participants = [f"p{i}" for i in range(50_000)]
    for planted in (1, 3):
        rows, cols, values = scale_votes(planted_groups=planted)
        start = time.perf_counter()
        result = analyse(participants, proposals, rows, cols, values)
        elapsed = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(
            f"{planted} planted group(s), {len(rows)} votes: analyse took {elapsed:.1f} s, "
            f"found {len(result.groups)} group(s); peak RSS so far {peak / 1024:.0f} MB"
        )


if __name__ == "__main__":
    sys.exit(_time_at_scale())
