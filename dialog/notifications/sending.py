"""Sending notification email: each delivery claimed before it is sent and marked sent
as soon as the server accepted it, on one connection per batch.

A mail the server accepted is never sent again: a failure after the acceptance (the
QUIT, closing) is not a failure to send, and a worker asked to stop finishes the message
on its way and marks it sent before it stops (`dialog.notifications.stopping`). A worker killed
outright between the acceptance and the commit leaves that one delivery claimed; once the
claim runs out the sweeper sends it again, with the same Message-ID, so a receiver sees
one message.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import timedelta
from email.message import Message

from flask import current_app, render_template
from flask_babel import force_locale
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from dialog.accounts.models import User
from dialog.core import mail, outbox
from dialog.core.db import utcnow
from dialog.core.urls import public_url
from dialog.extensions import db
from dialog.notifications import labels, queries, stopping
from dialog.notifications.models import (
    Category,
    Channel,
    Delivery,
    DeliveryStatus,
    Frequency,
    Notification,
)

log = logging.getLogger(__name__)


def send_batch(delivery_ids: list[int]) -> int:
    """Send what is still owed of these deliveries; returns how many were sent.

    One commit a mail: what became of one (sent, skipped, failed) goes with the claim of
    the next, so each mail is claimed before it is sent and marked sent before the next
    one goes out."""
    sent = 0
    session = db.session()
    expiring = session.expire_on_commit
    # What the batch read stays good for its few seconds: nothing is read again.
    session.expire_on_commit = False
    try:
        batch = _Batch.read(delivery_ids)
        owed = iter(delivery_ids)
        delivery = _claim_next(owed)
        db.session.commit()
        with mail.Transport() as transport:
            while delivery is not None:
                if stopping.requested():
                    _unclaim(delivery)  # for the next worker or the sweeper
                    db.session.commit()
                    break
                outcome = _send_one(transport, delivery, batch)
                if outcome is _Outcome.server_failed:
                    db.session.commit()  # the rest would fail alike; they wait, unclaimed
                    break
                done, delivery = delivery, _claim_next(owed)
                db.session.commit()
                if outcome is _Outcome.sent:
                    sent += 1
                    _log_sent(done)
    finally:
        session.expire_on_commit = expiring
    return sent


@dataclass
class _Batch:
    """The batch's deliveries, who they go to, what they tell and how often each wants
    it: read in four queries for the whole batch, not four per mail. The session's identity map
    holds objects only while something refers to them: this does."""

    deliveries: list[Delivery]
    users: list[User]
    notifications: list[Notification]
    frequencies: dict[int, dict[Category, Frequency]]

    @classmethod
    def read(cls, delivery_ids: list[int]) -> _Batch:
        deliveries = db.session.scalars(select(Delivery).where(Delivery.id.in_(delivery_ids)))
        deliveries = list(deliveries)
        user_ids = {d.user_id for d in deliveries}
        notification_ids = {d.notification_id for d in deliveries if d.notification_id}
        users = db.session.scalars(select(User).where(User.id.in_(user_ids))).all()
        notifications = db.session.scalars(
            select(Notification)
            .options(*queries.WITH_SUBJECT)
            .where(Notification.id.in_(notification_ids))
        ).all()
        frequencies = queries.frequencies_of(user_ids)
        return cls(deliveries, list(users), list(notifications), frequencies)


class _Outcome(enum.Enum):
    sent = "sent"
    not_sent = "not sent"
    server_failed = "the server failed"


def _send_one(transport: mail.Transport, delivery: Delivery, batch: _Batch) -> _Outcome:
    """Send one claimed delivery and flush what became of it; the caller commits."""
    try:
        message = compose(delivery, batch.frequencies)
        if message is None:
            _settle(delivery, DeliveryStatus.skipped)
            return _Outcome.not_sent
        transport.send(message)
    except Exception as error:  # noqa: BLE001  any failure is this delivery's, retried
        db.session.rollback()
        _failed(delivery, error)
        return _Outcome.server_failed if mail.server_fault(error) else _Outcome.not_sent
    _settle(delivery, DeliveryStatus.sent)
    return _Outcome.sent


def _log_sent(delivery: Delivery) -> None:
    log.info(
        "notification delivery %s sent on attempt %s: Message-ID %s",
        delivery.id,
        delivery.attempts,
        message_id(delivery),
        extra={"delivery_id": delivery.id, "outcome": "sent"},
    )


def _claim_next(owed) -> Delivery | None:
    """The next of `owed` this worker may take, claimed (not yet committed)."""
    for delivery_id in owed:
        if delivery := claim(delivery_id):
            return delivery
    return None


def claim(delivery_id: int) -> Delivery | None:
    """Take the delivery unless it is settled, another worker holds it, or its attempts
    are used up (a delivery whose sending kills the worker: `give_up_on_crashed`)."""
    now = utcnow()
    config = current_app.config
    until = now + timedelta(seconds=config["MAIL_CLAIM_SECONDS"])
    # Core statements made once, on the session's connection: the ORM's bulk UPDATE
    # costs more than sending the mail. The batch has read the delivery already.
    attempts = db.session.connection().scalar(
        _CLAIM,
        {"claimed": delivery_id, "now": now, "until": until, "most": config["MAIL_MAX_ATTEMPTS"]},
    )
    if attempts is None:
        return None
    delivery = db.session.get(Delivery, delivery_id)
    set_committed_value(delivery, "attempts", attempts)
    set_committed_value(delivery, "claimed_until", until)
    return delivery


_deliveries = Delivery.__table__
_CLAIM = (
    update(_deliveries)
    .where(
        _deliveries.c.id == bindparam("claimed"),
        _deliveries.c.status == DeliveryStatus.pending,
        _deliveries.c.attempts < bindparam("most"),
        or_(_deliveries.c.claimed_until.is_(None), _deliveries.c.claimed_until < bindparam("now")),
    )
    .values(claimed_until=bindparam("until"), attempts=_deliveries.c.attempts + 1)
    .returning(_deliveries.c.attempts)
)
_SETTLE = (
    update(_deliveries)
    .where(_deliveries.c.id == bindparam("settled"))
    .values(status=bindparam("outcome"), claimed_until=None, sent_at=bindparam("sent"))
)


def _unclaim(delivery: Delivery) -> None:
    """Give back a claim never acted on: the attempt was not made."""
    db.session.execute(
        update(Delivery)
        .where(Delivery.id == delivery.id)
        .values(claimed_until=None, attempts=Delivery.attempts - 1)
        .execution_options(synchronize_session=False)
    )


def give_up_on_crashed() -> int:
    """Deliveries claimed MAIL_MAX_ATTEMPTS times and never settled (each attempt ended
    with the worker, killed in the middle of it): dead, for an administrator to see."""
    now = utcnow()
    crashed = db.session.scalars(
        select(Delivery.id).where(
            Delivery.status == DeliveryStatus.pending,
            Delivery.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"],
            or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now),
        )
    ).all()
    for delivery_id in crashed:
        delivery = db.session.get(Delivery, delivery_id)
        delivery.claimed_until = None
        delivery.last_error = delivery.last_error or "the worker stopped on every attempt"
        _dead(delivery)
    db.session.flush()
    return len(crashed)


def _settle(delivery: Delivery, status: DeliveryStatus) -> None:
    sent_at = utcnow() if status is DeliveryStatus.sent else None
    db.session.connection().execute(
        _SETTLE, {"settled": delivery.id, "outcome": status, "sent": sent_at}
    )


def _failed(delivery: Delivery, error: Exception) -> None:
    """A 5xx is final (and a hard bounce of the address, for a refused mailbox); anything
    else is tried again later, until MAIL_MAX_ATTEMPTS."""
    delivery = db.session.get(Delivery, delivery.id, populate_existing=True)
    delivery.last_error = outbox.without_addresses(mail.error_text(error))[:500]
    delivery.claimed_until = None
    final = isinstance(error, mail.Unsendable) or mail.refused_permanently(error)
    if final or delivery.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        _dead(delivery)
        if mail.refused_for_good(error):
            _suppress(delivery.user_id)
    else:
        wait = backoff(delivery.attempts)
        delivery.next_attempt_at = utcnow() + timedelta(seconds=wait)
        log.warning(
            "notification delivery %s failed on attempt %s (%s); will retry in %.0f s",
            delivery.id,
            delivery.attempts,
            delivery.last_error,
            wait,
            extra={"delivery_id": delivery.id, "outcome": "retrying"},
        )
    db.session.flush()


def _dead(delivery: Delivery) -> None:
    delivery.status = DeliveryStatus.dead
    log.error(
        "notification delivery %s is dead after %s attempts (%s)",
        delivery.id,
        delivery.attempts,
        delivery.last_error,
        extra={"delivery_id": delivery.id, "outcome": "dead"},
    )


def backoff(attempts: int) -> float:
    return outbox.backoff(current_app.config["MAIL_RETRY_AFTER_SECONDS"], attempts)


def _suppress(user_id: int) -> None:
    """A hard bounce: no more notification mail to the address until it is confirmed
    again."""
    db.session.execute(
        update(User)
        .where(User.id == user_id)
        .values(mail_bounced_at=utcnow())
        .execution_options(synchronize_session=False)
    )


# Composing -----------------------------------------------------------------------------


def compose(delivery: Delivery, frequencies=None) -> Message | None:
    """The email, built now (links and their tokens too), or None when it is no longer
    owed: the account closed, the address unconfirmed or bouncing, the email turned off.
    `frequencies`: each person's choices, read already."""
    user = db.session.get(User, delivery.user_id)
    if not may_receive(user):
        return None
    chosen = (frequencies or {}).get(user.id) or queries.frequencies(user)
    if delivery.channel is Channel.email:
        notification = delivery.notification_id and db.session.get(
            Notification, delivery.notification_id, options=queries.WITH_SUBJECT
        )
        if notification is None:
            return None
        if chosen[notification.category] is not Frequency.immediately:
            _leave_to_digest(notification)
            return None
        items = [(notification, 1)]
        categories = [notification.category]
        template = "notification"
    else:
        items = _digest_items(user, delivery.digest_key, chosen)
        if not items:
            return None
        categories = sorted({n.category for n, _ in items}, key=lambda c: c.value)
        template = "digest"
    return _message(user, delivery, template, items, categories)


def _leave_to_digest(notification: Notification) -> None:
    """The person chose a digest for this category after the email (or another digest)
    was queued: the notice waits for that digest instead of being mailed by none."""
    notification.mailed_in = None
    db.session.flush()


def may_receive(user: User | None) -> bool:
    return (
        user is not None
        and user.active
        and user.anonymised_at is None
        and user.email_verified_at is not None
        and user.mail_bounced_at is None
    )


def _digest_items(user: User, digest_key: str, chosen) -> list[tuple[Notification, int]]:
    """What the digest carries: only what the person still wants this often. A choice
    changed after the digest was queued holds for it too: email turned off, or another
    digest, which then carries those notices instead."""
    period = Frequency(digest_key.split(":")[0])
    carried = []
    for notification in _queued_in(user, digest_key):
        if chosen[notification.category] is period:
            carried.append(notification)
        elif chosen[notification.category] in (Frequency.daily, Frequency.weekly):
            _leave_to_digest(notification)
    return queries.merged(carried)


def _queued_in(user: User, digest_key: str) -> list[Notification]:
    return db.session.scalars(
        select(Notification)
        .options(*queries.WITH_SUBJECT)
        .where(
            Notification.user_id == user.id,
            Notification.mailed_in == digest_key,
            queries.still_visible(user),
        )
        .order_by(Notification.created_at, Notification.id)
    ).all()


def _message(user, delivery, template, items, categories) -> Message:
    unsubscribe_url = public_url(
        "notifications.unsubscribe", token=unsubscribe_token(user.id, categories)
    )
    context = {
        "unsubscribe_url": unsubscribe_url,
        "settings_url": public_url("notifications.settings"),
        "period": (delivery.digest_key or "").split(":")[0],
    }
    with force_locale(user.locale):
        context["items"] = [(labels.describe(n, count), _link(n)) for n, count in items]
        subject = render_template(f"emails/{template}.subject.txt", **context)
        text = render_template(f"emails/{template}.txt", **context)
        html = render_template(f"emails/{template}.html", **context)
    return mail.build(
        to=user.email,
        subject=subject,
        text=text,
        html=html,
        locale=user.locale,
        message_id=message_id(delivery),
        headers={
            # RFC 8058: a mail client may unsubscribe with one POST, without asking.
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def _link(notification: Notification) -> str:
    endpoint, values = labels.destination(notification)
    return public_url(endpoint, **values)


def message_id(delivery: Delivery) -> str:
    """Made from the delivery record, so every attempt carries the same one."""
    return f"<notification.{delivery.message_token}@{mail.sender_domain()}>"


# Unsubscribing -------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="unsubscribe")


def unsubscribe_token(user_id: int, categories) -> str:
    return _serializer().dumps({"u": user_id, "c": [c.value for c in categories]})


def read_unsubscribe_token(token: str) -> tuple[int, list[Category]] | None:
    try:
        data = _serializer().loads(token)
        return int(data["u"]), [Category(value) for value in data["c"]]
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
