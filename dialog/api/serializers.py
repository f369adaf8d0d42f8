"""Open-data representations: public facts only, never personal data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dialog.core.urls import public_url


def _time(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with its offset: 2026-03-12T08:00:00+00:00."""
    if moment is None:
        return None
    if moment.tzinfo is None:  # stored timestamps are UTC; never guess another zone
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def phase(phase) -> dict:
    return {
        "id": phase.id,
        "kind": phase.kind.value,
        "title": phase.title,
        "description": phase.description,
        "starts_at": _time(phase.starts_at),
        "ends_at": _time(phase.ends_at),
        "capabilities": sorted(c.value for c in phase.capabilities),
    }


def dialogue(dialogue, *, detail: bool = False) -> dict:
    current = dialogue.current_phase
    data = {
        "slug": dialogue.slug,
        "title": dialogue.title,
        "summary": dialogue.summary,
        "state": dialogue.state.value,
        "place": {
            "name": dialogue.place_name or None,
            "lat": dialogue.place_lat,
            "lon": dialogue.place_lon,
        },
        "themes": list(dialogue.themes or []),
        "focus_areas": list(dialogue.focus_areas or []),
        "current_phase": phase(current) if current else None,
        "url": public_url("api.dialogue_detail", slug=dialogue.slug),
        "html_url": public_url("dialogues.show", slug=dialogue.slug),
    }
    if detail:
        data.update(
            background=dialogue.background,
            vote_mode=dialogue.vote_mode.value,
            vote_counts=dialogue.vote_counts.value,
            votes_per_participant=dialogue.votes_per_participant,
            phases=[phase(p) for p in sorted(dialogue.phases, key=lambda p: p.starts_at)],
            proposals_url=public_url("api.proposal_list", slug=dialogue.slug),
        )
    return data


def proposal(proposal, *, counts_shown: bool) -> dict:
    return {
        "id": proposal.id,
        "reference": proposal.reference,
        "title": proposal.title,
        "body": proposal.body,
        "state": proposal.state.value,
        "source": proposal.source.value,
        "theme": proposal.theme,
        "focus_area": proposal.focus_area,
        "dimensions": list(proposal.dimensions or []),
        "place": {
            "name": proposal.place_name,
            "lat": proposal.place_lat,
            "lon": proposal.place_lon,
        },
        "author": _public_author(proposal.author),
        "counts": _counts(proposal, counts_shown),
        "created_at": _time(proposal.created_at),
        "url": public_url("api.proposal_detail", proposal_id=proposal.id),
        "html_url": public_url("proposals.show", proposal_id=proposal.id),
    }


def _counts(proposal, counts_shown: bool) -> dict:
    # Hidden counts keep their keys, as null: clients need not special-case the shape.
    votes = {
        "for": proposal.votes_for,
        "against": proposal.votes_against,
        "abstain": proposal.votes_abstain,
        "support": proposal.votes_support,
    }
    if not counts_shown:
        votes = dict.fromkeys(votes)
    return {**votes, "comments": proposal.comment_count}


def _public_author(user) -> str | None:
    # Only what the person chose to show: their name, or their pseudonym.
    return user.public_name if user is not None else None


def comment(comment) -> dict:
    # A deleted comment, or one out of sight while moderated, keeps its place in the thread.
    withheld = comment.is_deleted or not comment.is_shown
    return {
        "id": comment.id,
        "parent_id": comment.parent_id,
        "depth": comment.depth,
        "stance": comment.stance.value,
        "body": None if withheld else comment.body,
        "deleted": comment.is_deleted,
        "hidden": not comment.is_shown,
        "by_municipality": comment.by_municipality,
        "author": None if withheld else _public_author(comment.author),
        "created_at": _time(comment.created_at),
    }


def answer(answer) -> dict | None:
    if answer is None or not answer.is_published:
        return None
    return {
        "status": answer.status.value,
        "body": answer.body,  # as the planner wrote it: the safe Markdown subset
        "department": answer.department,
        "published_at": _time(answer.published_at),
        "revised_at": _time(answer.revised_at),
    }


def published_report(dialogue, published, content: dict[str, Any]) -> dict[str, Any]:
    """The snapshot as it was frozen (it already names nobody), its titles as they are
    now (`reports.as_moderated`)."""
    return {
        "dialogue": dialogue.slug,
        "version": published.version,
        "published_at": _time(published.published_at),
        "report": content,
    }
