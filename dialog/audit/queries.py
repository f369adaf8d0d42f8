"""Reads of the audit log, filtered the same way for the page and the CSV export."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta

from sqlalchemy import Select, select

from dialog.accounts.models import User
from dialog.core.models import AuditEntry
from dialog.core.timezone import from_local, to_local
from dialog.extensions import db

PAGE_SIZE = 50
CSV_HEADER = (
    "time",
    "actor_id",
    "actor_email",
    "action",
    "object_type",
    "object_id",
    "reason",
    "details",
)


def entries_page(filters: dict, page: int):
    """A page of entries, newest first, and their actors by id (the log keeps ids of
    accounts that may since have gone)."""
    entries = db.paginate(_filtered(filters), page=page, per_page=PAGE_SIZE, error_out=False)
    actor_ids = {entry.actor_id for entry in entries.items if entry.actor_id is not None}
    actors = db.session.scalars(select(User).where(User.id.in_(actor_ids))) if actor_ids else []
    return entries, {actor.id: actor for actor in actors}


def csv_rows(filters: dict) -> Iterator[tuple]:
    query = _filtered(filters).add_columns(User).outerjoin(User, User.id == AuditEntry.actor_id)
    for entry, actor in db.session.execute(query):
        yield (
            to_local(entry.occurred_at).isoformat(timespec="seconds"),
            entry.actor_id,
            actor.email if actor else "",
            entry.action,
            entry.object_type,
            entry.object_id,
            entry.reason,
            _details_text(entry.details),
        )


def actions() -> list[str]:
    return list(
        db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action))
    )


def object_types() -> list[str]:
    query = (
        select(AuditEntry.object_type)
        .where(AuditEntry.object_type.is_not(None))
        .distinct()
        .order_by(AuditEntry.object_type)
    )
    return list(db.session.scalars(query))


def _filtered(filters: dict) -> Select:
    query = select(AuditEntry).order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc())
    if actor := filters["actor"]:
        query = query.where(AuditEntry.actor_id.in_(_actor_ids(actor)))
    if filters.get("area"):
        query = query.where(AuditEntry.action.startswith(f"{filters['area']}.", autoescape=True))
    if filters["action"]:
        query = query.where(AuditEntry.action == filters["action"])
    if filters["object_type"]:
        query = query.where(AuditEntry.object_type == filters["object_type"])
    if filters["object_id"]:
        query = query.where(AuditEntry.object_id == filters["object_id"])
    if filters["since"]:
        query = query.where(AuditEntry.occurred_at >= _local_midnight(filters["since"]))
    if filters["until"]:
        query = query.where(
            AuditEntry.occurred_at < _local_midnight(filters["until"] + timedelta(days=1))
        )
    return query


def _actor_ids(actor: str):
    """An account number as given, or the account of an email address."""
    if actor.isascii() and actor.isdigit() and len(actor) <= 18:
        return [int(actor)]
    return select(User.id).where(User.email == actor.lower())


def _local_midnight(day) -> datetime:
    # Midnight exists on every day in Sweden (the clocks change at 02:00 and 03:00).
    return from_local(datetime.combine(day, time.min))


def _details_text(details: dict) -> str:
    return "; ".join(f"{key}={value}" for key, value in sorted((details or {}).items()))
