"""Changes to proposals and votes. Functions flush; the caller commits."""

from __future__ import annotations

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import aliased

from dialog.core import audit, outbox, search
from dialog.core.db import add_unless_taken, insert_ignoring_conflicts, utcnow
from dialog.core.permissions import Decision, Refused, require
from dialog.dialogues.models import Dialogue
from dialog.dialogues.services import listing_changed
from dialog.extensions import db
from dialog.moderation.queries import arrival_state
from dialog.moderation.services import change_counts
from dialog.proposals import permissions, queries
from dialog.proposals.models import (
    MAX_COMMENT_DEPTH,
    AnswerStatus,
    Ballot,
    Comment,
    Moderation,
    OfficialAnswer,
    Proposal,
    ProposalFollow,
    ProposalSequence,
    ProposalState,
    Source,
    Stance,
    Vote,
    VoteValue,
)

COUNTER_FOR = {
    VoteValue.for_: Proposal.votes_for,
    VoteValue.against: Proposal.votes_against,
    VoteValue.abstain: Proposal.votes_abstain,
    VoteValue.support: Proposal.votes_support,
}


def next_number(dialogue: Dialogue) -> int:
    """The dialogue's next reference number. The UPDATE locks the sequence row until the
    transaction ends, so concurrent submissions queue and never share a number."""
    insert_ignoring_conflicts(
        ProposalSequence, {"dialogue_id": dialogue.id, "last_number": 0}, ["dialogue_id"]
    )
    return db.session.scalar(
        update(ProposalSequence)
        .where(ProposalSequence.dialogue_id == dialogue.id)
        .values(last_number=ProposalSequence.last_number + 1)
        .returning(ProposalSequence.last_number)
    )


def create_proposal(
    dialogue: Dialogue,
    *,
    author,
    title: str,
    body: str,
    source: Source = Source.online,
    entered_by=None,
    **fields,
) -> Proposal:
    proposal = Proposal(
        dialogue_id=dialogue.id,
        number=next_number(dialogue),
        author_id=getattr(author, "id", None),
        entered_by_id=getattr(entered_by, "id", None),
        source=source,
        title=title.strip(),
        body=body,
        # What staff enter from a letter or a workshop was read on its way in.
        moderation=Moderation.shown
        if entered_by is not None
        else arrival_state(dialogue, is_proposal=True, texts=(title, body)),
        **fields,
    )
    db.session.add(proposal)
    db.session.flush()
    index_for_search(proposal)
    if author is not None:
        follow(proposal, author)  # authors always follow their own proposals
    if proposal.is_shown:
        announce(proposal)
    else:
        pending_review(proposal, dialogue)
    if entered_by is not None:
        audit.record("proposal_entered", actor=entered_by, target=proposal, source=source.value)
    listing_changed(dialogue.id)
    return proposal


def _locked_ballot(dialogue_id: int, user_id: int) -> Ballot:
    """The person's ballot for the dialogue, locked for the rest of the transaction
    (FOR UPDATE on PostgreSQL; on SQLite the transaction already holds the write lock)."""
    insert_ignoring_conflicts(
        Ballot,
        {"dialogue_id": dialogue_id, "user_id": user_id, "votes_used": 0},
        ["dialogue_id", "user_id"],
    )
    return db.session.scalar(
        select(Ballot)
        .where(Ballot.dialogue_id == dialogue_id, Ballot.user_id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def cast_vote(user, proposal: Proposal, value: VoteValue) -> Vote:
    """Cast or change a vote; the permission is asked again under the ballot lock, so the
    phase, the vote mode and the allowance hold under concurrent requests (Refused)."""
    dialogue = proposal.dialogue
    ballot = _locked_ballot(dialogue.id, user.id)
    now = utcnow()  # the moment the vote is judged by is the moment it is cast
    vote = db.session.scalar(
        select(Vote)
        .where(Vote.proposal_id == proposal.id, Vote.user_id == user.id)
        .execution_options(populate_existing=True)
    )
    _refresh_schedule(proposal)
    standing = permissions.VoteStanding(
        current=vote.value if vote else None, used=ballot.votes_used
    )
    require(permissions.can_vote(user, proposal, value, standing=standing, at=now))
    if vote is not None:
        if vote.value is not value:
            _bump(proposal.id, vote.value, -1)
            _bump(proposal.id, value, +1)
            vote.value, vote.cast_at = value, now
            db.session.flush()
            listing_changed(dialogue.id, texts=False)
        return vote
    vote = Vote(
        proposal_id=proposal.id,
        user_id=user.id,
        dialogue_id=dialogue.id,
        value=value,
        cast_at=now,
    )
    db.session.add(vote)
    follow_if_wished(proposal, user)
    ballot.votes_used += 1
    _bump(proposal.id, value, +1)
    db.session.flush()
    listing_changed(dialogue.id, texts=False)
    return vote


def withdraw_vote(user, proposal: Proposal) -> None:
    dialogue = proposal.dialogue
    ballot = _locked_ballot(dialogue.id, user.id)
    _refresh_schedule(proposal)
    require(permissions.can_withdraw_vote(user, proposal, at=utcnow()))
    vote = db.session.scalar(
        select(Vote).where(Vote.proposal_id == proposal.id, Vote.user_id == user.id)
    )
    if vote is None:
        return
    _bump(proposal.id, vote.value, -1)
    ballot.votes_used -= 1
    db.session.delete(vote)
    db.session.flush()
    listing_changed(dialogue.id, texts=False)


def _refresh_schedule(proposal: Proposal) -> None:
    # Read again under the lock: a vote racing the end of the voting phase (or an admin
    # closing it, or the author withdrawing) is refused even if the page said it was open.
    db.session.expire(proposal.dialogue, ["phases"])
    db.session.refresh(proposal, ["state"])


def _bump(proposal_id: int, value: VoteValue, delta: int) -> None:
    column = COUNTER_FOR[value]
    db.session.execute(
        update(Proposal)
        .where(Proposal.id == proposal_id)
        .values({column: column + delta})
        .execution_options(synchronize_session=False)
    )


def reconcile_counts(dialogue_id: int | None = None) -> int:
    """Rebuild every vote, comment and reply counter and every ballot from the rows;
    returns the proposals fixed."""
    _hold_votes_back(dialogue_id)
    proposals = select(Proposal)
    if dialogue_id is not None:
        proposals = proposals.where(Proposal.dialogue_id == dialogue_id)
    tallies = {
        (row.proposal_id, row.value): row.n
        for row in db.session.execute(
            select(Vote.proposal_id, Vote.value, func.count().label("n")).group_by(
                Vote.proposal_id, Vote.value
            )
        )
    }
    fixed: set[Proposal] = set()
    for proposal in db.session.scalars(proposals):
        for value, column in COUNTER_FOR.items():
            actual = tallies.get((proposal.id, value), 0)
            if getattr(proposal, column.key) != actual:
                setattr(proposal, column.key, actual)
                fixed.add(proposal)
    _reconcile_ballots(dialogue_id)
    db.session.flush()
    # Comments too, under the same proposal locks: a comment moving meanwhile waits.
    miscounted = reconcile_comment_counts(dialogue_id) - {proposal.id for proposal in fixed}
    fixed.update(db.session.get(Proposal, proposal_id) for proposal_id in miscounted)
    for changed_dialogue in sorted({proposal.dialogue_id for proposal in fixed}):
        listing_changed(changed_dialogue, texts=False)
    return len(fixed)


def _hold_votes_back(dialogue_id: int | None) -> None:
    """Lock the ballots and proposals, in the order a vote locks them: votes in flight
    finish first and are counted, later ones wait, and none is overwritten by a tally
    taken before it (SQLite's write lock, taken at BEGIN, already does this)."""
    for model in (Ballot, Proposal):
        rows = select(model.id).order_by(model.id).with_for_update()
        if dialogue_id is not None:
            rows = rows.where(model.dialogue_id == dialogue_id)
        db.session.execute(rows).all()


def _reconcile_ballots(dialogue_id: int | None) -> None:
    # Votes of erased accounts still count for the proposal but belong to no ballot.
    counts = (
        select(Vote.dialogue_id, Vote.user_id, func.count().label("n"))
        .where(Vote.user_id.is_not(None))
        .group_by(Vote.dialogue_id, Vote.user_id)
    )
    if dialogue_id is not None:
        counts = counts.where(Vote.dialogue_id == dialogue_id)
    actual = {(r.dialogue_id, r.user_id): r.n for r in db.session.execute(counts)}
    ballots = select(Ballot)
    if dialogue_id is not None:
        ballots = ballots.where(Ballot.dialogue_id == dialogue_id)
    for ballot in db.session.scalars(ballots):
        ballot.votes_used = actual.pop((ballot.dialogue_id, ballot.user_id), 0)
    for (dialogue, user), used in actual.items():
        db.session.add(Ballot(dialogue_id=dialogue, user_id=user, votes_used=used))


EDITABLE_FIELDS = {
    "title",
    "body",
    "theme",
    "focus_area",
    "dimensions",
    "place_name",
    "place_lat",
    "place_lon",
}


def update_proposal(proposal: Proposal, *, by, **fields) -> None:
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"not editable: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(proposal, name, value)
    db.session.flush()
    index_for_search(proposal)
    audit.record("proposal_edited", actor=by, target=proposal, fields=sorted(fields))
    _screen_again(proposal, proposal.dialogue, (proposal.title, proposal.body))
    listing_changed(proposal.dialogue_id)


def _screen_again(item: Proposal | Comment, dialogue: Dialogue, texts: tuple[str, ...]) -> None:
    """An edited item is screened as a new one is: in a pre-moderated dialogue, or with a
    screened word, it waits for a moderator again."""
    if not item.is_shown or getattr(item, "by_municipality", False):
        return
    if arrival_state(dialogue, is_proposal=isinstance(item, Proposal), texts=texts) is (
        Moderation.shown
    ):
        return
    item.moderation = Moderation.pending
    db.session.flush()
    if isinstance(item, Comment):
        change_counts(item, -1)
    pending_review(item, dialogue, edited_at=utcnow())


def withdraw_proposal(proposal: Proposal, *, by, reason: str) -> None:
    proposal.state = ProposalState.withdrawn
    proposal.withdrawn_reason = reason
    db.session.flush()
    audit.record("proposal_withdrawn", actor=by, target=proposal, reason=reason)
    listing_changed(proposal.dialogue_id)


# Comments ----------------------------------------------------------------------------


def add_comment(
    proposal: Proposal, *, author, body: str, stance: Stance, parent: Comment | None = None
) -> Comment:
    """A comment, or a reply to `parent`; staff write with the municipality's badge."""
    if parent is not None and parent.depth >= MAX_COMMENT_DEPTH:
        # The thread's shape holds for every caller; who may reply is the view's check.
        raise Refused(Decision.deny("thread_too_deep"))
    by_municipality = bool(permissions.can_speak_for_municipality(author, proposal))
    comment = Comment(
        proposal_id=proposal.id,
        parent_id=parent.id if parent else None,
        author_id=author.id,
        depth=parent.depth + 1 if parent else 1,
        stance=stance,
        body=body.strip(),
        by_municipality=by_municipality,
        # The municipality's own words are not held back for its own moderators.
        moderation=Moderation.shown
        if by_municipality
        else arrival_state(proposal.dialogue, is_proposal=False, texts=(body,)),
    )
    db.session.add(comment)
    db.session.flush()
    if comment.is_shown:  # a pending comment counts once a moderator lets it through
        change_counts(comment, 1)
    follow_if_wished(proposal, author)
    if comment.is_shown:
        announce(comment)
    else:
        pending_review(comment, proposal.dialogue)
    listing_changed(proposal.dialogue_id)
    return comment


def announce(item: Proposal | Comment) -> None:
    """Tell whoever follows that a proposal or comment is there to be read: when it is
    posted, or when a moderator lets a pending one through."""
    if isinstance(item, Comment):
        outbox.record(
            "comment_added",
            f"comment:{item.id}:added",
            {"comment_id": item.id, "proposal_id": item.proposal_id},
        )
    else:
        outbox.record(
            "proposal_created",
            f"proposal:{item.id}:created",
            {"proposal_id": item.id, "dialogue_id": item.dialogue_id},
        )


def pending_review(item: Proposal | Comment, dialogue: Dialogue, edited_at=None) -> None:
    """For the dialogue's moderators only: a new (or edited) item waits for their approval."""
    kind = "comment" if isinstance(item, Comment) else "proposal"
    again = f":{edited_at.isoformat()}" if edited_at else ""
    outbox.record(
        "content_pending",
        f"{kind}:{item.id}:pending{again}",
        {f"{kind}_id": item.id, "dialogue_id": dialogue.id},
    )


def edit_comment(comment: Comment, *, body: str, stance: Stance) -> None:
    comment.body, comment.stance, comment.edited_at = body.strip(), stance, utcnow()
    db.session.flush()
    _screen_again(comment, comment.proposal.dialogue, (comment.body,))
    listing_changed(comment.proposal.dialogue_id)


def delete_comment(comment: Comment, *, by) -> None:
    """The text goes; the place in the thread stays, so replies keep their context. A
    shown comment stops counting on its proposal and parent now: a deleted one is out of
    sight like a hidden one, and no later moderation decision counts it again."""
    _lock_comment(comment)
    if comment.is_deleted:  # deleted a moment ago, by the same person in another tab
        return
    if comment.is_shown:
        change_counts(comment, -1)
    comment.deleted_at = utcnow()
    comment.body = ""
    db.session.flush()
    audit.record("comment_deleted", actor=by, target=comment, proposal_id=comment.proposal_id)
    listing_changed(comment.proposal.dialogue_id)  # its count, and what a report may say


def _lock_comment(comment: Comment) -> None:
    """Read the comment again under its row lock (FOR UPDATE on PostgreSQL; SQLite's
    write lock is the transaction's), in the order moderators' actions lock: the comment,
    then its proposal and parent. A decision racing the deletion waits, or is waited for,
    and sees the state the other left."""
    db.session.execute(
        select(Comment)
        .where(Comment.id == comment.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()


def reconcile_comment_counts(dialogue_id: int | None = None) -> set[int]:
    """Rebuild the comment and reply counters from what residents can read (shown, not
    deleted); returns the proposals whose counters were wrong. Only wrong rows are
    written, so a run over counters kept right takes no comment lock."""
    fixed: set[int] = set()
    for proposal, actual in db.session.execute(_wrong_counts(Proposal, dialogue_id)):
        proposal.comment_count = actual
        fixed.add(proposal.id)
    for comment, actual in db.session.execute(_wrong_counts(Comment, dialogue_id)):
        comment.reply_count = actual
        fixed.add(comment.proposal_id)
    db.session.flush()
    return fixed


def _wrong_counts(model, dialogue_id: int | None):
    """Rows of `model` (proposals or comments) whose counter differs from a recount."""
    counted = aliased(Comment)
    if model is Proposal:
        link, counter, proposal_id = counted.proposal_id, Proposal.comment_count, Proposal.id
    else:
        link, counter, proposal_id = counted.parent_id, Comment.reply_count, Comment.proposal_id
    actual = (
        select(func.count(counted.id))
        .where(link == model.id, queries.counted_comments(counted))
        .scalar_subquery()
    )
    wrong = select(model, actual).where(counter != actual)
    if dialogue_id is not None:
        in_dialogue = select(Proposal.id).where(Proposal.dialogue_id == dialogue_id)
        wrong = wrong.where(proposal_id.in_(in_dialogue))
    return wrong


# Following ---------------------------------------------------------------------------


def follow(proposal: Proposal, user) -> None:
    insert_ignoring_conflicts(
        ProposalFollow,
        {"proposal_id": proposal.id, "user_id": user.id, "created_at": utcnow()},
        ["proposal_id", "user_id"],
    )


def unfollow(proposal: Proposal, user) -> None:
    db.session.execute(
        delete(ProposalFollow).where(
            ProposalFollow.proposal_id == proposal.id, ProposalFollow.user_id == user.id
        )
    )


def follow_if_wished(proposal: Proposal, user) -> None:
    if user is not None and getattr(user, "follow_what_i_join", False):
        follow(proposal, user)


# Official answers --------------------------------------------------------------------


def save_answer(
    proposal: Proposal,
    *,
    status: AnswerStatus,
    body: str,
    publish: bool,
    by,
    department: str | None = None,
) -> OfficialAnswer:
    """Save the municipality's answer as a draft, or publish it; every change is audited."""
    body, department = body.strip(), (department or "").strip() or None
    answer = _answer_of(proposal) or _first_answer(proposal, status, body)
    shown_status = answer.status if answer.is_published else None
    if publish or not answer.is_published:
        if answer.is_published and _public_words(answer) != (status, body, department):
            answer.revised_at = utcnow()  # residents read "updated" beside the first date
        answer.status, answer.body, answer.department = status, body, department
        answer.draft_status = answer.draft_body = answer.draft_department = None
    else:  # the public words stay
        answer.draft_status, answer.draft_body = status, body
        answer.draft_department = department
    if publish and not answer.is_published:
        answer.published_at = utcnow()
    answer.updated_by_id = by.id
    db.session.flush()
    audit.record(
        "answer_published" if publish else "answer_saved",
        actor=by,
        target=proposal,
        status=status.value,
        body=body,
        department=department,
    )
    if publish:
        if status is not shown_status:  # a first answer, or a new decision: news for people
            outbox.record(
                "answer_published",
                f"answer:{answer.id}:{utcnow().isoformat()}",
                {
                    "proposal_id": proposal.id,
                    "answer_id": answer.id,
                    "status": status.value,
                    "previous": shown_status.value if shown_status else None,
                    "answered_by": by.id,
                },
            )
        listing_changed(proposal.dialogue_id, texts=False)  # lists filter by answer status
    return answer


def _public_words(answer: OfficialAnswer) -> tuple:
    return answer.status, answer.body, answer.department


def _answer_of(proposal: Proposal) -> OfficialAnswer | None:
    return db.session.scalar(
        select(OfficialAnswer).where(OfficialAnswer.proposal_id == proposal.id)
    )


def _first_answer(proposal: Proposal, status: AnswerStatus, body: str) -> OfficialAnswer:
    answer = OfficialAnswer(proposal_id=proposal.id, status=status, body=body)
    if add_unless_taken(answer):
        return answer
    # Another planner's first answer was committed a moment ago: this save changes it,
    # as it would have had it come a second later.
    return _answer_of(proposal)


def index_for_search(proposal: Proposal) -> None:
    """SQLite only: keep the FTS5 row in step (PostgreSQL indexes the columns itself)."""
    if db.session.get_bind().dialect.name != "sqlite":
        return
    db.session.execute(
        text("INSERT OR REPLACE INTO proposal_search (rowid, text) VALUES (:id, :text)"),
        {"id": proposal.id, "text": " ".join(search.stems(f"{proposal.title} {proposal.body}"))},
    )
