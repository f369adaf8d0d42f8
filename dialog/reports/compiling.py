"""A dialogue's report, section by section: the one piece of code the worker's task and
`flask report` both run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import numpy as np

from dialog.core.db import utcnow
from dialog.dialogues.models import Dialogue
from dialog.reports import queries

Progress = Callable[[str, int], None]
# What a report version records it was made with: what a reader needs to weigh it.
PARAMETERS = {
    "ranked": 5,  # proposals in each ranking
    "ranked_min_votes": 5,  # votes a proposal needs to rank by agreement or division
}


def compile_report(dialogue: Dialogue, progress: Progress | None = None) -> dict[str, Any]:
    """Everything the report says, with the opinion groups' member lists (the command
    line's JSON carries them; `without_people` takes them out before a report is stored
    or shown)."""
    tell = progress or (lambda _stage, _percent: None)
    tell("participation", 5)
    totals = queries.totals(dialogue.id)
    content: dict[str, Any] = {
        "dialogue": dialogue.slug,
        "title": dialogue.title,
        "generated_at": utcnow().isoformat(),
        "parameters": PARAMETERS,
        "totals": asdict(totals),
        "participation": _participation(dialogue),
    }
    tell("proposals", 25)
    content["proposals"] = _proposals(dialogue)
    tell("opinion", 45)
    content.update(_opinion(dialogue))
    tell("feedback", 85)
    content["feedback"] = asdict(queries.feedback(dialogue.id))
    tell("done", 100)
    return content


def without_people(content: dict[str, Any]) -> dict[str, Any]:
    """The report as it is stored and shown: groups and the opinion map without whom
    they are made of."""
    stored = dict(content)
    stored["opinion_groups"] = [
        {key: value for key, value in group.items() if key != "members"}
        for group in content.get("opinion_groups", [])
    ]
    if "opinion" in content:
        stored["opinion"] = {
            **content["opinion"],
            "map": [
                {key: value for key, value in point.items() if key != "participant"}
                for point in _sample(content["opinion"].get("map", []), MAP_POINTS)
            ],
        }
    return stored


# A page draws the map from at most this many points, drawn with a fixed seed: the
# picture of 50,000 dots is the same, at a fraction of the page.
MAP_POINTS = 2000


def _sample(points: list, size: int) -> list:
    if len(points) <= size:
        return points
    chosen = np.random.default_rng(0).choice(len(points), size=size, replace=False)
    return [points[i] for i in sorted(chosen)]


def _participation(dialogue: Dialogue) -> dict[str, Any]:
    days = queries.per_local_day(dialogue.id)
    return {
        "per_day": [
            {
                "date": day.isoformat(),
                "proposals": counts["proposals"],
                "comments": counts["comments"],
                "votes": counts["votes"],
            }
            for day, counts in sorted(days.items())
        ],
        "proposals_by_source": queries.proposals_by_source(dialogue.id),
    }


def _proposals(dialogue: Dialogue) -> dict[str, Any]:
    figures = queries.proposal_figures(dialogue.id, dialogue.reference_prefix)
    top, least_votes = PARAMETERS["ranked"], PARAMETERS["ranked_min_votes"]
    voted = [each for each in figures if _decided(each) >= least_votes]
    return {
        "most_supported": _ranked(figures, lambda p: p.votes_for + p.votes_support, top),
        "highest_agreement": _ranked(voted, _net_agreement, top),
        "most_discussed": _ranked(figures, lambda p: p.comments, top),
        "most_divided": _ranked(voted, _division, top),
    }


def _decided(proposal: queries.ProposalFigures) -> int:
    return proposal.votes_for + proposal.votes_against


def _net_agreement(proposal: queries.ProposalFigures) -> float:
    """For less against, as a share of all votes: 1 when everyone is for."""
    votes = _decided(proposal) + proposal.votes_abstain
    return (proposal.votes_for - proposal.votes_against) / votes if votes else 0.0


def _division(proposal: queries.ProposalFigures) -> float:
    """1 when for and against are even, 0 when all agree; weighed by how many voted, so
    that an even split of a hundred counts for more than one of two."""
    decided = _decided(proposal)
    balance = 1 - abs(proposal.votes_for - proposal.votes_against) / decided
    return balance * decided


def _ranked(figures, key, top: int) -> list[dict[str, Any]]:
    ranked = sorted(figures, key=lambda p: (-key(p), p.reference))[:top]
    return [{**asdict(p), "score": round(key(p), 4)} for p in ranked if key(p) > 0]


def _opinion(dialogue: Dialogue) -> dict[str, Any]:
    from dialog.reports import opinion

    matrix = queries.vote_matrix(dialogue.id, dialogue.reference_prefix)
    analysis = opinion.analyse(
        matrix.participants, matrix.proposals, matrix.rows, matrix.cols, matrix.values
    )
    found = asdict(analysis)
    named = _named_in(found)
    numbers = [n for ref, n in zip(matrix.proposals, matrix.numbers, strict=True) if ref in named]
    by_number = queries.titles(dialogue.id, numbers)
    return {
        "proposal_titles": {
            ref: by_number[n]
            for ref, n in zip(matrix.proposals, matrix.numbers, strict=True)
            if n in by_number
        },
        "opinion": {
            key: value
            for key, value in found.items()
            if key not in ("groups", "consensus_proposals")
        },
        "opinion_groups": found["groups"],
        "consensus": found["consensus_proposals"],
    }


def _named_in(found: dict[str, Any]) -> set[str]:
    """The proposals the opinion section names, whose titles the report shows with them."""
    return (
        {r["proposal"] for group in found["groups"] for r in group["representative"]}
        | set(found["consensus_proposals"])
        | {u["proposal"] for u in found["uncertain"]}
    )
