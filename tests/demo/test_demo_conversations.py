"""The demo's open dialogue reads as conversations about each proposal: no comment is
repeated under another proposal, threads have replies, and the counts match."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from dialog.dialogues.models import Dialogue
from dialog.proposals.models import Comment, Moderation, Proposal


def test_every_proposal_has_its_own_comments_and_some_have_replies(app, db):
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        _check_conversations(db)


def _check_conversations(db) -> None:
    dialogue = db.session.scalar(select(Dialogue).where(Dialogue.slug == "framtidens-stadskarna"))
    rows = db.session.execute(
        select(Proposal.id, Proposal.author_id, Comment.body, Comment.parent_id, Comment.author_id)
        .join(Comment, Comment.proposal_id == Proposal.id)
        .where(Proposal.dialogue_id == dialogue.id, Comment.moderation == Moderation.shown)
    ).all()
    bodies = defaultdict(set)
    for proposal_id, _, body, _, _ in rows:
        bodies[body].add(proposal_id)
    repeated = {body: ids for body, ids in bodies.items() if len(ids) > 1}
    assert repeated == {}
    commented = {row.id for row in rows}
    proposals = db.session.scalars(
        select(Proposal.id).where(Proposal.dialogue_id == dialogue.id)
    ).all()
    assert len(commented) == len(proposals)
    replies = [row for row in rows if row.parent_id is not None]
    assert len(replies) >= 10
    # One thread long enough that the page shows only its first replies.
    per_thread = defaultdict(int)
    for row in replies:
        per_thread[row.parent_id] += 1
    assert max(per_thread.values()) >= 5
    # Nobody comments on their own proposal in the demo.
    assert all(row[1] != row[4] for row in rows if row.parent_id is None)
