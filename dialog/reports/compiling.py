"""A dialogue's report, section by section: the one piece of code the worker's task and
`flask report` both run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import numpy as np

from dialog.core import geometry
from dialog.core.db import utcnow
from dialog.dialogues.models import Dialogue
from dialog.proposals.models import Dimension, Proposal
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
    from dialog.reports import representation, texts

    tell("participation", 5)
    totals = queries.totals(dialogue.id)
    content: dict[str, Any] = {
        "dialogue": dialogue.slug,
        "title": dialogue.title,
        "generated_at": utcnow().isoformat(),
        "parameters": PARAMETERS,
        "totals": asdict(totals),
        "participation": _participation(dialogue),
        "representation": representation.representation_section(dialogue),
    }
    tell("proposals", 25)
    content["proposals"] = _proposals(dialogue)
    tell("opinion", 45)
    content.update(_opinion(dialogue))
    tell("themes", 70)
    content["themes"] = _themes(dialogue)
    tell("topics", 75)
    reading = texts.read(dialogue.id)
    content["topics"] = texts.topics_section(dialogue, reading)
    content["words"] = texts.words_section(dialogue, reading)
    tell("geography", 85)
    content["geography"] = _geography(dialogue)
    tell("feedback", 90)
    content["feedback"] = asdict(queries.feedback(dialogue.id))
    tell("moderation", 95)
    content["moderation"] = _moderation(dialogue)
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
                "participants": counts["participants"],
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


# A dimension drawing less than this share of the proposals is named as thin.
THIN_DIMENSION = 0.1


def _themes(dialogue: Dialogue) -> dict[str, Any]:
    """How input spreads over the dialogue's themes and focus areas (each one listed,
    including those nobody wrote about) and over the three dimensions."""
    themes = queries.spread_by(Proposal.theme, dialogue.id)
    proposals = sum(s.proposals for s in themes)
    dimensions = _with_shares(
        queries.spread_by_dimension(dialogue.id, [d.value for d in Dimension]), proposals
    )
    return {
        "proposals": proposals,
        "themes": _named_spread(themes, dialogue.themes, proposals),
        "focus_areas": _named_spread(
            queries.spread_by(Proposal.focus_area, dialogue.id), dialogue.focus_areas, proposals
        ),
        "dimensions": dimensions,
        "missing_dimensions": [d["name"] for d in dimensions if d["proposals"] == 0],
        "thin_dimensions": [
            d["name"] for d in dimensions if d["proposals"] > 0 and d["share"] < THIN_DIMENSION
        ],
    }


def _named_spread(spread: list[queries.Spread], offered: list[str], proposals: int) -> list[dict]:
    """The offered names in their own order (none left out for having no input), then
    names only older proposals carry, then those without any (name None)."""
    by_name = {s.name: s for s in spread}
    order = list(offered) + sorted(n for n in by_name if n is not None and n not in offered)
    if None in by_name:
        order.append(None)
    return _with_shares([by_name.get(n, queries.Spread(n, 0, 0, 0)) for n in order], proposals)


def _with_shares(spread: list[queries.Spread], proposals: int) -> list[dict]:
    return [
        {**asdict(s), "share": round(s.proposals / proposals, 4) if proposals else 0.0}
        for s in spread
    ]


# The geography section's drawing: a frame this wide, points as many as the opinion map.
MAP_WIDTH = 600
# The parts of the frame the section counts located proposals in, for the table that
# says in words what the dots show: a 3 x 3 grid, north row first, each row west to east.
# Stable keys (the page names them in the reader's language).
AREA_PARTS = (
    ("north-west", "north", "north-east"),
    ("west", "centre", "east"),
    ("south-west", "south", "south-east"),
)


def _geography(dialogue: Dialogue) -> dict[str, Any]:
    places = queries.places(dialogue.id, MAP_POINTS)
    # The box around the area's outline and every located proposal (not only those
    # drawn), so that the drawing and the table of its parts share one frame.
    frame = geometry.frame_around(dialogue.place_area, places.bounds)
    return {
        "named": [
            {"place": name, "proposals": count, "votes": votes}
            for name, count, votes in places.named
        ],
        "located": places.located,
        "unplaced": places.unplaced,
        "parts": _parts(dialogue.id, frame),
        "drawing": geometry.drawing(dialogue.place_area, places.points, frame, MAP_WIDTH),
    }


def _parts(dialogue_id: int, frame: geometry.Frame | None) -> list[dict[str, Any]]:
    """Every located proposal counted in the part of the frame it lies in: each of the
    nine parts, in AREA_PARTS's order, those without any too."""
    counts = queries.located_by_third(dialogue_id, frame) if frame else {}
    return [
        {"part": part, "proposals": counts.get((across, 2 - up), 0)}
        for up, row in enumerate(AREA_PARTS)
        for across, part in enumerate(row)
    ]


def _moderation(dialogue: Dialogue) -> dict[str, Any]:
    figures = asdict(queries.moderation_figures(dialogue.id))
    by_reason = {reason: sum(states.values()) for reason, states in figures["flags"].items()}
    return {
        **figures,
        "reports": sum(by_reason.values()),
        "hidden_items": sum(figures["hidden"].values()),
        "main_reason": max(sorted(by_reason), key=by_reason.get) if by_reason else None,
    }
