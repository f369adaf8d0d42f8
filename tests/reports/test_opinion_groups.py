"""The opinion-group analysis: recovery of planted groups, agreement with Polis on real
conversations, and the statistics the report shows, each checked against numbers worked
out by hand."""

from __future__ import annotations

import csv
import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score

from dialog.reports.opinion import (
    MIN_GROUP_SIZE,
    OpinionAnalysis,
    analyse,
    proportion_z,
    two_proportion_z,
)
from tests.reports import synthetic

POLIS_DATA = Path(__file__).parent.parent / "data" / "polis"
REAL_CONVERSATIONS = ("15-per-hour-seattle", "brexit-consensus", "canadian-electoral-reform")


@dataclass(frozen=True)
class Export:
    participants: list[str]
    proposals: list[str]
    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    polis_groups: dict[str, str]
    summary: dict[str, str]


def read_polis_export(folder: Path) -> Export:
    """Votes as the platform would hand them over: the latest vote per participant and
    comment, comments moderated out left out."""
    moderated_out = {
        row["comment-id"] for row in _rows(folder / "comments.csv") if row["moderated"] == "-1"
    }
    participants_votes = _rows(folder / "participants-votes.csv")
    if (folder / "votes.csv").exists():
        latest = _latest_votes(folder / "votes.csv")
    else:
        latest = _votes_from_participants(participants_votes)
    latest = {key: vote for key, vote in latest.items() if key[1] not in moderated_out}
    participants = sorted({voter for voter, _ in latest}, key=int)
    proposals = sorted({comment for _, comment in latest}, key=int)
    participant_index = {p: i for i, p in enumerate(participants)}
    proposal_index = {c: j for j, c in enumerate(proposals)}
    keys = sorted(latest)
    with (folder / "summary.csv").open(newline="") as handle:
        summary = {row[0]: row[1] for row in csv.reader(handle) if len(row) >= 2}
    return Export(
        participants=participants,
        proposals=proposals,
        rows=np.array([participant_index[voter] for voter, _ in keys], dtype=np.int64),
        cols=np.array([proposal_index[comment] for _, comment in keys], dtype=np.int64),
        values=np.array([latest[key] for key in keys], dtype=np.int64),
        polis_groups={row["participant"]: row["group-id"] for row in participants_votes},
        summary=summary,
    )


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _latest_votes(path: Path) -> dict[tuple[str, str], int]:
    latest: dict[tuple[str, str], tuple[int, int]] = {}
    for row in _rows(path):
        key, timestamp = (row["voter-id"], row["comment-id"]), int(row["timestamp"])
        if key not in latest or timestamp >= latest[key][0]:
            latest[key] = (timestamp, int(row["vote"]))
    return {key: vote for key, (_, vote) in latest.items()}


def _votes_from_participants(rows: list[dict[str, str]]) -> dict[tuple[str, str], int]:
    fixed = {"participant", "group-id", "n-comments", "n-votes", "n-agree", "n-disagree"}
    return {
        (row["participant"], comment): int(cell)
        for row in rows
        for comment, cell in row.items()
        if comment not in fixed and cell != ""
    }


def run(conversation) -> OpinionAnalysis:
    return analyse(
        conversation.participants,
        conversation.proposals,
        conversation.rows,
        conversation.cols,
        conversation.values,
    )


def group_of(analysis: OpinionAnalysis) -> dict[str, int]:
    return {point.participant: point.group for point in analysis.map}


def polis_baseline(analysis: OpinionAnalysis) -> np.ndarray:
    """What Polis does with the same map: k-means on the 2-D coordinates, k from 2 to 5
    by silhouette (on at most 5,000 points), every group at least 5 strong."""
    points = np.array([(point.x, point.y) for point in analysis.map])
    best_score, best_labels = -np.inf, np.zeros(len(points), dtype=int)
    for k in range(2, 6):
        labels = KMeans(k, n_init=10, random_state=0).fit_predict(points)
        if np.bincount(labels, minlength=k).min() < MIN_GROUP_SIZE:
            continue
        score = silhouette_score(points, labels, sample_size=min(len(points), 5000), random_state=0)
        if score > best_score:
            best_score, best_labels = score, labels
    return best_labels


# Recovery of planted groups


@pytest.fixture(scope="module")
def recovery():
    table = []
    for case in synthetic.CASES:
        conversation = synthetic.generate(case)
        analysis = run(conversation)
        grouped = group_of(analysis)
        index = np.array([i for i, p in enumerate(conversation.participants) if p in grouped])
        truth = conversation.truth[index]
        found = [grouped[conversation.participants[i]] for i in index]
        baseline = polis_baseline(analysis)
        table.append(
            {
                "case": case.name,
                "planted": len(case.group_weights),
                "k": len(analysis.groups),
                "ari": adjusted_rand_score(truth, found),
                "baseline k": len(set(baseline)),
                "baseline ari": adjusted_rand_score(truth, baseline),
                "ceiling": adjusted_rand_score(truth, synthetic.bayes_labels(conversation)[index]),
                "sizes": [group.size for group in analysis.groups],
            }
        )
    print("\ncase            planted  k  ARI   | Polis baseline k  ARI  | Bayes ceiling ARI")
    for row in table:
        print(
            f"{row['case']:<16}{row['planted']:>4}{row['k']:>5}  {row['ari']:.2f}  |"
            f"{row['baseline k']:>11}     {row['baseline ari']:.2f} |  {row['ceiling']:.2f}"
        )
    return table


def test_the_planted_number_of_groups_is_found_on_four_kinds_of_five(recovery):
    assert sum(row["k"] == row["planted"] for row in recovery) >= 4


def test_planted_groups_are_recovered_with_a_median_adjusted_rand_index_of_0_6(recovery):
    assert np.median([row["ari"] for row in recovery]) >= 0.6


def test_the_method_recovers_more_than_the_polis_baseline(recovery):
    assert np.median([row["ari"] for row in recovery]) > np.median(
        [row["baseline ari"] for row in recovery]
    )


def test_no_method_beats_the_bayes_ceiling_by_more_than_chance(recovery):
    # The ceiling uses the true model; a method far above it would mean a broken ceiling.
    assert all(row["ari"] <= row["ceiling"] + 0.05 for row in recovery)


def test_no_reported_group_is_smaller_than_five_on_the_planted_cases(recovery):
    assert all(min(row["sizes"]) >= MIN_GROUP_SIZE for row in recovery)


def test_a_conversation_without_division_is_one_group():
    analysis = run(synthetic.generate(synthetic.UNDIVIDED))

    assert len(analysis.groups) == 1
    assert analysis.grouping == "one group: no division found"
    assert analysis.groups[0].size == len(analysis.map)
    assert analysis.groups[0].representative == ()


# Real conversations


@pytest.mark.parametrize("name", REAL_CONVERSATIONS)
def test_real_conversations_have_polis_s_number_of_groups_and_agree_with_its_labels(name):
    export = read_polis_export(POLIS_DATA / name)
    analysis = run(export)
    polis_ids = {g for g in export.polis_groups.values() if g != ""}
    ours = group_of(analysis)
    both = [p for p in ours if export.polis_groups.get(p, "") != ""]
    agreement = adjusted_rand_score([export.polis_groups[p] for p in both], [ours[p] for p in both])
    print(
        f"\n{name}: {len(analysis.groups)} groups {[g.size for g in analysis.groups]}, "
        f"{analysis.below_threshold} below threshold, ARI with Polis {agreement:.3f} "
        f"over {len(both)} participants"
    )

    assert len(analysis.groups) == int(export.summary["groups"]) == len(polis_ids)
    assert agreement >= 0.5
    assert min(g.size for g in analysis.groups) >= MIN_GROUP_SIZE


def test_moderated_out_comments_are_left_out_of_the_votes():
    folder = POLIS_DATA / "15-per-hour-seattle"
    moderated_out = {
        row["comment-id"] for row in _rows(folder / "comments.csv") if row["moderated"] == "-1"
    }
    export = read_polis_export(folder)

    assert moderated_out
    assert not moderated_out & set(export.proposals)


# The Polis export of the synthetic conversations


def test_a_synthetic_export_reads_back_to_the_same_votes_and_groups(tmp_path):
    conversation = synthetic.generate(synthetic.CASES[0])
    synthetic.write_polis_export(conversation, tmp_path / "with-votes")
    shutil.copytree(tmp_path / "with-votes", tmp_path / "without-votes")
    (tmp_path / "without-votes" / "votes.csv").unlink()

    for folder in ("with-votes", "without-votes"):
        export = read_polis_export(tmp_path / folder)
        read = {(int(p), int(c), v) for p, c, v in _triples(export)}
        planted = set(
            zip(
                conversation.rows.tolist(),
                conversation.cols.tolist(),
                conversation.values.tolist(),
                strict=True,
            )
        )
        assert read == planted
        assert all(export.polis_groups[str(i)] == str(g) for i, g in enumerate(conversation.truth))
    assert [g.size for g in run(export).groups] == [g.size for g in run(conversation).groups]


def _triples(export: Export):
    for row, col, value in zip(export.rows, export.cols, export.values, strict=True):
        yield export.participants[row], export.proposals[col], int(value)


# Determinism


def test_two_runs_and_any_order_of_the_votes_give_identical_output():
    conversation = synthetic.generate(synthetic.CASES[2])
    first = run(conversation).as_dict()
    shuffled = np.random.default_rng(7).permutation(len(conversation.rows))
    again = analyse(
        conversation.participants,
        conversation.proposals,
        conversation.rows[shuffled],
        conversation.cols[shuffled],
        conversation.values[shuffled],
    ).as_dict()

    assert json.dumps(first) == json.dumps(run(conversation).as_dict())
    assert json.dumps(first) == json.dumps(again)


# Hand-made matrices


@dataclass(frozen=True)
class Votes:
    participants: list[str]
    proposals: list[str]
    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray


def votes(table: dict[str, dict[str, int]], proposals: list[str]) -> Votes:
    participants = list(table)
    triples = [
        (i, proposals.index(proposal), value)
        for i, participant in enumerate(participants)
        for proposal, value in table[participant].items()
    ]
    rows, cols, values = (np.array(column, dtype=np.int64) for column in zip(*triples, strict=True))
    return Votes(participants, proposals, rows, cols, values)


PROPOSALS = [f"p{j}" for j in range(10)]
DIVIDING = PROPOSALS[:8]


def two_camps() -> dict[str, dict[str, int]]:
    """Camp a (a0..a5) agrees with p0..p7 and camp b (b0..b5) disagrees; everyone agrees
    with p9; p8 is mixed."""
    table = {f"a{i}": {p: 1 for p in DIVIDING} | {"p9": 1} for i in range(6)}
    table |= {f"b{i}": {p: -1 for p in DIVIDING} | {"p9": 1} for i in range(6)}
    for person, vote in zip(["a0", "a1", "a2", "a3", "a4", "a5"], [1, 1, 1, 1, -1, 0], strict=True):
        table[person]["p8"] = vote
    for person, vote in zip(["b0", "b1", "b2", "b3"], [1, -1, -1, -1], strict=True):
        table[person]["p8"] = vote
    return table


def test_the_two_camps_are_the_two_groups_numbered_by_first_member():
    analysis = run(votes(two_camps(), PROPOSALS))

    assert analysis.grouping == "groups"
    assert [g.members for g in analysis.groups] == [
        tuple(f"a{i}" for i in range(6)),
        tuple(f"b{i}" for i in range(6)),
    ]
    # On the map the camps lie on opposite sides of the first axis.
    x = {point.participant: point.x for point in analysis.map}
    assert (
        len({np.sign(x[f"a{i}"]) for i in range(6)} | {-np.sign(x[f"b{i}"]) for i in range(6)}) == 1
    )
    assert all(x[f"a{i}"] != 0 for i in range(6))


def test_the_representativeness_statistics_match_the_hand_computation():
    analysis = run(votes(two_camps(), PROPOSALS))
    camp_a, camp_b = analysis.groups
    # p0: camp a 6 agree of 6 seen, camp b 0 agree of 6 seen; one added to every count.
    pooled = (7 + 1) / (7 + 7)
    z_agree = (7 / 7 - 1 / 7) / math.sqrt(pooled * (1 - pooled) * (1 / 7 + 1 / 7))
    z_in_group = 2 * math.sqrt(7) * (7 / 7 - 0.5)
    first = camp_a.representative[0]

    assert first.proposal == "p0"
    assert first.direction == "agree"
    assert (first.votes_in, first.votes_out) == (6, 6)
    assert first.agree_in == pytest.approx(7 / 8)
    assert first.disagree_in == pytest.approx(1 / 8)
    assert first.agree_out == pytest.approx(1 / 8)
    assert first.disagree_out == pytest.approx(7 / 8)
    assert first.z_agree == pytest.approx(z_agree)
    assert first.z_disagree == pytest.approx(-z_agree)
    assert first.z_agree_in_group == pytest.approx(z_in_group)
    assert first.z_disagree_in_group == pytest.approx(2 * math.sqrt(7) * (1 / 7 - 0.5))
    # Eight proposals divide the camps equally well; the first five are shown, and p8
    # (agree z about 1.09) and p9 (everyone agrees: nothing sets a group apart) are not.
    assert [r.proposal for r in camp_a.representative] == ["p0", "p1", "p2", "p3", "p4"]
    assert [r.direction for r in camp_b.representative] == ["disagree"] * 5


def test_the_two_proportion_z_on_mixed_counts():
    # p8 in camp a: 4 agree of 6 seen; outside it 1 agree of 4 seen.
    pooled = (5 + 2) / (7 + 5)
    expected = (5 / 7 - 2 / 5) / math.sqrt(pooled * (1 - pooled) * (1 / 7 + 1 / 5))

    assert two_proportion_z(4, 1, 6, 4) == pytest.approx(expected)
    assert expected == pytest.approx(1.0887, abs=1e-4)
    assert proportion_z(4, 6) == pytest.approx(2 * math.sqrt(7) * (5 / 7 - 0.5))
    # Everyone agreeing on both sides leaves nothing to test.
    assert two_proportion_z(6, 6, 6, 6) == 0.0


def test_the_group_aware_consensus_is_the_product_of_smoothed_agree_shares():
    analysis = run(votes(two_camps(), PROPOSALS))
    score = {entry.proposal: entry.score for entry in analysis.consensus}

    assert analysis.consensus[0].proposal == "p9"
    assert score["p9"] == pytest.approx((7 / 8) * (7 / 8))
    assert score["p0"] == pytest.approx((7 / 8) * (1 / 8))
    # p8: camp a (4 + 1) / (6 + 2), camp b (1 + 1) / (4 + 2).
    assert score["p8"] == pytest.approx((5 / 8) * (2 / 6))
    assert [entry.score for entry in analysis.consensus] == sorted(score.values(), reverse=True)
    assert analysis.consensus_proposals == ("p9",)


def test_proposals_with_five_votes_and_more_than_30_percent_passes_are_uncertain():
    proposals = ["four of ten", "three of ten", "one of one", "two of five", "two of four"]
    table = {
        f"r{i}": {"four of ten": 0 if i < 4 else 1, "three of ten": 0 if i < 3 else -1}
        for i in range(10)
    }
    table["r0"]["one of one"] = 0
    for i in range(5):
        table[f"r{i}"]["two of five"] = 0 if i < 2 else 1
    for i in range(4):
        table[f"r{i}"]["two of four"] = 0 if i < 2 else 1
    analysis = run(votes(table, proposals))

    # "one of one" (100 %) and "two of four" (50 %) have too few votes to say anything;
    # of two equal shares, the one more votes attest comes first.
    assert [(u.proposal, u.votes, u.passes) for u in analysis.uncertain] == [
        ("four of ten", 10, 4),
        ("two of five", 5, 2),
    ]
    assert analysis.uncertain[0].pass_share == pytest.approx(0.4)
    assert analysis.uncertain_total == 2
    assert analysis.parameters["named_min_votes"] == 5


# Who is counted


def test_a_participant_below_the_vote_threshold_is_counted_but_in_no_group():
    table = two_camps()
    table["six votes"] = {p: 1 for p in PROPOSALS[:6]}
    table["seven votes"] = {p: 1 for p in PROPOSALS[:7]}
    analysis = run(votes(table, PROPOSALS))
    members = {m for g in analysis.groups for m in g.members}

    assert analysis.participants == 14
    assert analysis.below_threshold == 1
    assert "six votes" not in members | set(group_of(analysis))
    assert "seven votes" in analysis.groups[0].members
    assert "seven votes" in group_of(analysis)


def test_with_fewer_than_seven_proposals_voting_on_all_of_them_is_enough():
    few = ["u", "v", "w", "x", "y", "z"]
    table = {f"a{i}": {p: 1 for p in few[:5]} | {"z": 0} for i in range(8)}
    table |= {f"b{i}": {p: -1 for p in few[:5]} | {"z": 0} for i in range(8)}
    table["five votes"] = {p: 1 for p in few[:5]}
    analysis = run(votes(table, few))

    assert analysis.below_threshold == 1
    assert sorted(g.size for g in analysis.groups) == [8, 8]


def test_three_like_minded_people_are_not_a_group_of_their_own():
    table = {f"a{i}": {p: 1 for p in DIVIDING} for i in range(20)}
    table |= {f"b{i}": {p: -1 for p in DIVIDING} for i in range(20)}
    table |= {f"c{i}": {p: 1 if j % 2 else -1 for j, p in enumerate(DIVIDING)} for i in range(3)}
    analysis = run(votes(table, PROPOSALS))

    assert len(analysis.groups) == 2
    assert all(g.size >= MIN_GROUP_SIZE for g in analysis.groups)
    assert sum(g.size for g in analysis.groups) == 43


def test_too_few_participants_for_two_groups_of_five_is_one_group():
    table = {f"a{i}": {p: 1 for p in DIVIDING} for i in range(4)}
    table |= {f"b{i}": {p: -1 for p in DIVIDING} for i in range(4)}
    analysis = run(votes(table, PROPOSALS))

    assert analysis.grouping == "one group: too few participants for two"
    assert [g.size for g in analysis.groups] == [8]


def test_fewer_than_five_participants_are_in_no_group():
    table = {f"a{i}": {p: 1 for p in DIVIDING} for i in range(4)}
    analysis = run(votes(table, PROPOSALS))

    assert analysis.grouping == "too few participants"
    assert analysis.groups == ()
    assert analysis.map == ()
    assert analysis.consensus == ()
    assert analysis.participants == 4
    assert analysis.below_threshold == 0


# Degenerate input


def test_no_votes_at_all():
    empty = np.array([], dtype=np.int64)
    analysis = analyse(["r1", "r2"], ["p1"], empty, empty, empty)

    assert (analysis.participants, analysis.below_threshold) == (2, 2)
    assert analysis.groups == () and analysis.map == () and analysis.uncertain == ()
    assert analysis.grouping == "too few participants"
    json.dumps(analysis.as_dict())


def test_nothing_at_all():
    empty = np.array([], dtype=np.int64)
    analysis = analyse([], [], empty, empty, empty)

    assert (analysis.participants, analysis.groups, analysis.consensus) == (0, (), ())


def test_one_participant():
    analysis = run(votes({"only": {p: 1 for p in PROPOSALS}}, PROPOSALS))

    assert analysis.groups == ()
    assert analysis.below_threshold == 0
    assert [u.proposal for u in analysis.uncertain] == []


def test_identical_voters_are_one_group():
    table = {f"r{i}": {p: (1, -1, 0)[j % 3] for j, p in enumerate(PROPOSALS)} for i in range(20)}
    analysis = run(votes(table, PROPOSALS))

    assert analysis.grouping == "one group: no division found"
    assert [g.size for g in analysis.groups] == [20]
    assert {(point.x, point.y) for point in analysis.map} == {(0.0, 0.0)}
    assert json.loads(json.dumps(analysis.as_dict()))["groups"][0]["size"] == 20


def test_the_report_states_its_method_and_parameters():
    analysis = run(votes(two_camps(), PROPOSALS))

    assert "latent-class" in analysis.method
    assert analysis.parameters["vote_threshold"] == 7
    assert analysis.parameters["min_group_size"] == MIN_GROUP_SIZE
