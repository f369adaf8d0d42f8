"""What people read for phase kinds, capabilities and dialogue states."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from dialog.dialogues.models import Capability, DialogueState, PhaseKind

KIND_LABELS = {
    PhaseKind.information: _l("Information"),
    PhaseKind.proposals: _l("Proposals"),
    PhaseKind.dialogue: _l("Dialogue"),
    PhaseKind.voting: _l("Voting"),
    PhaseKind.review: _l("Review"),
    PhaseKind.result: _l("Result"),
}
CAPABILITY_LABELS = {
    Capability.propose: _l("make proposals"),
    Capability.comment: _l("comment"),
    Capability.reply: _l("reply to comments"),
    Capability.revise: _l("revise own proposals"),
    Capability.vote: _l("vote"),
    Capability.answer: _l("official answers"),
    Capability.show_results: _l("results shown"),
}
STATE_LABELS = {
    DialogueState.draft: _l("Draft"),
    DialogueState.published: _l("Published"),
    DialogueState.archived: _l("Archived"),
}
