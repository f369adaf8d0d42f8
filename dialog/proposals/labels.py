"""What people read for dimensions, votes, sorts, stances, answers and sources."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from dialog.proposals.models import AnswerStatus, Dimension, Source, Stance, VoteValue

DIMENSION_LABELS = {
    Dimension.economic: _l("Economic"),
    Dimension.ecological: _l("Ecological"),
    Dimension.social: _l("Social"),
}
VOTE_LABELS = {
    VoteValue.for_: _l("For"),
    VoteValue.against: _l("Against"),
    VoteValue.abstain: _l("Abstain"),
    VoteValue.support: _l("Support"),
}
# Keyed by the `sort` query parameter: sorts are orders of a query, not an enum.
SORT_LABELS = {
    "newest": _l("Newest"),
    "support": _l("Most support"),
    "agreement": _l("Highest agreement"),
    "discussed": _l("Most discussed"),
    "divided": _l("Most divided"),
    "random": _l("Random order"),
}
STANCE_LABELS = {
    Stance.for_: _l("For"),
    Stance.neutral: _l("Neutral"),
    Stance.against: _l("Against"),
}
ANSWER_LABELS = {
    AnswerStatus.under_review: _l("Under review"),
    AnswerStatus.accepted: _l("Accepted"),
    AnswerStatus.partly_accepted: _l("Partly accepted"),
    AnswerStatus.rejected: _l("Rejected"),
    AnswerStatus.implemented: _l("Implemented"),
}
SOURCE_LABELS = {
    Source.online: _l("Online"),
    Source.workshop: _l("Workshop"),
    Source.letter: _l("Letter"),
    Source.phone: _l("Phone"),
    Source.email: _l("Email"),
    Source.import_: _l("Import"),
}
# What the vote buttons say, for each value a dialogue may use.
VOTE_BUTTON_LABELS = {
    VoteValue.for_: _l("Vote for"),
    VoteValue.against: _l("Vote against"),
    VoteValue.abstain: _l("Abstain"),
    VoteValue.support: _l("Support the proposal"),
}

# On the similar-proposals step, the vote that backs an existing proposal instead.
BACK_INSTEAD_LABELS = {
    VoteValue.for_: _l("Vote for this proposal instead"),
    VoteValue.support: _l("Support this proposal instead"),
}
