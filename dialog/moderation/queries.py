"""Reads of flags."""

from __future__ import annotations

from sqlalchemy import exists, select

from dialog.extensions import db
from dialog.moderation.models import Flag
from dialog.proposals.models import Comment


def has_flagged(user, item) -> bool:
    column = Flag.comment_id if isinstance(item, Comment) else Flag.proposal_id
    return db.session.scalar(select(exists().where(column == item.id, Flag.flagger_id == user.id)))
