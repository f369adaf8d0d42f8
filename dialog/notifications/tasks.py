"""The notifications' outbox subscribers (one per event they tell of, and the follow-up
chunks of a fan-out), the mail task, its sweeper and the digests."""

from __future__ import annotations

from celery import shared_task
from flask import current_app
from sqlalchemy import or_, select, update

from dialog.core import outbox, queues
from dialog.core.db import utcnow
from dialog.core.models import OutboxEvent
from dialog.core.periodic import periodic
from dialog.extensions import db
from dialog.notifications import queries, sending, services
from dialog.notifications.models import Delivery, DeliveryStatus


def _subscribe(kind: str) -> None:
    @outbox.subscriber(kind, name=f"notifications.{kind}", with_event_id=True)
    def tell(payload, event_id: int) -> str:
        return f"{services.fan_out(event_id, kind, payload)} told"


for _kind in queries.AUDIENCES:
    _subscribe(_kind)


@outbox.subscriber(services.FAN_OUT_EVENT, name="notifications.fan_out_chunk")
def next_chunk(payload) -> str:
    source = db.session.get(OutboxEvent, payload["event_id"])
    if source is None:
        return "event forgotten"
    told = services.fan_out(
        source.id,
        source.kind,
        outbox.payload_of(source),
        start=(payload["audience"], payload["after"]),
    )
    return f"{told} told"


queues.route(services.SEND_TASK, queues.MAIL)


@shared_task(name=services.SEND_TASK)
def send_mail(delivery_ids: list[int]) -> int:
    return sending.send_batch(delivery_ids)


@periodic("notifications.sweep_mail", every="OUTBOX_SWEEP_INTERVAL_SECONDS", lease=60)
def sweep_mail() -> int:
    """Deliveries whose task was lost (a broker outage, a worker killed while it held
    them) or whose retry time has come."""
    given_up = sending.give_up_on_crashed()
    db.session.commit()
    if not outbox.broker_outage().worth_trying():
        return given_up
    now = utcnow()
    due = list(
        db.session.scalars(
            select(Delivery.id)
            .where(
                Delivery.status == DeliveryStatus.pending,
                Delivery.next_attempt_at <= now,
                or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now),
                queries.lost_or_retrying(now),
            )
            .order_by(Delivery.next_attempt_at)
            .limit(current_app.config["MAIL_BATCH"] * 20)
        )
    )
    if not due:
        return given_up
    db.session.execute(
        update(Delivery)
        .where(Delivery.id.in_(due))
        .values(next_attempt_at=services.sweep_again_at())
        .execution_options(synchronize_session=False)
    )
    services.publish_in_batches(due)
    db.session.commit()
    return given_up + len(due)


@periodic("notifications.queue_digests", every=600, lease=600)
def queue_digests() -> int:
    queued = 0
    for frequency, key in services.digest_periods(utcnow()):
        after = 0
        while people := services.queue_digest_chunk(frequency, key, after=after):
            db.session.commit()
            queued += len(people)
            after = people[-1]
    return queued
