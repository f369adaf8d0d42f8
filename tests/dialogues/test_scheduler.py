"""The phase scheduler: starts, reminders and ends recorded once per scheduled instant.

`scheduler.record_due_transitions(now)` is what the beat task
"dialogues.record_phase_transitions" runs every minute; each new transition becomes an
outbox event for notifications.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from dialog.core.db import utcnow
from dialog.core.models import OutboxEvent
from dialog.dialogues import schedule, scheduler, services
from dialog.dialogues.models import (
    DialogueState,
    Phase,
    PhaseKind,
    PhaseTransition,
    TransitionEvent,
)
from tests.support import WorkerProcess, run_task, wait_for

STOCKHOLM = ZoneInfo("Europe/Stockholm")
STARTED, ENDING_SOON, ENDED = (
    TransitionEvent.started,
    TransitionEvent.ending_soon,
    TransitionEvent.ended,
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def local(*parts: int) -> datetime:
    """An instant given as Stockholm wall-clock time."""
    return datetime(*parts, tzinfo=STOCKHOLM).astimezone(UTC)


def add(dialogue, kind, starts_at, ends_at, title=None) -> Phase:
    return schedule.add_phase(
        dialogue,
        schedule.PhasePlan(
            kind=PhaseKind(kind), title=title or kind, starts_at=starts_at, ends_at=ends_at
        ),
        by=None,
    )


def transitions(db) -> list[tuple[int, TransitionEvent, datetime]]:
    db.session.expire_all()
    return sorted(
        (
            (row.phase_id, row.event, row.scheduled_for)
            for row in db.session.scalars(select(PhaseTransition))
        ),
        key=lambda t: (t[0], t[1].value, t[2]),
    )


def phase_events(db) -> list[OutboxEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutboxEvent).where(OutboxEvent.kind.like("phase_%")).order_by(OutboxEvent.id)
        )
    )


# Once per phase, event and instant --------------------------------------------------------

# A Monday in May 2027; Stockholm is UTC+2.
NOON = local(2027, 5, 3, 12, 0)


def test_each_transition_is_recorded_once_with_an_outbox_event(ctx, db, make_dialogue):
    dialogue = make_dialogue("tidtabell")
    ended = add(dialogue, "proposals", NOON - timedelta(days=2), NOON - timedelta(hours=2))
    running = add(dialogue, "voting", NOON - timedelta(hours=2), NOON + timedelta(hours=30))
    upcoming = add(dialogue, "result", NOON + timedelta(hours=30), None)
    db.session.commit()

    assert scheduler.record_due_transitions(NOON) == 4
    db.session.commit()
    assert scheduler.record_due_transitions(NOON) == 0
    assert scheduler.record_due_transitions(NOON + timedelta(minutes=1)) == 0
    db.session.commit()

    expected = sorted(
        [
            (ended.id, STARTED, ended.starts_at),
            (ended.id, ENDED, ended.ends_at),
            (running.id, STARTED, running.starts_at),
            (running.id, ENDING_SOON, running.ends_at),
        ],
        key=lambda t: (t[0], t[1].value, t[2]),
    )
    assert transitions(db) == expected
    assert upcoming.id not in {phase_id for phase_id, _, _ in transitions(db)}

    # The ended phase's start is history by now: only its end is news.
    events = phase_events(db)
    assert Counter(e.kind for e in events) == {
        "phase_started": 1,
        "phase_ended": 1,
        "phase_ending_soon": 1,
    }
    assert len({e.key for e in events}) == len(events) == 3
    assert {e.payload["phase_id"] for e in events if e.kind == "phase_started"} == {running.id}
    ending = next(e for e in events if e.kind == "phase_ending_soon")
    assert ending.payload == {
        "phase_id": running.id,
        "dialogue_id": dialogue.id,
        "scheduled_for": running.ends_at.isoformat(),
    }


def test_a_phase_that_starts_later_is_recorded_when_its_time_comes(ctx, db, make_dialogue):
    dialogue = make_dialogue("tidtabell")
    phase = add(dialogue, "proposals", NOON + timedelta(hours=1), NOON + timedelta(days=5))
    db.session.commit()

    assert scheduler.record_due_transitions(NOON) == 0
    assert scheduler.record_due_transitions(NOON + timedelta(minutes=59)) == 0
    assert scheduler.record_due_transitions(NOON + timedelta(hours=1)) == 1
    db.session.commit()
    assert transitions(db) == [(phase.id, STARTED, NOON + timedelta(hours=1))]


# Reminders: 48 hours before the end, in daytime ------------------------------------


@pytest.mark.parametrize(
    ("month", "hour", "minute", "reminded"),
    [
        (5, 3, 0, False),
        (5, 7, 59, False),
        (5, 8, 0, True),
        (5, 13, 0, True),
        (5, 19, 59, True),
        (5, 20, 30, False),
        (5, 23, 0, False),
        # Winter time (UTC+1): the same local hours, other UTC hours.
        (1, 7, 59, False),
        (1, 8, 0, True),
        (1, 19, 59, True),
        (1, 20, 0, False),
    ],
)
def test_ending_soon_is_recorded_only_in_stockholm_daytime(
    ctx, db, month, hour, minute, reminded, make_dialogue
):
    dialogue = make_dialogue("tidtabell")
    ends_at = local(2027, month, 5, 12, 0)
    phase = add(dialogue, "voting", local(2027, month, 4, 0, 0), ends_at)
    db.session.commit()

    now = local(2027, month, 4, hour, minute)  # 16 to 33 hours before the end
    scheduler.record_due_transitions(now)
    db.session.commit()
    assert ((phase.id, ENDING_SOON, ends_at) in transitions(db)) is reminded
    kinds = [e.kind for e in phase_events(db)]
    assert kinds.count("phase_ending_soon") == (1 if reminded else 0)
    assert kinds.count("phase_started") == 1  # the start is recorded at any hour


def test_ending_soon_waits_until_48_hours_remain_and_is_recorded_once(ctx, db, make_dialogue):
    dialogue = make_dialogue("tidtabell")
    ends_at = local(2027, 5, 5, 12, 0)
    phase = add(dialogue, "voting", local(2027, 5, 1, 9, 0), ends_at)
    db.session.commit()

    def reminders():
        return [t for t in transitions(db) if t[1] is ENDING_SOON]

    scheduler.record_due_transitions(ends_at - timedelta(hours=48, minutes=1))  # Mon 11:59
    db.session.commit()
    assert reminders() == []
    scheduler.record_due_transitions(ends_at - timedelta(hours=48))  # Mon 12:00
    db.session.commit()
    assert reminders() == [(phase.id, ENDING_SOON, ends_at)]
    for later in (timedelta(hours=47), timedelta(hours=20), timedelta(hours=1)):
        scheduler.record_due_transitions(ends_at - later)
        db.session.commit()
    assert reminders() == [(phase.id, ENDING_SOON, ends_at)]
    assert [e.kind for e in phase_events(db)].count("phase_ending_soon") == 1


def test_a_night_time_end_is_reminded_the_day_before(ctx, db, make_dialogue):
    """The reminder waits for the morning, then goes out once."""
    dialogue = make_dialogue("tidtabell")
    ends_at = local(2027, 5, 5, 2, 0)  # Wednesday 02:00
    phase = add(dialogue, "voting", local(2027, 5, 1, 9, 0), ends_at)
    db.session.commit()

    scheduler.record_due_transitions(local(2027, 5, 3, 2, 0))  # exactly 48 h, but night
    db.session.commit()
    assert ENDING_SOON not in {t[1] for t in transitions(db)}
    scheduler.record_due_transitions(local(2027, 5, 3, 8, 0))
    db.session.commit()
    assert (phase.id, ENDING_SOON, ends_at) in transitions(db)


# Rescheduling -------------------------------------------------------------------------


def test_a_rescheduled_phase_is_recorded_again_for_its_new_instants(ctx, db, make_dialogue):
    dialogue = make_dialogue("tidtabell")
    first_start, first_end = NOON - timedelta(hours=3), NOON - timedelta(hours=1)
    phase = add(dialogue, "proposals", first_start, first_end)
    db.session.commit()
    scheduler.record_due_transitions(NOON)
    db.session.commit()
    assert transitions(db) == [(phase.id, ENDED, first_end), (phase.id, STARTED, first_start)]

    # Reopened: it started again and now ends a day later (a reminder is due too).
    new_start, new_end = NOON - timedelta(minutes=30), NOON + timedelta(days=1)
    schedule.update_phase(
        phase,
        schedule.PhasePlan(
            kind=PhaseKind.proposals, title="proposals", starts_at=new_start, ends_at=new_end
        ),
        by=None,
    )
    db.session.commit()
    assert scheduler.record_due_transitions(NOON) == 2
    db.session.commit()
    assert scheduler.record_due_transitions(NOON) == 0
    db.session.commit()
    assert (phase.id, STARTED, new_start) in transitions(db)
    assert (phase.id, ENDING_SOON, new_end) in transitions(db)

    scheduler.record_due_transitions(new_end)
    db.session.commit()
    assert transitions(db) == sorted(
        [
            (phase.id, ENDED, first_end),
            (phase.id, ENDED, new_end),
            (phase.id, ENDING_SOON, new_end),
            (phase.id, STARTED, first_start),
            (phase.id, STARTED, new_start),
        ],
        key=lambda t: (t[0], t[1].value, t[2]),
    )
    # The first start was seen only after the first end: not news.
    events = phase_events(db)
    assert len(events) == 4 and len({e.key for e in events}) == 4
    assert Counter(e.kind for e in events) == {
        "phase_started": 1,
        "phase_ended": 2,
        "phase_ending_soon": 1,
    }


def test_closing_a_phase_now_records_its_end_at_the_new_instant(ctx, db, make_dialogue):
    dialogue = make_dialogue("tidtabell")
    now = utcnow().replace(microsecond=0)
    phase = add(dialogue, "voting", now - timedelta(hours=1), now + timedelta(days=10))
    db.session.commit()
    schedule.close_now(phase, by=None, reason="Klart")
    db.session.commit()
    closed_at = phase.ends_at

    scheduler.record_due_transitions(closed_at + timedelta(seconds=1))
    db.session.commit()
    assert (phase.id, ENDED, closed_at) in transitions(db)


# Drafts --------------------------------------------------------------------------------


def test_drafts_record_nothing_until_published(ctx, db, make_dialogue):
    dialogue = make_dialogue("tidtabell", state=DialogueState.draft)
    phase = add(dialogue, "proposals", NOON - timedelta(hours=3), NOON - timedelta(hours=1))
    add(dialogue, "voting", NOON - timedelta(hours=1), NOON + timedelta(hours=10))
    db.session.commit()

    assert scheduler.record_due_transitions(NOON) == 0
    db.session.commit()
    assert transitions(db) == []
    assert phase_events(db) == []

    services.set_state(dialogue, DialogueState.published, by=None)
    db.session.commit()
    assert scheduler.record_due_transitions(NOON) == 4
    db.session.commit()
    assert (phase.id, ENDED, phase.ends_at) in transitions(db)


def test_a_dialogue_published_with_a_past_schedule_announces_only_what_is_news(
    ctx, db, make_dialogue
):
    dialogue = make_dialogue("efterhand", state=DialogueState.draft)
    long_over = add(dialogue, "proposals", NOON - timedelta(days=30), NOON - timedelta(days=9))
    just_ended = add(dialogue, "voting", NOON - timedelta(days=9), NOON - timedelta(hours=23))
    begun_today = add(dialogue, "result", NOON - timedelta(hours=23), None)
    db.session.commit()
    services.set_state(dialogue, DialogueState.published, by=None)
    db.session.commit()

    assert scheduler.record_due_transitions(NOON) == 5
    db.session.commit()
    assert {(t[0], t[1]) for t in transitions(db)} == {
        (long_over.id, STARTED),
        (long_over.id, ENDED),
        (just_ended.id, STARTED),
        (just_ended.id, ENDED),
        (begun_today.id, STARTED),
    }
    assert sorted((e.kind, e.payload["phase_id"]) for e in phase_events(db)) == [
        ("phase_ended", just_ended.id),
        ("phase_started", begun_today.id),
    ]


def test_a_scheduler_back_from_a_long_outage_announces_what_runs_and_no_old_ends(
    ctx, db, make_dialogue
):
    dialogue = make_dialogue("avbrott")
    missed = add(dialogue, "proposals", NOON - timedelta(days=3), NOON - timedelta(days=2))
    running = add(dialogue, "voting", NOON - timedelta(days=2), NOON + timedelta(days=10))
    db.session.commit()
    # The scheduler ran last before either phase began, three days ago.

    assert scheduler.record_due_transitions(NOON) == 3
    db.session.commit()
    assert {(t[0], t[1]) for t in transitions(db)} == {
        (missed.id, STARTED),
        (missed.id, ENDED),
        (running.id, STARTED),
    }
    # Voting is open now, however long ago it opened: followers may vote.
    assert [(e.kind, e.payload["phase_id"]) for e in phase_events(db)] == [
        ("phase_started", running.id)
    ]

    # Its end, when that comes, is news.
    assert scheduler.record_due_transitions(running.ends_at + timedelta(minutes=1)) == 1
    db.session.commit()
    assert [e.kind for e in phase_events(db)] == ["phase_started", "phase_ended"]


# Two schedulers at once ------------------------------------------------------------------


def _committed_schedule(app, database, make_dialogue, now):
    """Phases that are due now, committed so that other connections and processes see them."""
    with app.app_context():
        dialogue = make_dialogue("samtidigt")
        ended = add(dialogue, "proposals", now - timedelta(hours=3), now - timedelta(hours=1))
        # Ends far enough away that no reminder is due whatever the time of day.
        running = add(dialogue, "voting", now - timedelta(hours=1), now + timedelta(days=4))
        database.session.commit()
        return {
            (ended.id, STARTED, ended.starts_at),
            (ended.id, ENDED, ended.ends_at),
            (running.id, STARTED, running.starts_at),
        }


def _recorded(app, database):
    with app.app_context():
        rows = [
            (row.phase_id, row.event, row.scheduled_for)
            for row in database.session.scalars(select(PhaseTransition))
        ]
        keys = list(
            database.session.scalars(
                select(OutboxEvent.key).where(OutboxEvent.kind.like("phase_%"))
            )
        )
        database.session.remove()
    return rows, keys


def test_two_schedulers_in_threads_record_each_transition_once(app, committed_db, make_dialogue):
    """The service itself, without the task's lease: the unique key decides."""
    expected = _committed_schedule(
        app, committed_db, make_dialogue, utcnow().replace(microsecond=0)
    )
    now = utcnow()
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def run_scheduler():
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                recorded = scheduler.record_due_transitions(now)
                committed_db.session.commit()
                results.append(recorded)
                committed_db.session.remove()
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run_scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and len(results) == 2

    rows, keys = _recorded(app, committed_db)
    assert Counter(rows) == Counter(expected)
    assert len(keys) == len(set(keys)) == 2  # the ended phase's start is not news
    # What each returns is checked deterministically in the race-loser test below: which
    # of the two reads before the other commits is up to the database.


def test_a_scheduler_that_lost_the_race_records_and_counts_nothing(
    ctx, db, monkeypatch, make_dialogue
):
    """A second scheduler that read the schedule before the first one committed."""
    dialogue = make_dialogue("tidtabell")
    add(dialogue, "proposals", NOON - timedelta(hours=3), NOON - timedelta(hours=1))
    db.session.commit()
    read_before_the_other_committed = list(scheduler._due_transitions(NOON))
    assert len(read_before_the_other_committed) == 2

    assert scheduler.record_due_transitions(NOON) == 2
    db.session.commit()
    monkeypatch.setattr(
        scheduler, "_due_transitions", lambda now: iter(read_before_the_other_committed)
    )
    assert scheduler.record_due_transitions(NOON) == 0
    db.session.commit()
    assert len(transitions(db)) == 2
    assert [e.kind for e in phase_events(db)] == ["phase_ended"]


TASK = "dialogues.record_phase_transitions"


def test_a_scheduler_run_is_skipped_while_another_run_holds_the_lease(
    app, committed_db, make_dialogue
):
    """The task itself: a run that starts while another one runs does nothing."""
    from dialog.core import locks

    expected = _committed_schedule(
        app, committed_db, make_dialogue, utcnow().replace(microsecond=0)
    )
    with app.app_context(), locks.exclusive(TASK, seconds=120) as held_by_the_first_run:
        assert held_by_the_first_run
        assert run_task(app, TASK) == 0
        assert _recorded(app, committed_db) == ([], [])
    assert run_task(app, TASK) == 3
    rows, _keys = _recorded(app, committed_db)
    assert Counter(rows) == Counter(expected)


@pytest.fixture
def two_workers(app, tmp_path):
    """Two real Celery worker processes (no beat) on the configured broker, at DEBUG: each
    run's result is in Celery's line for the task's success, a DEBUG line."""
    app.extensions["celery"].control.purge()
    workers = []
    debug = {**os.environ, "LOG_LEVEL": "DEBUG"}
    try:
        for number in (1, 2):
            workers.append(WorkerProcess(tmp_path / f"scheduler-{number}.log", env=debug).start())
        yield workers
    finally:
        for worker in workers:
            worker.stop()


SUCCEEDED = re.compile(
    r"Task dialogues\.record_phase_transitions\[[^\]]+\] succeeded in [^:]+: (\d+)"
)


@pytest.mark.worker
def test_two_scheduler_tasks_sent_at_once_record_each_transition_once(
    app, committed_db, two_workers, make_dialogue
):
    celery_app = app.extensions["celery"]
    assert "dialogues.record_phase_transitions" in celery_app.tasks
    expected = _committed_schedule(
        app, committed_db, make_dialogue, utcnow().replace(microsecond=0)
    )

    for _ in range(2):
        celery_app.send_task("dialogues.record_phase_transitions")

    def results():
        found = [
            int(count)
            for worker in two_workers
            for count in SUCCEEDED.findall(worker.log_path.read_text())
        ]
        return found if len(found) == 2 else None

    counts = wait_for(results, timeout=60)
    assert sum(counts) == 3
    time.sleep(0.5)  # nothing else may arrive late
    rows, keys = _recorded(app, committed_db)
    assert Counter(rows) == Counter(expected)
    assert len(keys) == len(set(keys)) == 2  # the ended phase's start is not news
    with app.app_context():
        duplicates = committed_db.session.execute(
            select(PhaseTransition.phase_id, PhaseTransition.event, PhaseTransition.scheduled_for)
            .group_by(
                PhaseTransition.phase_id, PhaseTransition.event, PhaseTransition.scheduled_for
            )
            .having(func.count() > 1)
        ).all()
        committed_db.session.remove()
    assert duplicates == []
