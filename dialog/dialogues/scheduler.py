"""The phase scheduler: records each phase start, reminder and end once, as an event.
Run by the periodic task `dialogues.record_phase_transitions`."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from dialog.core import outbox
from dialog.core.db import insert_ignoring_conflicts, utcnow
from dialog.core.timezone import to_local
from dialog.dialogues.models import (
    Dialogue,
    DialogueState,
    Phase,
    PhaseTransition,
    TransitionEvent,
)
from dialog.extensions import db

ENDING_SOON = timedelta(hours=48)
DAYTIME_HOURS = range(8, 20)  # reminders go out between 08:00 and 20:00 local time
# An end first seen later than this after its instant is recorded without being
# announced: a dialogue published or rescheduled with phases in the past, or a scheduler
# back from a long outage, must not tell followers about what ended long ago.
ANNOUNCE_WITHIN = timedelta(hours=24)


def record_due_transitions(now: datetime | None = None) -> int:
    """Record every phase start, reminder and end that is due, each exactly once.

    A transition is keyed by phase, event and the instant it was scheduled for, so a
    rescheduled phase is recorded again and two schedulers running at once record it
    once. Each new transition that is still news is handed to notifications through the
    outbox; see `_is_news`.
    """
    now = now or utcnow()
    recorded = 0
    for phase, event, scheduled_for in _due_transitions(now):
        inserted = insert_ignoring_conflicts(
            PhaseTransition,
            {
                "phase_id": phase.id,
                "event": event,
                "scheduled_for": scheduled_for,
                "recorded_at": now,
            },
            ["phase_id", "event", "scheduled_for"],
        )
        if not inserted:
            continue
        recorded += 1
        if not _is_news(phase, event, scheduled_for, now):
            continue
        outbox.record(
            f"phase_{event.value}",
            f"phase:{phase.id}:{event.value}:{scheduled_for.isoformat()}",
            {
                "phase_id": phase.id,
                "dialogue_id": phase.dialogue_id,
                "scheduled_for": scheduled_for.isoformat(),
            },
        )
    db.session.flush()
    return recorded


def _is_news(phase: Phase, event: TransitionEvent, scheduled_for: datetime, now: datetime) -> bool:
    """Whether followers should hear of a transition seen for the first time now. A start
    is news while the phase runs, however long ago it began (what people may do now);
    an end only for a day; a reminder is only ever recorded while it is due."""
    if event is TransitionEvent.started:
        return phase.ends_at is None or phase.ends_at > now
    if event is TransitionEvent.ended:
        return scheduled_for >= now - ANNOUNCE_WITHIN
    return True


def _due_transitions(now: datetime):
    recorded = {
        (row.phase_id, row.event, row.scheduled_for)
        for row in db.session.execute(
            select(PhaseTransition.phase_id, PhaseTransition.event, PhaseTransition.scheduled_for)
            .join(Phase, Phase.id == PhaseTransition.phase_id)
            .where(Phase.starts_at <= now)
        )
    }
    daytime = to_local(now).hour in DAYTIME_HOURS
    phases = db.session.scalars(
        select(Phase)
        .join(Phase.dialogue)
        .where(Phase.starts_at <= now + ENDING_SOON, Dialogue.state != DialogueState.draft)
    )
    for phase in phases:
        candidates = []
        if phase.starts_at <= now:
            candidates.append((TransitionEvent.started, phase.starts_at))
        if phase.ends_at is not None:
            if phase.ends_at <= now:
                candidates.append((TransitionEvent.ended, phase.ends_at))
            elif phase.ends_at - ENDING_SOON <= now and daytime and phase.starts_at <= now:
                candidates.append((TransitionEvent.ending_soon, phase.ends_at))
        for event, scheduled_for in candidates:
            if (phase.id, event, scheduled_for) not in recorded:
                yield phase, event, scheduled_for
