"""Flagging, the moderators' actions and review requests. Services flush and never commit.

Every action moves an item by a conditional UPDATE (from the state it was decided on), so
two moderators deciding at once cannot both act: the second is told the item has moved.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import aliased

from dialog.core import audit, outbox
from dialog.core.db import add_unless_taken, utcnow
from dialog.core.permissions import Decision, Refused, require
from dialog.dialogues.services import listing_changed
from dialog.extensions import db
from dialog.moderation import permissions
from dialog.moderation.models import (
    Action,
    Block,
    Flag,
    FlagReason,
    FlagState,
    ModerationDecision,
    RedactedOriginal,
    ReviewRequest,
    ScreenedWord,
)
from dialog.moderation.permissions import can_flag, dialogue_of
from dialog.proposals.models import Comment, Moderation, Proposal

MAX_BLOCK_DAYS = 365


def flag(item: Proposal | Comment, *, by, reason: FlagReason, text: str | None) -> Flag:
    """One account's flag on `item`; the flag that reaches the dialogue's threshold holds
    the item out of sight until a moderator decides."""
    require(can_flag(by, item))
    dialogue = dialogue_of(item)
    row = Flag(
        dialogue_id=dialogue.id,
        flagger_id=by.id,
        reason=reason,
        text=(text or "").strip() or None,
        **{_item_column(item): item.id},
    )
    if not add_unless_taken(row):
        raise Refused(Decision.deny("flag_taken"))
    if _count_and_maybe_hold(item, dialogue.flag_threshold):
        _held(item, dialogue, row)
    outbox.record(
        "content_flagged",
        f"flag:{row.id}",
        {"flag_id": row.id, "dialogue_id": dialogue.id, _item_column(item): item.id},
    )
    return row


def _count_and_maybe_hold(item: Proposal | Comment, threshold: int) -> bool:
    """Count the flag, then hold the item if the count reached the threshold; True when
    this flag held it. The first statement locks the row until the commit, so concurrent
    flags are counted one after another, each once, and only one of them holds it."""
    model = type(item)
    db.session.execute(
        update(model)
        .where(model.id == item.id)
        .values(open_flags=model.open_flags + 1)
        .execution_options(synchronize_session=False)
    )
    held = db.session.execute(
        update(model)
        .where(
            model.id == item.id,
            model.moderation == Moderation.shown,
            model.open_flags >= threshold,
        )
        .values(moderation=Moderation.held)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(item, ["open_flags", "moderation"])
    return bool(held)


def _held(item: Proposal | Comment, dialogue, last_flag: Flag) -> None:
    if isinstance(item, Comment):
        change_counts(item, -1)
    audit.record(
        "moderation.held_by_flags",
        target=item,
        dialogue_id=dialogue.id,
        flags=item.open_flags,
        threshold=dialogue.flag_threshold,
    )
    if item.author_id is not None:
        # Keyed by the flag that held it: an item held again after its flags were
        # dismissed is news again.
        outbox.record(
            "content_held",
            f"flag:{last_flag.id}:held",
            {
                "author_id": item.author_id,
                "dialogue_id": dialogue.id,
                _item_column(item): item.id,
            },
        )
    listing_changed(dialogue.id)


def change_counts(comment: Comment, delta: int) -> None:
    """A comment coming into or going out of sight counts on its proposal and its parent.

    A deleted comment is out of sight whatever a moderator decides about it later, so
    moving it counts nowhere: its deletion moved the counts once
    (`proposals.services.delete_comment`). The guard reads the comment's row as it is
    now; every caller has just written that row and holds its lock, so a deletion
    committed a moment ago by another request is seen, not counted twice."""
    not_deleted = exists().where(_Counted.id == comment.id, _Counted.deleted_at.is_(None))
    db.session.execute(
        update(Proposal)
        .where(Proposal.id == comment.proposal_id, not_deleted)
        .values(comment_count=Proposal.comment_count + delta)
        .execution_options(synchronize_session=False)
    )
    if comment.parent_id is not None:
        db.session.execute(
            update(Comment)
            .where(Comment.id == comment.parent_id, not_deleted)
            .values(reply_count=Comment.reply_count + delta)
            .execution_options(synchronize_session=False)
        )


_Counted = aliased(Comment)  # the comment itself, beside the parent row an UPDATE changes


# The moderators' actions -------------------------------------------------------------


def approve(item, *, by) -> ModerationDecision:
    """Let a pending or held item through; its open flags were wrong."""
    return _decide(item, Action.approve, by=by, to=Moderation.shown, flags=FlagState.dismissed)


def hide(item, *, by, reason: str) -> ModerationDecision:
    """Out of sight, with the reason its page shows in its place."""
    return _decide(
        item, Action.hide, by=by, to=Moderation.hidden, flags=FlagState.upheld, reason=reason
    )


def restore(item, *, by, reason: str | None = None) -> ModerationDecision:
    return _decide(
        item, Action.restore, by=by, to=Moderation.shown, flags=FlagState.dismissed, reason=reason
    )


def dismiss(item, *, by) -> ModerationDecision:
    """The flags were wrong: a held item comes back, a shown one stays."""
    return _decide(item, Action.dismiss, by=by, to=Moderation.shown, flags=FlagState.dismissed)


def redact(item, *, by, reason: str, body: str, title: str | None = None) -> ModerationDecision:
    """Take personal data out of the text; the words taken out are kept apart, for
    AUDIT_PII_RETENTION_DAYS, never in the audit log. A held or pending item is shown
    with the data taken out; a hidden one stays hidden."""
    changed = {"body": body.strip()}
    if isinstance(item, Proposal) and title and title.strip():  # a title is never emptied
        changed["title"] = title.strip()
    originals = {
        name: getattr(item, name) for name, value in changed.items() if getattr(item, name) != value
    }
    decision = _decide(
        item,
        Action.redact,
        by=by,
        to=Moderation.hidden if item.moderation is Moderation.hidden else Moderation.shown,
        flags=FlagState.upheld,
        reason=reason,
        fields=sorted(originals),
    )
    for name, original in originals.items():
        db.session.add(RedactedOriginal(decision_id=decision.id, field=name, text=original))
        setattr(item, name, changed[name])
    db.session.flush()
    # Reports keep titles and words of their moment; they learn what was taken out.
    outbox.record(
        "content_redacted",
        f"redaction:{decision.id}",
        {
            "decision_id": decision.id,
            "dialogue_id": decision.dialogue_id,
            _item_column(item): item.id,
        },
    )
    if isinstance(item, Proposal):
        from dialog.proposals.services import index_for_search

        index_for_search(item)
    return decision


def block(item, *, by, reason: str, days: int) -> ModerationDecision:
    """Keep the item's author out of its dialogue for `days` days."""
    dialogue = dialogue_of(item)
    require(permissions.can_moderate_item(by, item, dialogue, Action.block))
    decision = _record(item, Action.block, by=by, reason=reason, days=days)
    ends_at = utcnow() + timedelta(days=min(days, MAX_BLOCK_DAYS))
    db.session.add(
        Block(
            dialogue_id=dialogue.id,
            user_id=item.author_id,
            decision_id=decision.id,
            ends_at=ends_at,
        )
    )
    db.session.flush()
    return decision


ACTIONS = {
    Action.approve: approve,
    Action.hide: hide,
    Action.restore: restore,
    Action.dismiss: dismiss,
}


def bulk(items, action: Action, *, by, reason: str | None = None) -> tuple[int, int]:
    """The same action on each item the moderator may take it on, in savepoints: one
    item that moved meanwhile or is the moderator's own is skipped, the rest are done.
    Returns (done, skipped)."""
    act = ACTIONS[action]
    done = skipped = 0
    for item in items:
        try:
            with db.session.begin_nested():
                act(item, by=by, **({"reason": reason} if action is Action.hide else {}))
            done += 1
        except Refused:
            skipped += 1
    return done, skipped


def _decide(item, action: Action, *, by, to: Moderation, flags: FlagState, reason=None, **details):
    dialogue = dialogue_of(item)
    require(permissions.can_moderate_item(by, item, dialogue, action))
    came_from = item.moderation
    # Staying where it is (redacting a hidden item) keeps the reason it was hidden for.
    kept_reason = item.moderation_reason if came_from is to else None
    new_reason = reason if to is Moderation.hidden else None
    if not _moved(item, came_from, to, kept_reason or new_reason):
        raise Refused(Decision.deny("action_not_applicable"))
    if isinstance(item, Comment) and (came_from is Moderation.shown) != (to is Moderation.shown):
        change_counts(item, 1 if to is Moderation.shown else -1)
    if came_from is Moderation.pending and to is Moderation.shown:
        from dialog.proposals.services import announce  # proposals imports this module

        announce(item)  # followers hear of it now, as if just posted
    _settle_flags(item, flags)
    # Dismissing flags on an item that stayed in sight changes nothing for its author.
    tell = action is not Action.dismiss or came_from is not Moderation.shown
    decision = _record(
        item, action, by=by, reason=reason, tell=tell, came_from=came_from.value, **details
    )
    listing_changed(dialogue.id)
    return decision


def _moved(item, came_from: Moderation, to: Moderation, reason: str | None) -> bool:
    """Move the item from the state it was decided on; False when another moderator
    moved it first. Staying shown (dismissing flags) moves nothing but still checks."""
    model = type(item)
    moved = db.session.execute(
        update(model)
        .where(model.id == item.id, model.moderation == came_from)
        .values(moderation=to, moderation_reason=reason)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(item, ["moderation", "moderation_reason", "open_flags"])
    return bool(moved)


def _settle_flags(item, state: FlagState) -> None:
    column = Flag.comment_id if isinstance(item, Comment) else Flag.proposal_id
    db.session.execute(
        update(Flag)
        .where(column == item.id, Flag.state == FlagState.open)
        .values(state=state, decided_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    item.open_flags = 0


def _record(
    item, action: Action, *, by, reason: str | None, tell: bool = True, **details
) -> ModerationDecision:
    """The decision, its audit entry, and the notice to the author (delivered by the
    notifications)."""
    dialogue = dialogue_of(item)
    decision = ModerationDecision(
        dialogue_id=dialogue.id,
        author_id=item.author_id,
        moderator_id=by.id,
        action=action,
        reason=reason,
        **{_item_column(item): item.id},
    )
    db.session.add(decision)
    db.session.flush()
    audit.record(
        f"moderation.{action.value}",
        actor=by,
        target=item,
        reason=reason,
        dialogue_id=dialogue.id,
        decision_id=decision.id,
        **details,
    )
    if item.author_id is not None and tell:
        outbox.record(
            "content_moderated",
            f"decision:{decision.id}",
            {
                "decision_id": decision.id,
                "action": action.value,
                "author_id": item.author_id,
                "dialogue_id": dialogue.id,
                _item_column(item): item.id,
            },
        )
    return decision


# Review requests -----------------------------------------------------------------------


def request_review(decision: ModerationDecision, *, by, reason: str) -> ReviewRequest:
    """The author asks, once per decision, that another moderator look again."""
    require(permissions.can_request_review(by, decision, requested=False))
    request = ReviewRequest(decision_id=decision.id, requested_by_id=by.id, reason=reason.strip())
    if not add_unless_taken(request):
        raise Refused(Decision.deny("review_taken"))
    audit.record(
        "moderation.review_requested",
        actor=by,
        target=decision,
        reason=request.reason,
        dialogue_id=decision.dialogue_id,
    )
    outbox.record(
        "moderation_review_requested",
        f"review:{request.id}",
        {"review_id": request.id, "decision_id": decision.id, "dialogue_id": decision.dialogue_id},
    )
    return request


def decide_review(request: ReviewRequest, item, *, by, reverse: bool, reason: str) -> None:
    """Another moderator (or an administrator) lets the decision stand or reverses it:
    a hidden item shown again, a redaction's words put back while they are kept, a
    block lifted."""
    decision = request.decision
    require(permissions.can_review(by, decision, item, dialogue_of(item)))
    # Taken by a conditional UPDATE: of two reviewers at once, the second is refused.
    taken = db.session.execute(
        update(ReviewRequest)
        .where(ReviewRequest.id == request.id, ReviewRequest.reviewed_at.is_(None))
        .values(reviewed_by_id=by.id, reviewed_at=utcnow(), reversed=reverse)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not taken:
        raise Refused(Decision.deny("action_not_applicable"))
    db.session.refresh(request)
    if reverse:
        _reverse(decision, item, by=by, reason=reason)
    audit.record(
        "moderation.review_decided",
        actor=by,
        target=decision,
        reason=reason,
        dialogue_id=decision.dialogue_id,
        reversed=reverse,
    )
    if decision.author_id is not None:
        outbox.record(
            "moderation_review_decided",
            f"review:{request.id}:decided",
            {"review_id": request.id, "author_id": decision.author_id, "reversed": reverse},
        )


def _reverse(decision: ModerationDecision, item, *, by, reason: str) -> None:
    if decision.action is Action.hide and item.moderation is Moderation.hidden:
        restore(item, by=by, reason=reason)
    elif decision.action is Action.redact:
        _put_back(decision, item)
    elif decision.action is Action.block:
        db.session.execute(
            update(Block).where(Block.decision_id == decision.id).values(ends_at=utcnow())
        )


def _put_back(decision: ModerationDecision, item) -> None:
    originals = db.session.scalars(
        select(RedactedOriginal).where(RedactedOriginal.decision_id == decision.id)
    ).all()
    if not originals:
        raise Refused(Decision.deny("originals_purged"))
    for original in originals:
        setattr(item, original.field, original.text)
    db.session.flush()
    listing_changed(decision.dialogue_id)
    if isinstance(item, Proposal):
        from dialog.proposals.services import index_for_search

        index_for_search(item)


# Retention and the word list -----------------------------------------------------------


def purge_redacted_originals(days: int) -> int:
    """Delete what redactions took out once it is `days` old."""
    cutoff = utcnow() - timedelta(days=days)
    removed = db.session.execute(
        delete(RedactedOriginal).where(RedactedOriginal.created_at < cutoff)
    ).rowcount
    if removed:
        audit.record("moderation.redacted_originals_purged", count=removed, days=days)
    return removed


def add_screened_word(word: str, *, by) -> bool:
    """False when the word was on the list already."""
    row = ScreenedWord(word=word.strip().casefold(), added_by_id=by.id)
    if not add_unless_taken(row):
        return False
    audit.record("moderation.word_added", actor=by, target=row, word=row.word)
    return True


def remove_screened_word(word_id: int, *, by) -> None:
    row = db.session.get(ScreenedWord, word_id)
    if row is not None:
        audit.record("moderation.word_removed", actor=by, target=row, word=row.word)
        db.session.delete(row)
        db.session.flush()


def _item_column(item: Proposal | Comment) -> str:
    return "comment_id" if isinstance(item, Comment) else "proposal_id"
