"""Who may ask for, follow and read a dialogue's reports."""

from __future__ import annotations

from dialog.core.permissions import Decision
from dialog.dialogues.permissions import staff_only


def can_compile_reports(user, dialogue) -> Decision:
    """The dialogue's planners and administrators: a report before it is published holds
    figures about moderation and answers that are theirs to weigh first."""
    return staff_only(user, dialogue)
