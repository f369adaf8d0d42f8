"""Proposals for tests."""

from __future__ import annotations

from dialog.accounts.models import User
from dialog.dialogues.models import Dialogue
from dialog.proposals import services


def make_proposal(db, dialogue, author=None, **fields):
    """A published proposal, committed; the author may be any object with an id."""
    proposal = services.create_proposal(
        db.session.get(Dialogue, dialogue.id),
        author=db.session.get(User, author.id) if author else None,
        title=fields.pop("title", "Bänkar vid kanalen"),
        body=fields.pop("body", "Fler bänkar."),
        **fields,
    )
    db.session.commit()
    return proposal
