"""Reads for "My page": the person's own proposals, comments, votes and follows, each
with where it stands now and the answer it got.

Only rows that are the person's own are read (written by them, cast by them, followed by
them), so nobody else's appear whoever asks, staff included. What the rows point at is
shown as the visibility rules let the person see it now (dialog/proposals/visibility.py):
their own proposals and comments always, with the moderators' reason when out of sight,
but without a link or the dialogue's name once the dialogue is closed to them (made a
draft or invite-only); votes and follows only where the proposal's page still opens for
them, a held or hidden proposal of someone else's by its reference and the reason, never
its title or its answer. Answers are the published ones, never a draft.

A page costs a fixed number of statements whatever the person has done: each section is
one capped statement, then the dialogues, answers, allowances and moderators' decisions
of all rows together.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from dialog.core.paging import PageLinks
from dialog.core.permissions import Decision
from dialog.dialogues.models import Capability, Dialogue, DialogueFollow, Phase
from dialog.dialogues.permissions import can_see_vote_counts, phase_allows
from dialog.dialogues.queries import schedule_options
from dialog.dialogues.visibility import visible_dialogues
from dialog.extensions import db
from dialog.moderation.queries import latest_decisions_about
from dialog.proposals.models import (
    Ballot,
    Comment,
    OfficialAnswer,
    Proposal,
    ProposalFollow,
    Vote,
)
from dialog.proposals.visibility import (
    can_see_comment,
    can_see_proposal,
    content_shown_to,
    findable_proposals,
)

# Rows per section on the page itself, and per page of a section's full list.
OVERVIEW_ROWS = 5
PAGE_SIZE = 25
# The page's sections, in the order it shows them; each has a full list of its own.
SECTIONS = ("proposals", "comments", "votes", "following_dialogues", "following_proposals")


# What the page shows about each row ----------------------------------------------------


@dataclass
class SeenProposal:
    """A proposal as the person may see it now."""

    proposal: Proposal
    opens: bool  # its page opens for them
    words_shown: bool  # its title (and answer) are theirs to read
    answer: OfficialAnswer | None = None  # published, and only with its words
    # Whether the schedule takes votes on it now, or why not ("Voting opens 12 March").
    voting: Decision = field(default_factory=lambda: Decision.deny("vote_closed"))
    counts_shown: bool = False  # the dialogue shows its vote counts now


@dataclass
class OwnItem:
    """One of the person's proposals or comments, with the moderators' latest decision
    about it and the review asked for, if any."""

    key: str
    item: Proposal | Comment
    about: SeenProposal
    opens: bool
    decision: tuple | None = None


@dataclass
class VoteRow:
    vote: Vote
    about: SeenProposal
    votes_used: int | None = None  # of the dialogue's allowance, where it has one


@dataclass
class FollowedDialogue:
    dialogue: Dialogue
    phase: Phase | None


@dataclass
class Section:
    name: str
    total: int
    rows: list = field(default_factory=list)

    @property
    def more(self) -> bool:
        return self.total > len(self.rows)


@dataclass
class SectionPage(PageLinks):
    """One page of a section's full list, with what the page links need."""

    section: Section
    page: int
    per_page: int

    @property
    def total(self) -> int:
        return self.section.total


# The page and a section's full list ----------------------------------------------------


def overview(user) -> dict[str, Section]:
    """Every section with its count and its latest rows."""
    totals = _totals(user, SECTIONS)
    found = {name: _rows(user, name, limit=OVERVIEW_ROWS, offset=0) for name in SECTIONS}
    return _sections(user, found, totals)


def section_page(user, name: str, page: int) -> SectionPage:
    """One page of one section; a page past the end shows the last one."""
    total = _totals(user, (name,))[name]
    pages = max(-(-total // PAGE_SIZE), 1)
    page = min(max(page, 1), pages)
    found = {name: _rows(user, name, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)}
    return SectionPage(_sections(user, found, {name: total})[name], page, PAGE_SIZE)


# Which rows are the person's --------------------------------------------------------------


def _own_proposals(user) -> Select:
    return (
        select(Proposal)
        .where(Proposal.author_id == user.id)
        .order_by(Proposal.created_at.desc(), Proposal.id.desc())
    )


def _own_comments(user) -> Select:
    return (
        select(Comment)
        .options(joinedload(Comment.proposal))
        .where(Comment.author_id == user.id, Comment.deleted_at.is_(None))
        .order_by(Comment.created_at.desc(), Comment.id.desc())
    )


def _votes(user) -> Select:
    return (
        select(Vote, Proposal)
        .join(Proposal, Proposal.id == Vote.proposal_id)
        .where(Vote.user_id == user.id, findable_proposals(user))
        .order_by(Vote.cast_at.desc(), Vote.id.desc())
    )


def _followed_dialogues(user) -> Select:
    return (
        select(Dialogue)
        .join(DialogueFollow, DialogueFollow.dialogue_id == Dialogue.id)
        .where(DialogueFollow.user_id == user.id, visible_dialogues(user))
        .order_by(DialogueFollow.created_at.desc(), DialogueFollow.id.desc())
    )


def _followed_proposals(user) -> Select:
    return (
        select(Proposal)
        .join(ProposalFollow, ProposalFollow.proposal_id == Proposal.id)
        .where(ProposalFollow.user_id == user.id, findable_proposals(user))
        .order_by(ProposalFollow.created_at.desc(), ProposalFollow.id.desc())
    )


QUERIES = {
    "proposals": _own_proposals,
    "comments": _own_comments,
    "votes": _votes,
    "following_dialogues": _followed_dialogues,
    "following_proposals": _followed_proposals,
}


def _totals(user, names) -> dict[str, int]:
    """Each section's count, all in one statement."""
    counts = [
        select(func.count())
        .select_from(QUERIES[name](user).order_by(None).subquery())
        .scalar_subquery()
        .label(name)
        for name in names
    ]
    return dict(db.session.execute(select(*counts)).one()._mapping)


def _rows(user, name: str, *, limit: int, offset: int) -> list:
    result = db.session.execute(QUERIES[name](user).limit(limit).offset(offset))
    return list(result.all() if name == "votes" else result.scalars().unique())


# What the rows point at, for all of them at once ----------------------------------------


def _sections(user, found: dict[str, list], totals: dict[str, int]) -> dict[str, Section]:
    proposals = _proposals_of(found)
    dialogues = _load_dialogues({p.dialogue_id for p in proposals} | _dialogue_ids(found))
    seen = _seen(user, proposals)
    own = [*found.get("proposals", ()), *found.get("comments", ())]
    decisions = latest_decisions_about(
        user,
        [item.id for item in own if isinstance(item, Proposal)],
        [item.id for item in own if isinstance(item, Comment)],
    )
    builders = {
        "proposals": lambda rows: [_own_item(user, p, seen, decisions) for p in rows],
        "comments": lambda rows: [_own_item(user, c, seen, decisions) for c in rows],
        "votes": lambda rows: _vote_rows(user, rows, seen),
        "following_dialogues": lambda rows: [
            FollowedDialogue(dialogues[d.id], dialogues[d.id].current_phase) for d in rows
        ],
        "following_proposals": lambda rows: [seen[p.id] for p in rows],
    }
    return {name: Section(name, totals[name], builders[name](rows)) for name, rows in found.items()}


def _proposals_of(found: dict[str, list]) -> list[Proposal]:
    proposals = {}
    for row in found.get("proposals", ()):
        proposals[row.id] = row
    for row in found.get("comments", ()):
        proposals[row.proposal.id] = row.proposal
    for _vote, proposal in found.get("votes", ()):
        proposals[proposal.id] = proposal
    for row in found.get("following_proposals", ()):
        proposals[row.id] = row
    return list(proposals.values())


def _dialogue_ids(found: dict[str, list]) -> set[int]:
    return {dialogue.id for dialogue in found.get("following_dialogues", ())}


def _load_dialogues(ids: set[int]) -> dict[int, Dialogue]:
    """The rows' dialogues with what their permissions read (phases, planners): after
    this a proposal's dialogue comes from the session, not from another statement."""
    if not ids:
        return {}
    return {
        d.id: d
        for d in db.session.scalars(
            select(Dialogue).options(*schedule_options()).where(Dialogue.id.in_(ids))
        )
    }


def _seen(user, proposals: list[Proposal]) -> dict[int, SeenProposal]:
    answers = _published_answers([p.id for p in proposals])
    seen = {}
    for proposal in proposals:
        opens = bool(can_see_proposal(user, proposal))
        words = opens and content_shown_to(user, proposal)
        seen[proposal.id] = SeenProposal(
            proposal,
            opens=opens,
            words_shown=words,
            answer=answers.get(proposal.id) if words else None,
            voting=_voting(proposal) if words else Decision.deny("out_of_sight"),
            counts_shown=bool(can_see_vote_counts(user, proposal.dialogue)),
        )
    return seen


def _published_answers(proposal_ids: list[int]) -> dict[int, OfficialAnswer]:
    """Only what residents may read: an answer still in draft is not there."""
    if not proposal_ids:
        return {}
    return {
        answer.proposal_id: answer
        for answer in db.session.scalars(
            select(OfficialAnswer).where(
                OfficialAnswer.proposal_id.in_(proposal_ids),
                OfficialAnswer.published_at.is_not(None),
            )
        )
    }


def _voting(proposal: Proposal) -> Decision:
    """Whether the schedule takes votes on the proposal now, or why not. The proposal's
    page makes the whole decision (a block, a used-up allowance) when the person goes to
    vote: blocks are read per dialogue, a statement each, which this page cannot afford."""
    if proposal.is_withdrawn:
        return Decision.deny("proposal_withdrawn")
    if not proposal.is_shown:
        return Decision.deny("out_of_sight")
    if proposal.dialogue.is_archived:
        return Decision.deny("dialogue_archived")
    return phase_allows(proposal.dialogue, Capability.vote)


def _own_item(user, item, seen: dict[int, SeenProposal], decisions) -> OwnItem:
    if isinstance(item, Comment):
        key, about, opens = f"c{item.id}", seen[item.proposal_id], bool(can_see_comment(user, item))
    else:
        key, about = f"p{item.id}", seen[item.id]
        opens = about.opens
    return OwnItem(key, item, about, opens, decisions.get(key))


def _vote_rows(user, rows, seen: dict[int, SeenProposal]) -> list[VoteRow]:
    limited = {p.dialogue_id for _vote, p in rows if p.dialogue.votes_per_participant}
    used = _votes_used(user, limited)
    return [
        VoteRow(
            vote,
            seen[proposal.id],
            used.get(proposal.dialogue_id, 0) if proposal.dialogue_id in limited else None,
        )
        for vote, proposal in rows
    ]


def _votes_used(user, dialogue_ids: set[int]) -> dict[int, int]:
    if not dialogue_ids:
        return {}
    return dict(
        db.session.execute(
            select(Ballot.dialogue_id, Ballot.votes_used).where(
                Ballot.user_id == user.id, Ballot.dialogue_id.in_(dialogue_ids)
            )
        ).all()
    )
