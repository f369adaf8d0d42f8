"""A dialogue's contributions as public records: thinning by its retention decision
(gallringsbeslut) and the export staff hand out for a disclosure request (utlämnande).
Functions flush; the caller commits."""

from __future__ import annotations

import calendar
import json
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import joinedload

from dialog.core import audit
from dialog.core.db import utcnow
from dialog.core.export import csv_text
from dialog.dialogues.models import Capability, Dialogue, RetentionAction
from dialog.dialogues.services import listing_changed
from dialog.extensions import db
from dialog.proposals.models import Ballot, Comment, Proposal, ProposalFollow, Vote

# What residents do in a dialogue: it closes when the last phase that lets them ends.
INPUT_CAPABILITIES = frozenset(
    {Capability.propose, Capability.comment, Capability.reply, Capability.revise, Capability.vote}
)


# Retention ----------------------------------------------------------------------------


def closes_at(dialogue: Dialogue) -> datetime | None:
    """When the last phase that takes input ends; None while one is open-ended or none is
    planned (such a dialogue never comes due)."""
    ends = [p.ends_at for p in dialogue.phases if p.capabilities & INPUT_CAPABILITIES]
    if not ends or any(end is None for end in ends):
        return None
    return max(ends)


def add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def thinning_due_at(dialogue: Dialogue) -> datetime | None:
    closed = closes_at(dialogue)
    if dialogue.retention_months is None or closed is None:
        return None
    return add_months(closed, dialogue.retention_months)


def dialogues_due_for_thinning(now: datetime | None = None) -> list[Dialogue]:
    now = now or utcnow()
    candidates = db.session.scalars(
        select(Dialogue)
        .where(Dialogue.retention_months.is_not(None), Dialogue.thinned_at.is_(None))
        .options(joinedload(Dialogue.phases))
    ).unique()
    return [d for d in candidates if (due := thinning_due_at(d)) is not None and due <= now]


def thin(dialogue: Dialogue) -> dict[str, int]:
    """Apply the dialogue's retention decision once: anonymise or remove its contributions."""
    proposal_ids = select(Proposal.id).where(Proposal.dialogue_id == dialogue.id)
    if dialogue.retention_action is RetentionAction.remove:
        done = _remove(dialogue, proposal_ids)
    else:
        done = _anonymise(dialogue, proposal_ids)
    done["ballots"] = db.session.execute(
        delete(Ballot).where(Ballot.dialogue_id == dialogue.id)
    ).rowcount
    dialogue.thinned_at = utcnow()
    db.session.flush()
    listing_changed(dialogue.id)
    audit.record(
        "dialogue_thinned",
        target=dialogue,
        decision=dialogue.retention_action.value,
        months=dialogue.retention_months,
        rows=done,
    )
    return done


def _anonymise(dialogue: Dialogue, proposal_ids) -> dict[str, int]:
    def unlink(model, condition, **values) -> int:
        return db.session.execute(
            update(model)
            .where(condition)
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount

    return {
        "proposals": unlink(
            Proposal,
            Proposal.dialogue_id == dialogue.id,
            author_id=None,
            entered_by_id=None,
            sender_name=None,
        ),
        "comments": unlink(Comment, Comment.proposal_id.in_(proposal_ids), author_id=None),
        "votes": unlink(Vote, Vote.dialogue_id == dialogue.id, user_id=None),
        "follows": db.session.execute(
            delete(ProposalFollow).where(ProposalFollow.proposal_id.in_(proposal_ids))
        ).rowcount,
    }


def _remove(dialogue: Dialogue, proposal_ids) -> dict[str, int]:
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(
            text(
                "DELETE FROM proposal_search WHERE rowid IN "
                "(SELECT id FROM proposal WHERE dialogue_id = :id)"
            ),
            {"id": dialogue.id},
        )
    comments = db.session.scalar(
        select(db.func.count()).select_from(Comment).where(Comment.proposal_id.in_(proposal_ids))
    )
    # Comments, votes, answers and follows go with their proposals (ON DELETE CASCADE).
    proposals = db.session.execute(
        delete(Proposal)
        .where(Proposal.dialogue_id == dialogue.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire_all()
    return {"proposals": proposals, "comments": comments}


# Disclosure ---------------------------------------------------------------------------

RECORD_COLUMNS = (
    "reference",
    "kind",
    "comment_id",
    "author",
    "source",
    "created_at",
    "state",
    # shown, pending, held or hidden: what residents see of it, counted apart in reports
    "moderation",
    "title",
    "body",
)


def _proposal_author(proposal: Proposal) -> str:
    if proposal.author is not None:
        return proposal.author.public_name
    return _("Deleted participant") if proposal.came_online else _("Entered by the municipality")


def disclosure_records(dialogue: Dialogue) -> list[dict[str, str]]:
    """Every proposal and comment of the dialogue, authors named as the pages name them."""
    proposals = db.session.scalars(
        select(Proposal)
        .where(Proposal.dialogue_id == dialogue.id)
        .options(joinedload(Proposal.author), joinedload(Proposal.dialogue))
        .order_by(Proposal.number)
    ).all()
    comments = db.session.scalars(
        select(Comment)
        .where(Comment.proposal_id.in_([p.id for p in proposals]))
        .options(joinedload(Comment.author))
        .order_by(Comment.proposal_id, Comment.created_at, Comment.id)
    ).all()
    by_proposal: dict[int, list[Comment]] = {}
    for comment in comments:
        by_proposal.setdefault(comment.proposal_id, []).append(comment)
    records = []
    for proposal in proposals:
        records.append(
            {
                "reference": proposal.reference,
                "kind": "proposal",
                "comment_id": "",
                "author": _proposal_author(proposal),
                "source": proposal.source.value,
                "created_at": proposal.created_at.isoformat(),
                "state": proposal.state.value,
                "moderation": proposal.moderation.value,
                "title": proposal.title,
                "body": proposal.body,
            }
        )
        for comment in by_proposal.get(proposal.id, []):
            records.append(
                {
                    "reference": proposal.reference,
                    "kind": "comment",
                    "comment_id": str(comment.id),
                    "author": comment.author.public_name
                    if comment.author
                    else _("Deleted participant"),
                    "source": "online",
                    "created_at": comment.created_at.isoformat(),
                    "state": "deleted" if comment.is_deleted else "published",
                    "moderation": comment.moderation.value,
                    "title": "",
                    "body": comment.body,
                }
            )
    return records


def as_csv(records: list[dict[str, str]]) -> str:
    return csv_text(RECORD_COLUMNS, ([record[c] for c in RECORD_COLUMNS] for record in records))


def as_json(dialogue: Dialogue, records: list[dict[str, str]]) -> str:
    return json.dumps(
        {
            "dialogue": {"slug": dialogue.slug, "title": dialogue.title},
            "exported_at": utcnow().isoformat(),
            "records": records,
        },
        ensure_ascii=False,
        indent=2,
    )


def record_disclosure(dialogue: Dialogue, *, by, format: str, count: int) -> None:
    audit.record("records_disclosed", actor=by, target=dialogue, format=format, records=count)
