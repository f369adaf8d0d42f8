"""Changes to dialogues. Functions flush; the caller commits."""

from __future__ import annotations

from dialog.core import audit
from dialog.dialogues.models import Dialogue, DialogueState
from dialog.extensions import db


def create_dialogue(
    *,
    slug: str,
    title: str,
    summary: str,
    background: str = "",
    place_name: str = "",
    state: DialogueState = DialogueState.draft,
    by=None,
) -> Dialogue:
    dialogue = Dialogue(
        slug=slug,
        title=title,
        summary=summary,
        background=background,
        place_name=place_name,
        state=state,
    )
    db.session.add(dialogue)
    db.session.flush()
    audit.record("dialogue_created", actor=by, target=dialogue)
    return dialogue
