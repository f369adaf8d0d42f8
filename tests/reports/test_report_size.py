"""The opinion section stays small however many proposals a dialogue has: a vote matrix
of 20,000 proposals with one to three votes each (the seed-scale dialogue's shape, in
small) gives capped lists with their totals, and names only proposals with enough votes;
the page says in words how many more there are."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from datetime import UTC, datetime

import numpy as np
import pytest
from flask import render_template
from flask_babel import force_locale

from dialog.reports import opinion
from dialog.reports.opinion import (
    CONSENSUS_LISTED,
    CONSENSUS_SCORED,
    NAMED_MIN_VOTES,
    UNCERTAIN_LISTED,
    analyse,
)

PARTICIPANTS = 300
SPARSE = 20_000  # proposals with one to three votes each
UNSURE = 40  # proposals with 10 or 20 votes, 40-90 % of them passes
SHARED = 25  # proposals 60 people all agree with


def _matrix():
    rng = np.random.default_rng(7)
    rows, cols, values = [], [], []
    # Distinct voters on a proposal: steps of 97 from a random first one, modulo 300.
    first = rng.integers(PARTICIPANTS, size=SPARSE)
    for t, seen in enumerate((np.ones(SPARSE, bool), rng.random(SPARSE) < 0.5)):
        rows.append((first[seen] + 97 * t) % PARTICIPANTS)
        cols.append(np.flatnonzero(seen))
        values.append(rng.choice([-1, 0, 1], size=int(seen.sum()), p=[0.3, 0.4, 0.3]))
    third = rng.random(SPARSE) < 0.3
    rows.append((first[third] + 194) % PARTICIPANTS)
    cols.append(np.flatnonzero(third))
    # A lone pass of one to three votes is 33-100 % passes: uncertain but for the minimum.
    values.append(np.zeros(int(third.sum()), dtype=np.int64))
    for u in range(UNSURE):
        votes = 10 if (u // 6) % 2 else 20
        passes = int(votes * (0.4 + 0.5 * (u % 6) / 5))
        rows.append(rng.choice(PARTICIPANTS, size=votes, replace=False))
        cols.append(np.full(votes, SPARSE + u))
        values.append(np.r_[np.zeros(passes, np.int64), np.ones(votes - passes, np.int64)])
    for s in range(SHARED):
        rows.append(rng.choice(PARTICIPANTS, size=60, replace=False))
        cols.append(np.full(60, SPARSE + UNSURE + s))
        values.append(np.ones(60, np.int64))
    participants = [f"r{i}" for i in range(PARTICIPANTS)]
    proposals = [f"STK-{j:05d}" for j in range(SPARSE + UNSURE + SHARED)]
    return (
        participants,
        proposals,
        *(np.concatenate(a).astype(np.int64) for a in (rows, cols, values)),
    )


@pytest.fixture(scope="module")
def matrix():
    return _matrix()


@pytest.fixture(scope="module")
def analysis(matrix):
    return analyse(*matrix)


def test_the_matrix_is_mostly_proposals_with_three_votes_or_fewer(matrix):
    _participants, proposals, rows, cols, _values = matrix
    votes = np.bincount(cols, minlength=len(proposals))

    assert (votes[:SPARSE] <= 3).all() and (votes[:SPARSE] >= 1).all()
    # Every pair is one vote, as the platform keeps only the latest.
    assert len({(r, c) for r, c in zip(rows.tolist(), cols.tolist(), strict=True)}) == len(rows)


def test_the_uncertain_list_is_capped_with_its_total_and_enough_votes(matrix, analysis):
    _participants, proposals, _rows, cols, values = matrix
    votes = np.bincount(cols, minlength=len(proposals))
    passes = np.bincount(cols[values == 0], minlength=len(proposals))
    # Without the minimum, thousands of the sparse proposals would count.
    assert ((passes[:SPARSE] / votes[:SPARSE]) > 0.3).sum() > 5_000

    assert len(analysis.uncertain) == UNCERTAIN_LISTED
    assert analysis.uncertain_total == UNSURE
    assert all(u.votes >= NAMED_MIN_VOTES for u in analysis.uncertain)
    assert {u.proposal for u in analysis.uncertain} <= set(proposals[SPARSE : SPARSE + UNSURE])
    # Highest share first; of equal shares, more votes first.
    keys = [(-u.pass_share, -u.votes) for u in analysis.uncertain]
    assert keys == sorted(keys)
    assert analysis.uncertain[0].pass_share == pytest.approx(0.9)
    assert analysis.uncertain[0].votes == 20
    assert analysis.parameters["named_min_votes"] == NAMED_MIN_VOTES
    assert analysis.parameters["uncertain_listed"] == UNCERTAIN_LISTED


def test_the_consensus_scores_are_the_highest_few_with_the_count_of_all(matrix, analysis):
    _participants, proposals, *_ = matrix

    assert len(analysis.consensus) == CONSENSUS_SCORED
    assert analysis.consensus_total == len(proposals)
    scores = [entry.score for entry in analysis.consensus]
    assert scores == sorted(scores, reverse=True)
    shared = set(proposals[SPARSE + UNSURE :])
    assert {entry.proposal for entry in analysis.consensus[:SHARED]} == shared
    assert analysis.parameters["consensus_scored"] == CONSENSUS_SCORED


def test_the_shared_ground_is_capped_and_counts_only_proposals_with_enough_votes(matrix, analysis):
    _participants, proposals, *_ = matrix

    assert len(analysis.consensus_proposals) == CONSENSUS_LISTED
    # The sparse proposals one person agreed with are left out, not counted.
    assert analysis.consensus_proposals_total == SHARED
    assert set(analysis.consensus_proposals) <= set(proposals[SPARSE + UNSURE :])


def test_the_analysis_as_stored_is_small(analysis):
    stored = json.dumps(analysis.as_dict())

    # The map (one point per placed participant, 300 here) is most of it; uncapped, the
    # scores alone were over a megabyte.
    assert len(stored) < 100_000


def _content(analysis) -> dict:
    """What compile_report stores, the opinion part from the analysis, the rest empty."""
    found = asdict(analysis)
    return {
        "totals": {"participants": PARTICIPANTS, "proposals": 0, "comments": 0, "votes": 0},
        "participation": {"per_day": [], "proposals_by_source": {}},
        "proposals": {
            "most_supported": [],
            "highest_agreement": [],
            "most_discussed": [],
            "most_divided": [],
        },
        "proposal_titles": {},
        "opinion": {k: v for k, v in found.items() if k not in ("groups", "consensus_proposals")},
        "opinion_groups": found["groups"],
        "consensus": found["consensus_proposals"],
        "feedback": {"answered": 0, "proposals": 0, "median_days": None, "by_status": {}},
    }


def _page(app, content: dict) -> str:
    with app.test_request_context(), force_locale("en"):
        return render_template(
            "reports/_content.html", c=content, compiled_at=datetime(2026, 12, 7, tzinfo=UTC)
        )


def _listed(page: str, heading: str) -> int:
    after = page.split(heading, 1)[1]
    return len(re.findall(r"<li>", after.split("</ul>", 1)[0]))


def test_the_page_lists_the_capped_lists_and_says_how_many_more(ctx, app, analysis):
    page = _page(app, _content(analysis))

    assert _listed(page, "What the groups share") == CONSENSUS_LISTED
    assert f"And {SHARED - CONSENSUS_LISTED} more proposals that every group supports." in page
    assert _listed(page, "Where people are unsure") == UNCERTAIN_LISTED
    assert f"And {UNSURE - UNCERTAIN_LISTED} more proposals on which many abstained." in page
    assert f"Proposals with at least {NAMED_MIN_VOTES} votes" in page


def test_a_version_stored_before_the_caps_is_capped_on_the_page(ctx, app, analysis):
    content = _content(analysis)
    opinion_part = content["opinion"]
    for key in ("uncertain_total", "consensus_total", "consensus_proposals_total"):
        del opinion_part[key]
    for key in ("consensus_scored", "named_min_votes", "uncertain_listed"):
        del opinion_part["parameters"][key]
    uncertain = {"proposal": "STK-00001", "votes": 2, "passes": 1, "pass_share": 0.5}
    opinion_part["uncertain"] = [uncertain] * 1_000
    page = _page(app, content)

    assert _listed(page, "Where people are unsure") == opinion.UNCERTAIN_LISTED
    assert f"And {1_000 - UNCERTAIN_LISTED} more proposals on which many abstained." in page
    assert "more proposals that every group supports" not in page


def test_one_more_is_said_in_the_singular(ctx, app, analysis):
    content = _content(analysis)
    content["opinion"] = {**content["opinion"], "uncertain_total": UNCERTAIN_LISTED + 1}
    page = _page(app, content)

    assert "And 1 more proposal on which many abstained." in page
