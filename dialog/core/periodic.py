"""Periodic tasks: declared once, run by beat, never two at a time on any host.

`@periodic(name, every=..., lease=...)` registers a Celery task under `name` whose body
runs only while this run holds the database lease of the same name (a run that finds it
held returns 0 at once), and records the declaration, from which `beat_schedule()` builds
the schedule. Bodies stay idempotent: a lease that runs out lets the next run in. A body
returns how many things it did: a run that did something is logged at INFO, a routine run
with nothing to do (the sweeper every few seconds) only at DEBUG.

Every run, with the lease or without, first notes the task's heartbeat: only beat starts
periodic tasks, so the freshest of them is beat's last run, which /readyz reports.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from celery import shared_task

from dialog.core import heartbeat, locks, queues
from dialog.core.models import HeartbeatKind, JobLock
from dialog.extensions import db

_NAME_LENGTH = JobLock.__table__.c.name.type.length

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Declaration:
    name: str
    every: float | str  # seconds, or the name of the setting that holds them
    lease: int

    def interval(self, config: Mapping) -> float:
        return float(config[self.every] if isinstance(self.every, str) else self.every)


_declared: dict[str, Declaration] = {}


def periodic(name: str, *, every: float | str, lease: int):
    """Declare the decorated function as the periodic task `name`, run every `every` s.

    `lease` (seconds) must outlast the longest run: until it runs out, another run is
    skipped even when the holder died without releasing it.
    """

    def declare(func: Callable[[], int]):
        _check_name_is_free(name)
        _declared[name] = Declaration(name=name, every=every, lease=lease)
        queues.route(name, queues.PERIODIC)

        @shared_task(name=name)
        @functools.wraps(func)
        def run_holding_the_lease() -> int:
            heartbeat.record(HeartbeatKind.periodic, name)
            db.session.commit()
            with locks.exclusive(name, seconds=lease) as acquired:
                if not acquired:
                    log.debug("%s skipped: another run holds its lease", name)
                    return 0
                done = func()
            log.log(logging.INFO if done else logging.DEBUG, "%s ran: %d done", name, done)
            return done

        return run_holding_the_lease

    return declare


def _check_name_is_free(name: str) -> None:
    if len(name) > _NAME_LENGTH:
        raise ValueError(
            f"periodic task name {name!r} is longer than a lease name ({_NAME_LENGTH})"
        )
    if name in _declared:
        raise ValueError(f"periodic task {name!r} is declared twice; names must be unique")


def beat_schedule(config: Mapping) -> dict[str, dict]:
    """Celery's `beat_schedule`: every declared task at its interval."""
    return {
        each.name: {"task": each.name, "schedule": each.interval(config)}
        for each in _declared.values()
    }
