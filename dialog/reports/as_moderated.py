"""A report as moderation has its content now.

A version freezes the figures, proposal titles and words of the moment it was compiled,
and a published report what it was when published. Moderation goes on after both: a
title taken out of sight later must not be read on "Det här har vi hört", its files or
the API, and words a redaction took out (personal data) must not live on in any stored
report.

Three rules do it.
- Residents read every title of a published report as the proposal's title is now, and
  neither the title nor the answer of a proposal out of sight (`public_content`, on
  every read, so a hide counts at once, whether or not the worker is running).
  Proposals are matched by number, so a dialogue's reference prefix may change.
- A redaction is applied to the stored versions and the published report by the worker
  (`forget_redacted`, a subscriber of `content_redacted`): the redacted title replaces
  the old one, and the words the redaction took out leave the topics' and themes' word
  lists. A version being compiled gets every redaction as it is stored
  (`with_every_redaction`).
- A published report lists a word only while the texts residents can read now use it as
  much as the report asks of a word (`keep_words_supported`): when it is published, and
  whenever the texts its dialogue shows have changed since (`stale_published_ids`, the
  periodic `reports.check_published_words`), so the words of input hidden, held, edited,
  deleted or withdrawn later leave it within a sweep. A word dropped comes back only
  when a report is published again.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from flask_login import AnonymousUserMixin
from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

from dialog.core import search
from dialog.dialogues.models import Dialogue
from dialog.extensions import db
from dialog.moderation.models import Action, ModerationDecision, RedactedOriginal
from dialog.proposals.models import Comment, Proposal
from dialog.proposals.visibility import shown_proposals
from dialog.reports.models import PublishedReport, Report, ReportStatus

_UNCHANGED = object()


def public_content(published: PublishedReport, out_of_sight: str | None = None) -> dict[str, Any]:
    """The published snapshot as residents may read it now: each proposal's title as it
    is, `out_of_sight` in place of the title and the answer of one they may not see."""
    content = copy.deepcopy(published.content)
    numbers = {n for n in map(_number, _references(content)) if n is not None}
    if numbers:
        shown = _shown_titles(published.dialogue_id, numbers)
        _retitle(content, lambda number: shown.get(number, out_of_sight))
        for answer in content.get("answers", []):
            if _number(answer["proposal"]) not in shown:
                answer["answer"] = out_of_sight
    return content


def forget_redacted(decision_id: int, proposal_id: int | None, comment_id: int | None) -> int:
    """Apply one redaction to every stored report of its dialogue; returns how many were
    rewritten. Idempotent: a second run finds nothing left to change."""
    item = _item(proposal_id, comment_id)
    if item is None:
        return 0
    return _rewrite(
        _stored(_dialogue_id(item)), lambda content: _redact(content, decision_id, item)
    )


def with_every_redaction(content: dict[str, Any], dialogue_id: int) -> None:
    """Apply to a version about to be stored every redaction its dialogue has had: those
    decided while it compiled never reached it (idempotent for the others). The
    dialogue's row is locked first, as a redaction locks it, so one decided now either
    is read here or finds this version stored."""
    db.session.execute(select(Dialogue.id).where(Dialogue.id == dialogue_id).with_for_update())
    decisions = db.session.execute(
        select(ModerationDecision.id, ModerationDecision.proposal_id, ModerationDecision.comment_id)
        .where(
            ModerationDecision.dialogue_id == dialogue_id,
            ModerationDecision.action == Action.redact,
        )
        .order_by(ModerationDecision.id)
    )
    for decision_id, proposal_id, comment_id in decisions.all():
        item = _item(proposal_id, comment_id)
        if item is not None:
            _redact(content, decision_id, item)


def keep_words_supported(published: PublishedReport) -> bool:
    """Take out of the published report each word the texts residents can read now do
    not use enough; True when it changed. The texts are read first, then the row again
    under a lock, so a report published or redacted meanwhile is not written over."""
    db.session.flush()  # a report being published is read back as it is being written
    dialogue_id = published.dialogue_id
    version = db.session.scalar(select(Dialogue.texts_version).where(Dialogue.id == dialogue_id))
    support = _Support(dialogue_id, _sample_cutoff(published.content))
    db.session.refresh(published, with_for_update=True)
    changed = _rewrite([published], support.keep_only_supported) == 1
    published.words_checked_at_version = version
    db.session.flush()
    return changed


def stale_published_ids() -> list[int]:
    """Published reports whose dialogue's texts changed since their words were checked."""
    return list(
        db.session.scalars(
            select(PublishedReport.id)
            .join(Dialogue, Dialogue.id == PublishedReport.dialogue_id)
            .where(
                PublishedReport.words_checked_at_version.is_distinct_from(Dialogue.texts_version)
            )
            .order_by(PublishedReport.id)
        )
    )


# What the content holds ----------------------------------------------------------------

# Where a title is written next to the proposal it belongs to: ranked proposals and topic
# examples say "reference", the published answers "proposal".
_REFERENCE_KEYS = ("reference", "proposal")


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


def _number(reference: str) -> int | None:
    """A reference's proposal number (STK-0042 → 42), whatever the dialogue's prefix."""
    _, _, digits = reference.rpartition("-")
    return int(digits) if digits.isdigit() else None


def _retitle(content: dict, title_of: Callable[[int], Any]) -> None:
    """Each title set to `title_of(its proposal's number)`, unless that is _UNCHANGED."""
    for holder, reference in list(_titled(content)):
        title = title_of(_number(reference))
        if title is not _UNCHANGED:
            holder["title"] = title
    titles: dict = content.get("proposal_titles", {})
    for reference in list(titles):
        title = title_of(_number(reference))
        if title is not _UNCHANGED:
            titles[reference] = title


def _theme_words(content: dict) -> Iterator[dict]:
    yield from content.get("words", {}).get("themes", [])


def _topics(content: dict) -> Iterator[dict]:
    yield from content.get("topics", {}).get("topics", [])


def _drop_words(content: dict, stems: set[str]) -> None:
    if not stems:
        return
    for topic in _topics(content):
        topic["words"] = [w for w in topic["words"] if w["stem"] not in stems]
    for theme in _theme_words(content):
        theme["words"] = [w for w in theme["words"] if _word_stem(w["word"]) not in stems]


def _redact(content: dict, decision_id: int, item: Proposal | Comment) -> None:
    if isinstance(item, Proposal):
        title = item.title
        _retitle(content, lambda number: title if number == item.number else _UNCHANGED)
    _drop_words(content, _stems_taken_out(decision_id, _text_of(item)))


def _rewrite(holders, change: Callable[[dict], None]) -> int:
    rewritten = 0
    for holder in holders:
        content = copy.deepcopy(holder.content)
        change(content)
        if content != holder.content:
            holder.content = content
            flag_modified(holder, "content")
            rewritten += 1
    db.session.flush()
    return rewritten


class _Support:
    """How much the texts residents can read now use each word: what the report asks
    of a word it lists (`texts.WORD_PARAMETERS`, `texts.TOPIC_PARAMETERS`), checked
    against the texts the report was made from (in a large dialogue, those its sample
    took: keyed up to the sample's cutoff) that are still shown as they were."""

    def __init__(self, dialogue_id: int, cutoff: int | None):
        from dialog.reports import texts

        reading = texts.read(dialogue_id, up_to=cutoff)
        self.per_theme: dict[str | None, Counter] = {}
        self.texts_using: Counter = Counter()
        for text, stems in zip(reading.texts, reading.stems, strict=True):
            self.per_theme.setdefault(text.theme, Counter()).update(stems)
            self.texts_using.update(set(stems))
        self.min_count = texts.WORD_PARAMETERS["min_count"]
        self.min_texts = texts.TOPIC_PARAMETERS["min_df"]

    def keep_only_supported(self, content: dict) -> None:
        for topic in _topics(content):
            topic["words"] = [
                w for w in topic["words"] if self.texts_using[w["stem"]] >= self.min_texts
            ]
        if "topics" in content:  # a topic left without words says nothing
            section = content["topics"]
            section["topics"] = [topic for topic in section["topics"] if topic["words"]]
        for theme in _theme_words(content):
            uses = self.per_theme.get(theme["name"], Counter())
            theme["words"] = [
                w for w in theme["words"] if uses[_word_stem(w["word"])] >= self.min_count
            ]


def _sample_cutoff(content: dict) -> int | None:
    return content.get("topics", {}).get("parameters", {}).get("sample_cutoff")


# Reads ---------------------------------------------------------------------------------


def _shown_titles(dialogue_id: int, numbers: set[int]) -> dict[int, str]:
    rows = db.session.execute(
        select(Proposal.number, Proposal.title).where(
            Proposal.dialogue_id == dialogue_id,
            Proposal.number.in_(sorted(numbers)),
            shown_proposals(AnonymousUserMixin()),
        )
    )
    return dict(rows.all())


def _item(proposal_id: int | None, comment_id: int | None) -> Proposal | Comment | None:
    if proposal_id:
        return db.session.get(Proposal, proposal_id)
    return db.session.get(Comment, comment_id) if comment_id else None


def _dialogue_id(item: Proposal | Comment) -> int:
    return item.dialogue_id if isinstance(item, Proposal) else item.proposal.dialogue_id


def _published(dialogue_id: int) -> PublishedReport | None:
    return db.session.scalar(
        select(PublishedReport).where(PublishedReport.dialogue_id == dialogue_id)
    )


def _stored(dialogue_id: int) -> Iterator[Report | PublishedReport]:
    yield from db.session.scalars(
        select(Report).where(Report.dialogue_id == dialogue_id, Report.status == ReportStatus.done)
    )
    published = _published(dialogue_id)
    if published is not None:
        yield published


def _text_of(item: Proposal | Comment) -> str:
    return f"{item.title}\n{item.body}" if isinstance(item, Proposal) else item.body


def _stems_taken_out(decision_id: int, now: str) -> set[str]:
    """The stems of the words the redaction took out and the text no longer has."""
    originals = db.session.scalars(
        select(RedactedOriginal.text).where(RedactedOriginal.decision_id == decision_id)
    )
    before = {stem for text in originals for stem in search.stems(text)}
    return before - set(search.stems(now))


def _word_stem(word: str) -> str:
    """A listed word's stem, as the report's sections stemmed it."""
    from dialog.reports import texts

    return texts.word_stem(word)
