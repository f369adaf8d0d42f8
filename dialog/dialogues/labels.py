"""What people read for phase kinds, capabilities, dialogue states and settings."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from dialog.dialogues.models import (
    Capability,
    DialogueState,
    PhaseKind,
    Visibility,
    VoteCounts,
    VoteMode,
)

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
# What a resident can do in a phase, in the timeline's "you can" list: only what is the
# reader's to do. What the municipality does in a phase is a note of its own.
RESIDENT_ACTION_LABELS = {
    Capability.propose: _l("make proposals"),
    Capability.comment: _l("comment"),
    Capability.reply: _l("reply to comments"),
    Capability.revise: _l("change your own proposals"),
    Capability.vote: _l("vote"),
}
MUNICIPALITY_NOTES = {
    Capability.answer: _l("The municipality answers the proposals."),
    Capability.show_results: _l("The results are shown."),
}
STATE_LABELS = {
    DialogueState.draft: _l("Draft"),
    DialogueState.published: _l("Published"),
    DialogueState.archived: _l("Archived"),
}
# What an administrator's button does to a dialogue in that state.
STATE_ACTION_LABELS = {
    DialogueState.published: _l("Publish"),
    DialogueState.archived: _l("Archive"),
    DialogueState.draft: _l("Make draft"),
}
VISIBILITY_LABELS = {
    Visibility.public: _l("Everyone"),
    Visibility.invited: _l("Invited participants only"),
}
VOTE_MODE_LABELS = {
    VoteMode.for_against: _l("For, against or abstain"),
    VoteMode.support: _l("Support only"),
}
VOTE_COUNTS_LABELS = {
    VoteCounts.live: _l("While voting runs"),
    VoteCounts.after_voting: _l("When the results are published"),
}
