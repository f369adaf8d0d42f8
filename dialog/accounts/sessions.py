"""A person's own sessions, for the sessions page: which are live, and ending them.
Functions flush; the caller commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from dialog.accounts import devices, services
from dialog.accounts.models import User, UserSession
from dialog.core import audit
from dialog.core.db import utcnow
from dialog.extensions import db


@dataclass(frozen=True)
class SessionView:
    id: int
    browser: str | None
    system: str | None
    network: str | None
    started_at: datetime
    last_seen_at: datetime
    is_current: bool


def _live(user: User):
    """The same limits load_user applies: not ended, not idle too long, not too old."""
    now = utcnow()
    config = current_app.config
    return select(UserSession).where(
        UserSession.user_id == user.id,
        UserSession.ended_at.is_(None),
        UserSession.last_seen_at > now - timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
        UserSession.created_at > now - timedelta(hours=config["SESSION_ABSOLUTE_HOURS"]),
    )


def live_sessions(user: User) -> list[SessionView]:
    """This device first, then the most recently used."""
    current_hash = services._token_hash(user.session_token) if user.session_token else None
    rows = db.session.scalars(
        _live(user).order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    ).all()
    shown = [
        SessionView(
            id=row.id,
            browser=(described := devices.describe(row.user_agent))[0],
            system=described[1],
            network=row.ip_prefix,
            started_at=row.created_at,
            last_seen_at=row.last_seen_at,
            is_current=row.token_hash == current_hash,
        )
        for row in rows
    ]
    return sorted(shown, key=lambda s: not s.is_current)


def is_current(user: User, session_id: int) -> bool:
    row = db.session.get(UserSession, session_id)
    return (
        row is not None
        and user.session_token is not None
        and row.token_hash == services._token_hash(user.session_token)
    )


def end_one(user: User, session_id: int) -> bool:
    """End one of the person's own live sessions; False when there is no such session."""
    result = db.session.execute(
        update(UserSession)
        .where(
            UserSession.id == session_id,
            UserSession.user_id == user.id,
            UserSession.ended_at.is_(None),
        )
        .values(ended_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    audit.record("session_ended", actor=user, target=user, session_id=session_id)
    return True


def end_others(user: User) -> None:
    services.end_all_sessions(user, keep_token=user.session_token)
    audit.record("other_sessions_ended", actor=user, target=user)
    db.session.flush()


def end_all(user: User) -> None:
    services.end_all_sessions(user)
    audit.record("all_sessions_ended", actor=user, target=user)
    db.session.flush()
