"""A report as moderation has its content now.

A version freezes the figures and the proposal titles of the moment it was compiled, and
a published report what it was when published. Moderation goes on after both: a title
hidden later must not be read on "Det här har vi hört", its files or the API, and words a
redaction took out (personal data) must not live on in any stored report.

Two rules do it. Residents read every title of a published report as the proposal's
title is now, and none of a proposal out of sight (`public_content`, on every read, so a
hide counts at once, whether or not the worker is running). And a redaction is applied to
the stored versions and the published report by the worker (`forget_redacted`, a
subscriber of `content_redacted`): the redacted title replaces the old one, and the words
the redaction took out leave the topics' and themes' word lists.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from flask_login import AnonymousUserMixin
from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

from dialog.core import search
from dialog.extensions import db
from dialog.moderation.models import RedactedOriginal
from dialog.proposals.models import Comment, Proposal, format_reference
from dialog.proposals.visibility import shown_proposals
from dialog.reports.models import PublishedReport, Report, ReportStatus

Titles = dict[str, str | None]


def public_content(published: PublishedReport, out_of_sight: str | None = None) -> dict[str, Any]:
    """The published snapshot with each proposal's title as residents may read it now;
    `out_of_sight` in place of the title of a proposal they may not see."""
    content = copy.deepcopy(published.content)
    named = set(_references(content))
    if named:
        prefix = published.dialogue.reference_prefix
        now = _shown_titles(published.dialogue_id, prefix, named)
        _retitle(content, lambda reference: now.get(reference, out_of_sight))
    return content


def forget_redacted(decision_id: int, proposal_id: int | None, comment_id: int | None) -> int:
    """Apply one redaction to every stored report of its dialogue; returns how many were
    rewritten. Idempotent: a second run finds nothing left to change."""
    item = (
        db.session.get(Proposal, proposal_id)
        if proposal_id
        else db.session.get(Comment, comment_id)
    )
    if item is None:
        return 0
    proposal = item if isinstance(item, Proposal) else item.proposal
    taken_out = _stems_taken_out(decision_id, _current_text(item))
    reference = format_reference(proposal.dialogue.reference_prefix, proposal.number)

    def title_now(named: str) -> str | None:
        return proposal.title if named == reference else _UNCHANGED

    rewritten = 0
    for holder in _stored(proposal.dialogue_id):
        content = copy.deepcopy(holder.content)
        if isinstance(item, Proposal):
            _retitle(content, title_now)
        _drop_words(content, taken_out)
        if content != holder.content:
            holder.content = content
            flag_modified(holder, "content")
            rewritten += 1
    db.session.flush()
    return rewritten


# What the content holds ----------------------------------------------------------------

# Where a title is written next to the proposal it belongs to: ranked proposals and topic
# examples say "reference", the published answers "proposal".
_REFERENCE_KEYS = ("reference", "proposal")
_UNCHANGED = object()


def _titled(content: Any) -> Iterator[tuple[dict, str]]:
    """Every mapping in the content that carries a proposal's title, with its reference."""
    if isinstance(content, dict):
        if "title" in content:
            for key in _REFERENCE_KEYS:
                if isinstance(content.get(key), str):
                    yield content, content[key]
                    break
        for value in content.values():
            yield from _titled(value)
    elif isinstance(content, list):
        for value in content:
            yield from _titled(value)


def _references(content: dict) -> Iterator[str]:
    yield from (reference for _, reference in _titled(content))
    yield from content.get("proposal_titles", {})


def _retitle(content: dict, title_of: Callable[[str], Any]) -> None:
    for holder, reference in list(_titled(content)):
        title = title_of(reference)
        if title is not _UNCHANGED:
            holder["title"] = title
    titles: dict = content.get("proposal_titles", {})
    for reference in list(titles):
        title = title_of(reference)
        if title is not _UNCHANGED:
            titles[reference] = title


def _drop_words(content: dict, stems: set[str]) -> None:
    if not stems:
        return
    for topic in content.get("topics", {}).get("topics", []):
        topic["words"] = [w for w in topic["words"] if w["stem"] not in stems]
    for theme in content.get("words", {}).get("themes", []):
        theme["words"] = [w for w in theme["words"] if not set(search.stems(w["word"])) & stems]


# Reads ---------------------------------------------------------------------------------


def _shown_titles(dialogue_id: int, prefix: str, references: set[str]) -> Titles:
    numbers = [n for n in map(_number, references) if n is not None]
    rows = db.session.execute(
        select(Proposal.number, Proposal.title).where(
            Proposal.dialogue_id == dialogue_id,
            Proposal.number.in_(numbers),
            shown_proposals(AnonymousUserMixin()),
        )
    )
    return {format_reference(prefix, number): title for number, title in rows}


def _number(reference: str) -> int | None:
    _, _, digits = reference.rpartition("-")
    return int(digits) if digits.isdigit() else None


def _stored(dialogue_id: int) -> Iterator[Report | PublishedReport]:
    yield from db.session.scalars(
        select(Report).where(Report.dialogue_id == dialogue_id, Report.status == ReportStatus.done)
    )
    published = db.session.scalar(
        select(PublishedReport).where(PublishedReport.dialogue_id == dialogue_id)
    )
    if published is not None:
        yield published


def _current_text(item: Proposal | Comment) -> str:
    return f"{item.title}\n{item.body}" if isinstance(item, Proposal) else item.body


def _stems_taken_out(decision_id: int, now: str) -> set[str]:
    """The stems of the words the redaction took out and the text no longer has."""
    originals = db.session.scalars(
        select(RedactedOriginal.text).where(RedactedOriginal.decision_id == decision_id)
    )
    before = {stem for text in originals for stem in search.stems(text)}
    return before - set(search.stems(now))
