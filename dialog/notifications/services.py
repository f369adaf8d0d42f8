"""Turning events into notifications, in chunks; reading them; choosing how often to get
email. Services flush and never commit."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from dialog.accounts.models import User
from dialog.core import audit, outbox
from dialog.core.db import insert_many_ignoring_conflicts, utcnow
from dialog.core.timezone import LOCAL_ZONE
from dialog.extensions import db
from dialog.notifications import queries
from dialog.notifications.models import (
    Category,
    Channel,
    Delivery,
    DeliveryStatus,
    Frequency,
    Notification,
    Preference,
    new_message_token,
)

FAN_OUT_EVENT = "notification_fan_out"
SEND_TASK = "notifications.send_mail"
EMAILED = "email"


def fan_out(event_id: int, kind: str, payload: dict[str, Any], *, start=(None, 0)) -> int:
    """Tell the next FAN_OUT_CHUNK people of the event's audiences, from `start`
    (audience kind, last account id told); what is left goes to a follow-up event, so
    each chunk is its own task and 100,000 followers are never loaded at once. Returns
    how many were told here."""
    found = queries.audiences(kind, payload)
    budget = current_app.config["FAN_OUT_CHUNK"]
    index, after = _resume_at(found, *start)
    told = 0
    while index < len(found) and budget > 0:
        people = queries.recipients(found[index], after=after, limit=budget)
        told += _tell(event_id, found[index], people)
        budget -= len(people)
        if budget > 0:  # this audience is done
            index, after = index + 1, 0
        else:
            after = people[-1]
    if index < len(found):
        audience = found[index].kind
        outbox.record(
            FAN_OUT_EVENT,
            f"fan-out:{event_id}:{audience}:{after}",
            {"event_id": event_id, "audience": audience, "after": after},
        )
    return told


def _resume_at(found: list[queries.Audience], audience: str | None, after: int):
    """Where a follow-up chunk starts, by the audience's kind: the audiences are asked
    again for each chunk, and one may have gone meanwhile (the proposal's author erased).
    Then it starts over, which tells nobody twice (one notification per event and
    person)."""
    kinds = [each.kind for each in found]
    if audience is None or audience not in kinds:
        return 0, 0
    return kinds.index(audience), after


def _tell(event_id: int, audience: queries.Audience, people: list[int]) -> int:
    now = utcnow()
    added = insert_many_ignoring_conflicts(
        Notification,
        [
            {
                "user_id": user_id,
                "event_id": event_id,
                "category": audience.category,
                "kind": audience.kind,
                "dialogue_id": audience.dialogue.id,
                "proposal_id": audience.proposal_id,
                "comment_id": audience.comment_id,
                "params": audience.params,
                "created_at": now,
            }
            for user_id in people
        ],
        ["event_id", "user_id"],
    )
    _email_at_once(event_id, audience, people)
    return added


def _email_at_once(event_id: int, audience: queries.Audience, people: list[int]) -> None:
    """For those who want this category immediately: one delivery each, published in
    batches after the commit."""
    wanting = queries.wanting(people, audience.category, Frequency.immediately)
    if not wanting:
        return
    notifications = db.session.execute(
        select(Notification.id, Notification.user_id).where(
            Notification.event_id == event_id,
            Notification.user_id.in_(wanting),
            Notification.kind == audience.kind,
            Notification.mailed_in.is_(None),
        )
    ).all()
    queue_emails(
        [
            {"user_id": user_id, "event_id": event_id, "notification_id": notification_id}
            for notification_id, user_id in notifications
        ]
    )
    db.session.execute(
        update(Notification)
        .where(Notification.id.in_([n for n, _ in notifications]))
        .values(mailed_in=EMAILED)
        .execution_options(synchronize_session=False)
    )


def queue_emails(rows: list[dict[str, Any]], *, channel: Channel = Channel.email) -> None:
    """Delivery records for the rows (once per event, channel and person, or person and
    digest), each handed to the mail queue after the commit."""
    if not rows:
        return
    sweep_after = sweep_again_at()
    insert_many_ignoring_conflicts(
        Delivery,
        [
            {
                **row,
                "channel": channel,
                "status": DeliveryStatus.pending,
                "attempts": 0,
                "next_attempt_at": sweep_after,
                "message_token": new_message_token(),
                "created_at": utcnow(),
            }
            for row in rows
        ],
        ["event_id", "channel", "user_id"]
        if channel is Channel.email
        else ["user_id", "digest_key"],
    )
    # Only this chunk's people: a fan-out to 100,000 reads its own rows, chunk by chunk.
    people = {row["user_id"] for row in rows}
    if channel is Channel.email:
        keys = {(row["event_id"], row["user_id"]) for row in rows}
        same = Delivery.event_id.in_({event_id for event_id, _ in keys})
        key_of = Delivery.event_id
    else:
        keys = {(row["digest_key"], row["user_id"]) for row in rows}
        same = Delivery.digest_key.in_({key for key, _ in keys})
        key_of = Delivery.digest_key
    found = db.session.execute(
        select(Delivery.id, key_of, Delivery.user_id).where(
            same,
            Delivery.user_id.in_(people),
            Delivery.channel == channel,
            Delivery.status == DeliveryStatus.pending,
        )
    ).all()
    ids = [delivery_id for delivery_id, key, user_id in found if (key, user_id) in keys]
    publish_in_batches(ids)


def sweep_again_at() -> datetime:
    """When the sweeper steps in for a delivery just published: its task has had time,
    even behind a long queue of mail (the sweeper handing it on again meanwhile would
    only add copies to that queue)."""
    return utcnow() + timedelta(seconds=current_app.config["MAIL_CLAIM_SECONDS"])


def publish_in_batches(delivery_ids: list[int]) -> None:
    size = current_app.config["MAIL_BATCH"]
    for start in range(0, len(delivery_ids), size):
        outbox.publish_after_commit(SEND_TASK, [delivery_ids[start : start + size]])


# Reading -------------------------------------------------------------------------------


def mark_read(notification: Notification) -> int:
    """This one and the unread ones told together with it."""
    return db.session.execute(
        update(Notification)
        .where(queries.same_group(notification))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount


def mark_all_read(user) -> int:
    return db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount


# Choosing ------------------------------------------------------------------------------


def set_frequencies(user, chosen: dict[Category, Frequency]) -> None:
    for category, frequency in chosen.items():
        row = db.session.get(Preference, (user.id, category))
        if row is None:
            db.session.add(Preference(user_id=user.id, category=category, frequency=frequency))
        else:
            row.frequency = frequency
    db.session.flush()


def unsubscribe(user_id: int, categories: list[Category]) -> None:
    """Email about these categories off (the one-click link of an email)."""
    user = db.session.get(User, user_id)
    if user is None:
        return
    set_frequencies(user, {category: Frequency.off for category in categories})


def retry_dead(delivery: Delivery, recipient, *, by) -> bool:
    """An administrator sends a dead email again, with fresh attempts; not while the
    address bounces (only the person, confirming it, lifts that)."""
    if recipient.mail_bounced_at is not None:
        return False
    delivery.status = DeliveryStatus.pending
    delivery.attempts = 0
    delivery.claimed_until = None
    delivery.next_attempt_at = sweep_again_at()
    db.session.flush()
    audit.record("notification_mail_retried", actor=by, target=delivery)
    publish_in_batches([delivery.id])
    return True


def retry_given_up(delivery_id: int, *, by) -> bool:
    """An administrator gives an outbox delivery that was given up on (an account mail
    whose retries ran out) a fresh set of attempts."""
    delivery = outbox.retry(delivery_id)
    if delivery is None:
        return False
    audit.record("outbox_delivery_retried", actor=by, target=delivery)
    return True


# Digests -------------------------------------------------------------------------------

DIGEST_HOUR = 7  # local time: the morning's email
# Digests go out in these morning hours (a worker down at seven still sends them at
# eight); what comes later waits for the next morning.
DIGEST_HOURS = 3
DIGEST_CHUNK = 1000


def digest_periods(now: datetime) -> list[tuple[Frequency, str]]:
    """The digests due at this moment: in the morning hours the day's, and on Mondays
    the week's; each named by the key its deliveries carry."""
    local = now.astimezone(LOCAL_ZONE)
    if not DIGEST_HOUR <= local.hour < DIGEST_HOUR + DIGEST_HOURS:
        return []
    periods = [(Frequency.daily, f"daily:{local.date().isoformat()}")]
    if local.weekday() == 0:
        year, week, _ = local.isocalendar()
        periods.append((Frequency.weekly, f"weekly:{year}-W{week:02d}"))
    return periods


def queue_digest_chunk(frequency: Frequency, key: str, *, after: int) -> list[int]:
    """The next people with something unread that no email has carried yet, in
    categories they get this often: each gets the period's digest, carrying those. A
    person who already has it gets the rest in the next one."""
    people = queries.awaiting_digest(frequency, key, after=after, limit=DIGEST_CHUNK)
    if not people:
        return []
    db.session.execute(
        update(Notification)
        .where(queries.undigested(people, frequency))
        .values(mailed_in=key)
        .execution_options(synchronize_session=False)
    )
    queue_emails(
        [{"user_id": user_id, "digest_key": key} for user_id in people], channel=Channel.digest
    )
    return people
