"""Flagging, and what a flag sets off. Services flush and never commit."""

from __future__ import annotations

from sqlalchemy import update

from dialog.core import audit, outbox
from dialog.core.db import add_unless_taken
from dialog.core.permissions import Decision, Refused, require
from dialog.dialogues.services import listing_changed
from dialog.extensions import db
from dialog.moderation.models import Flag, FlagReason
from dialog.moderation.permissions import can_flag
from dialog.proposals.models import Comment, Moderation, Proposal


def flag(item: Proposal | Comment, *, by, reason: FlagReason, text: str | None) -> Flag:
    """One account's flag on `item`; the flag that reaches the dialogue's threshold holds
    the item out of sight until a moderator decides."""
    require(can_flag(by, item))
    dialogue = _dialogue_of(item)
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
        _held(item, dialogue)
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


def _held(item: Proposal | Comment, dialogue) -> None:
    if isinstance(item, Comment):
        _leave_counts(item)
    audit.record(
        "moderation.held_by_flags",
        target=item,
        dialogue_id=dialogue.id,
        flags=item.open_flags,
        threshold=dialogue.flag_threshold,
    )
    listing_changed(dialogue.id)


def _leave_counts(comment: Comment) -> None:
    """A comment out of sight no longer counts on its proposal, nor on its parent."""
    db.session.execute(
        update(Proposal)
        .where(Proposal.id == comment.proposal_id)
        .values(comment_count=Proposal.comment_count - 1)
        .execution_options(synchronize_session=False)
    )
    if comment.parent_id is not None:
        db.session.execute(
            update(Comment)
            .where(Comment.id == comment.parent_id)
            .values(reply_count=Comment.reply_count - 1)
            .execution_options(synchronize_session=False)
        )


def _item_column(item: Proposal | Comment) -> str:
    return "comment_id" if isinstance(item, Comment) else "proposal_id"


def _dialogue_of(item: Proposal | Comment):
    return item.proposal.dialogue if isinstance(item, Comment) else item.dialogue
