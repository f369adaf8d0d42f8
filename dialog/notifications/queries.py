"""Who hears of what: each event's audiences as queries of account ids, and what a
person's notification list and bell show."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, and_, case, exists, func, literal, or_, select, union
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.elements import ColumnElement

from dialog.accounts.models import Role, User
from dialog.core.db import utcnow
from dialog.dialogues.models import Dialogue, DialogueFollow, DialoguePlanner, Phase
from dialog.dialogues.visibility import viewers_of, visible_dialogues
from dialog.extensions import db
from dialog.moderation.models import Block, ModerationDecision, ReviewRequest
from dialog.notifications.models import (
    DEFAULT_FREQUENCY,
    Category,
    Delivery,
    DeliveryStatus,
    Frequency,
    Notification,
    Preference,
)
from dialog.proposals.models import Comment, OfficialAnswer, Proposal, ProposalFollow, Vote


@dataclass(frozen=True)
class Audience:
    """The people who hear of one event in one way ("a comment on your proposal")."""

    kind: str
    category: Category
    people: Select  # of user ids; who acted is left out by the audience itself
    dialogue: Dialogue
    proposal_id: int | None = None
    comment_id: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    # Notices about a person's own content reach them even while they are blocked.
    despite_block: bool = False


def audiences(kind: str, payload: dict[str, Any]) -> list[Audience]:
    """Most particular first: someone in two audiences hears of it in the first."""
    found = AUDIENCES.get(kind)
    return found(payload) if found else []


def _ids(*user_ids: int | None) -> Select:
    return select(User.id).where(User.id.in_([i for i in user_ids if i is not None]))


def _comment_added(payload) -> list[Audience]:
    comment = db.session.get(Comment, payload["comment_id"])
    # Hidden before the worker came to it (a moderator was quicker): nothing to read.
    if comment is None or not comment.is_shown or not comment.proposal.is_shown:
        return []
    if comment.author_id is None and comment.parent_id is None:
        return _on_proposal(comment)
    found = []
    if comment.parent_id is not None:
        parent = db.session.get(Comment, comment.parent_id)
        if parent is not None and parent.author_id not in (None, comment.author_id):
            found.append(
                Audience(
                    "reply",
                    Category.comments,
                    _ids(parent.author_id),
                    comment.proposal.dialogue,
                    proposal_id=comment.proposal_id,
                    comment_id=comment.id,
                )
            )
    return found + _on_proposal(comment)


def _on_proposal(comment: Comment) -> list[Audience]:
    proposal = comment.proposal
    if proposal.author_id in (None, comment.author_id):
        return []
    return [
        Audience(
            "comment_on_proposal",
            Category.comments,
            _ids(proposal.author_id),
            proposal.dialogue,
            proposal_id=proposal.id,
            comment_id=comment.id,
        )
    ]


def _answer_published(payload) -> list[Audience]:
    proposal = db.session.get(Proposal, payload["proposal_id"])
    if proposal is None or not proposal.is_shown:
        return []
    answer = db.session.get(OfficialAnswer, payload["answer_id"])
    # The decision as it was published: the answer may have changed again since.
    status = payload.get("status") or (answer.status.value if answer is not None else None)
    answerer = payload.get("answered_by") or (answer.updated_by_id if answer else None)
    followers = select(ProposalFollow.user_id).where(ProposalFollow.proposal_id == proposal.id)
    voters = select(Vote.user_id).where(Vote.proposal_id == proposal.id, Vote.user_id.is_not(None))
    interested = union(followers, voters).subquery()
    others = select(User.id).where(
        User.id.in_(select(interested.c[0])),
        User.id != func.coalesce(proposal.author_id, 0),
        User.id != func.coalesce(answerer, 0),
    )
    common = {
        "proposal_id": proposal.id,
        "params": {"status": status, "previous": payload.get("previous")},
    }
    found = [Audience("answer_on_followed", Category.answers, others, proposal.dialogue, **common)]
    if proposal.author_id is not None:
        found.insert(
            0,
            Audience(
                "answer_on_mine",
                Category.answers,
                _ids(proposal.author_id),
                proposal.dialogue,
                **common,
            ),
        )
    return found


def _phase_event(kind: str):
    def audience(payload) -> list[Audience]:
        phase = db.session.get(Phase, payload["phase_id"])
        if phase is None:
            return []
        followers = select(DialogueFollow.user_id).where(
            DialogueFollow.dialogue_id == phase.dialogue_id
        )
        return [
            Audience(
                kind,
                Category.phases,
                select(User.id).where(User.id.in_(followers)),
                phase.dialogue,
                params={"phase": phase.title},
            )
        ]

    return audience


def _own_content(kind_of):
    """A notice to the author of a proposal or comment about a moderator's decision."""

    def audience(payload) -> list[Audience]:
        item = _item(payload)
        author_id = payload.get("author_id")
        if item is None or author_id is None:
            return []
        dialogue = item.dialogue if isinstance(item, Proposal) else item.proposal.dialogue
        kind, params = kind_of(payload)
        return [
            Audience(
                kind,
                Category.my_content,
                _ids(author_id),
                dialogue,
                proposal_id=item.id if isinstance(item, Proposal) else item.proposal_id,
                comment_id=item.id if isinstance(item, Comment) else None,
                params=params,
                despite_block=True,
            )
        ]

    return audience


def _item(payload) -> Proposal | Comment | None:
    if payload.get("comment_id"):
        return db.session.get(Comment, payload["comment_id"])
    if payload.get("proposal_id"):
        return db.session.get(Proposal, payload["proposal_id"])
    return None


def _decision_notice(payload) -> tuple[str, dict]:
    decision = db.session.get(ModerationDecision, payload["decision_id"])
    reason = decision.reason if decision is not None else None
    return f"content_{payload['action']}", {"reason": reason}


def _review_notice(payload) -> tuple[str, dict]:
    return "review_decided", {"reversed": bool(payload.get("reversed"))}


def _review_decided(payload) -> list[Audience]:
    request = db.session.get(ReviewRequest, payload["review_id"])
    if request is None:
        return []
    decision = request.decision
    item_payload = {
        "author_id": payload.get("author_id"),
        "proposal_id": decision.proposal_id,
        "comment_id": decision.comment_id,
        "reversed": payload.get("reversed"),
    }
    return _own_content(_review_notice)(item_payload)


def _for_moderators(kind: str):
    """New reports, items waiting, review requests: for the dialogue's planners."""

    def audience(payload) -> list[Audience]:
        item = _item(payload) if kind != "review_requested" else _reviewed_item(payload)
        if item is None:
            return []
        dialogue = item.dialogue if isinstance(item, Proposal) else item.proposal.dialogue
        skip = _decider(payload)
        planners = select(DialoguePlanner.user_id).where(DialoguePlanner.dialogue_id == dialogue.id)
        moderators = select(User.id).where(
            User.id.in_(planners),
            User.role.in_((Role.planner, Role.admin)),
            User.id != func.coalesce(skip, 0),
            User.id != func.coalesce(item.author_id, 0),
        )
        return [
            Audience(
                kind,
                Category.moderation,
                moderators,
                dialogue,
                proposal_id=item.id if isinstance(item, Proposal) else item.proposal_id,
                comment_id=item.id if isinstance(item, Comment) else None,
            )
        ]

    return audience


def _reviewed_item(payload):
    decision = db.session.get(ModerationDecision, payload["decision_id"])
    if decision is None:
        return None
    return _item({"proposal_id": decision.proposal_id, "comment_id": decision.comment_id})


def _decider(payload) -> int | None:
    if "decision_id" not in payload:
        return None
    decision = db.session.get(ModerationDecision, payload["decision_id"])
    return decision.moderator_id if decision is not None else None


def _report_ready(payload) -> list[Audience]:
    """The planner who asked, while they are still staff of the dialogue."""
    dialogue = db.session.get(Dialogue, payload["dialogue_id"])
    if dialogue is None or payload.get("requested_by_id") is None:
        return []
    planners = select(DialoguePlanner.user_id).where(DialoguePlanner.dialogue_id == dialogue.id)
    staff = select(User.id).where(
        User.id == payload["requested_by_id"],
        (User.role == Role.admin) | ((User.role == Role.planner) & User.id.in_(planners)),
    )
    params = {"version": payload["version"]}
    return [Audience("report_ready", Category.reports, staff, dialogue, params=params)]


AUDIENCES = {
    "comment_added": _comment_added,
    "answer_published": _answer_published,
    "phase_started": _phase_event("phase_started"),
    "phase_ending_soon": _phase_event("phase_ending_soon"),
    "phase_ended": _phase_event("phase_ended"),
    "content_moderated": _own_content(_decision_notice),
    "content_held": _own_content(lambda payload: ("content_held", {})),
    "moderation_review_decided": _review_decided,
    "content_flagged": _for_moderators("flagged"),
    "content_pending": _for_moderators("pending"),
    "moderation_review_requested": _for_moderators("review_requested"),
    "report_ready": _report_ready,
}


# Who may be told -----------------------------------------------------------------------


def recipients(audience: Audience, *, after: int, limit: int) -> list[int]:
    """The next `limit` people of the audience, by id, who may be told: an open account
    with a confirmed address that may see the dialogue, and not blocked from it unless
    the notice is about their own content."""
    conditions = [
        User.id.in_(audience.people),
        User.id > after,
        User.active.is_(True),
        User.anonymised_at.is_(None),
        User.email_verified_at.is_not(None),
        viewers_of(audience.dialogue),
    ]
    if not audience.despite_block:
        conditions.append(~_blocked_from(audience.dialogue))
    return list(
        db.session.scalars(select(User.id).where(*conditions).order_by(User.id).limit(limit))
    )


def _blocked_from(dialogue: Dialogue) -> ColumnElement[bool]:
    return exists().where(
        Block.user_id == User.id, Block.dialogue_id == dialogue.id, Block.ends_at > utcnow()
    )


def wanting(user_ids: list[int], category: Category, frequency: Frequency) -> list[int]:
    """Those of the people who want email about the category this often."""
    chosen = (
        select(Preference.frequency)
        .where(Preference.user_id == User.id, Preference.category == category)
        .scalar_subquery()
    )
    return list(
        db.session.scalars(
            select(User.id).where(
                User.id.in_(user_ids),
                func.coalesce(chosen, literal(DEFAULT_FREQUENCY.value)) == frequency.value,
            )
        )
    )


def frequencies(user) -> dict[Category, Frequency]:
    return frequencies_of([user.id])[user.id]


def frequencies_of(user_ids) -> dict[int, dict[Category, Frequency]]:
    """How often each of these people wants email of each category, in one query."""
    chosen: dict[int, dict[Category, Frequency]] = {user_id: {} for user_id in user_ids}
    for user_id, category, frequency in db.session.execute(
        select(Preference.user_id, Preference.category, Preference.frequency).where(
            Preference.user_id.in_(list(chosen))
        )
    ):
        chosen[user_id][category] = frequency
    return {
        user_id: {category: mine.get(category, DEFAULT_FREQUENCY) for category in Category}
        for user_id, mine in chosen.items()
    }


# What a person reads -------------------------------------------------------------------


@dataclass
class Group:
    """Unread notifications about the same thing, told as one ("3 new comments")."""

    first: Notification
    count: int


# Notices that only count something ("3 new comments on ...") are told together; the
# others each say something of their own (a reason, a status, a phase) and stay apart.
MERGED_KINDS = ("comment_on_proposal", "reply", "flagged", "pending")


def _group_key(notification: Notification):
    alone = None if notification.kind in MERGED_KINDS else notification.id
    return (notification.kind, notification.proposal_id, notification.dialogue_id, alone)


def still_visible(user) -> ColumnElement[bool]:
    """Notices about dialogues the person may still see: one who has lost access (an
    invitation revoked, a dialogue back to draft) is no longer shown what happened there,
    in the list, the bell or a digest."""
    return or_(
        Notification.dialogue_id.is_(None),
        Notification.dialogue_id.in_(select(Dialogue.id).where(visible_dialogues(user))),
    )


def unread_count(user) -> int:
    """The bell's number: unread notifications, those about the same thing counted once."""
    alone = case((Notification.kind.in_(MERGED_KINDS), None), else_=Notification.id)
    grouped = (
        select(Notification.kind, Notification.proposal_id, Notification.dialogue_id, alone)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None), still_visible(user))
        .distinct()
        .subquery()
    )
    return db.session.scalar(select(func.count()).select_from(grouped))


READ_SHOWN = 30
UNREAD_SHOWN = 500


WITH_SUBJECT = (joinedload(Notification.dialogue), joinedload(Notification.proposal))


def notification_list(user) -> tuple[list[Group], list[Notification]]:
    """Unread ones merged by what they are about, newest first; then the latest read."""
    loaded = WITH_SUBJECT
    unread = db.session.scalars(
        select(Notification)
        .options(*loaded)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None), still_visible(user))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(UNREAD_SHOWN)
    ).all()
    read = db.session.scalars(
        select(Notification)
        .options(*loaded)
        .where(
            Notification.user_id == user.id,
            Notification.read_at.is_not(None),
            still_visible(user),
        )
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(READ_SHOWN)
    ).all()
    return [Group(first, count) for first, count in merged(unread)], list(read)


def merged(notifications) -> list[tuple[Notification, int]]:
    """Those about the same thing told as one: the first of each, and how many."""
    groups: dict[tuple, list] = {}
    for notification in notifications:
        key = _group_key(notification)
        if key in groups:
            groups[key][1] += 1
        else:
            groups[key] = [notification, 1]
    return [(first, count) for first, count in groups.values()]


def same_group(notification: Notification) -> ColumnElement[bool]:
    """The unread notifications told together with this one."""
    if notification.kind not in MERGED_KINDS:
        return Notification.id == notification.id
    return and_(
        Notification.user_id == notification.user_id,
        Notification.read_at.is_(None),
        Notification.kind == notification.kind,
        _same(Notification.proposal_id, notification.proposal_id),
        _same(Notification.dialogue_id, notification.dialogue_id),
    )


def _same(column, value) -> ColumnElement[bool]:
    return column.is_(None) if value is None else column == value


def own_notification(user, notification_id: int) -> Notification | None:
    found = db.session.get(Notification, notification_id)
    return found if found is not None and found.user_id == user.id else None


def _frequency_of_category() -> ColumnElement:
    chosen = (
        select(Preference.frequency)
        .where(
            Preference.user_id == Notification.user_id,
            Preference.category == Notification.category,
        )
        .scalar_subquery()
    )
    return func.coalesce(chosen, literal(DEFAULT_FREQUENCY.value))


def undigested(user_ids, frequency: Frequency) -> ColumnElement[bool]:
    """Notifications of these people that a digest of this frequency is to carry: unread,
    carried by no email yet, in a category they get this often."""
    return and_(
        Notification.user_id.in_(user_ids),
        Notification.mailed_in.is_(None),
        Notification.read_at.is_(None),
        _frequency_of_category() == frequency.value,
    )


def awaiting_digest(frequency: Frequency, key: str, *, after: int, limit: int) -> list[int]:
    """The next people, by id, who have something for this digest and do not have it."""
    has_it = exists().where(Delivery.user_id == Notification.user_id, Delivery.digest_key == key)
    return list(
        db.session.scalars(
            select(Notification.user_id)
            .where(
                Notification.user_id > after,
                Notification.mailed_in.is_(None),
                Notification.read_at.is_(None),
                _frequency_of_category() == frequency.value,
                ~has_it,
            )
            .group_by(Notification.user_id)
            .order_by(Notification.user_id)
            .limit(limit)
        )
    )


def lost_or_retrying(now: datetime) -> ColumnElement[bool]:
    """Deliveries the sweeper is to hand on: one due for a retry; one never tried whose
    task seems lost. While mail is being sent, one never tried is most likely waiting its
    turn in a long mail queue, and handing it on again would only add copies to that
    queue: it is taken for lost only after ten times MAIL_CLAIM_SECONDS."""
    claim = timedelta(seconds=current_app.config["MAIL_CLAIM_SECONDS"])
    if not _mail_is_flowing(now, claim):
        return literal(True)
    return or_(Delivery.attempts > 0, Delivery.next_attempt_at < now - 10 * claim)


def _mail_is_flowing(now: datetime, claim: timedelta) -> bool:
    """A mail sent, or one being sent, within the claim time."""
    last_sent = db.session.scalar(select(func.max(Delivery.sent_at)))
    if last_sent is not None and last_sent > now - claim:
        return True
    return db.session.scalar(
        select(
            exists().where(Delivery.status == DeliveryStatus.pending, Delivery.claimed_until > now)
        )
    )


# What did not get through, for the administrators --------------------------------------

DEAD_LETTERS_SHOWN = 100


def dead_mail() -> tuple[list[tuple[Delivery, User]], int]:
    """The newest notification emails given up on, each with its recipient; and how many
    there are in all."""
    dead = Delivery.status == DeliveryStatus.dead
    rows = db.session.execute(
        select(Delivery, User)
        .join(User, User.id == Delivery.user_id)
        .where(dead)
        .order_by(Delivery.created_at.desc(), Delivery.id.desc())
        .limit(DEAD_LETTERS_SHOWN)
    ).all()
    total = db.session.scalar(select(func.count()).select_from(Delivery).where(dead))
    return [tuple(row) for row in rows], total


def dead_delivery(delivery_id: int) -> Delivery | None:
    return db.session.scalar(
        select(Delivery).where(Delivery.id == delivery_id, Delivery.status == DeliveryStatus.dead)
    )
