"""What the notification tests share: delivering everything owed, and making the events
that notify through the real services."""

from __future__ import annotations

from sqlalchemy import select

from dialog.accounts.models import User
from dialog.extensions import db
from dialog.notifications import services
from dialog.notifications.models import Delivery, DeliveryStatus, Notification
from dialog.proposals import services as proposal_services
from dialog.proposals.models import AnswerStatus, Comment, Proposal, Stance
from tests.support import run_task


def deliver(app, mailbox) -> None:
    """Every pending outbox delivery (fan-out chunks too), then every email owed, by the
    subscribers' and the mail task's own code in this process."""
    while mailbox.deliver():
        pass
    pending = db.session.scalars(
        select(Delivery.id).where(Delivery.status == DeliveryStatus.pending)
    ).all()
    if pending:
        run_task(app, services.SEND_TASK, list(pending))


def fresh(model, row):
    return db.session.get(model, row.id)


def comment(proposal, author, body="Bra idé", parent=None) -> Comment:
    made = proposal_services.add_comment(
        fresh(Proposal, proposal),
        author=fresh(User, author),
        body=body,
        stance=Stance.for_,
        parent=fresh(Comment, parent) if parent is not None else None,
    )
    db.session.commit()
    return made


def answer(proposal, planner, status=AnswerStatus.accepted) -> None:
    proposal_services.save_answer(
        fresh(Proposal, proposal),
        status=status,
        body="Vi gör så.",
        publish=True,
        by=fresh(User, planner),
    )
    db.session.commit()


def notifications_of(user_id) -> list[Notification]:
    db.session.expire_all()
    return db.session.scalars(
        select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)
    ).all()
