"""A dialogue's schedule: phases planned, checked by one set of rules, saved, opened and
closed now. Times are entered as Swedish wall-clock time and stored in UTC.
Functions flush; the caller commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l

from dialog.core import audit
from dialog.core.db import utcnow
from dialog.core.permissions import Decision
from dialog.core.timezone import EARLIEST_LOCAL, LATEST_LOCAL, from_local, in_schedulable_range
from dialog.dialogues.models import Capability, Dialogue, Phase, PhaseKind, capabilities_for
from dialog.extensions import db

NONEXISTENT_TIME = _l(
    "%(time)s does not exist in Swedish time: the clocks are moved forward an hour that night. "
    "Choose a time after 03:00."
)
OUT_OF_RANGE = _l("Choose a date between the years %(earliest)s and %(latest)s.")
ENDS_BEFORE_START = _l("The phase must end after it starts.")
OVERLAP = _l("The phase overlaps “%(other)s” (%(start)s – %(end)s).")
OPEN_ENDED_NOT_LAST = _l("Only the last phase may be without an end.")


@dataclass
class PhasePlan:
    """A phase as someone wants it scheduled, before it is saved."""

    kind: PhaseKind
    title: str
    starts_at: datetime
    ends_at: datetime | None
    description: str = ""
    capability_overrides: dict[str, bool] = field(default_factory=dict)
    phase_id: int | None = None

    @property
    def capabilities(self) -> frozenset[Capability]:
        return capabilities_for(self.kind, self.capability_overrides)


@dataclass
class ScheduleProblem:
    field: str
    message: str


class ScheduleInvalid(Exception):
    def __init__(self, problems: list[ScheduleProblem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def local_to_utc(local: datetime, field_name: str) -> datetime:
    """A Swedish wall-clock time, to the minute, as UTC; a time in the spring gap does not
    exist and is refused, naming the field to fix."""
    local = local.replace(second=0, microsecond=0, tzinfo=None)
    if not in_schedulable_range(local):
        raise ScheduleInvalid([ScheduleProblem(field_name, out_of_range_message())])
    moment = from_local(local)
    if moment is None:
        shown = format_datetime(local, "d MMMM yyyy HH:mm", rebase=False)
        message = str(NONEXISTENT_TIME) % {"time": shown}
        raise ScheduleInvalid([ScheduleProblem(field_name, message)])
    return moment


def out_of_range_message() -> str:
    return str(OUT_OF_RANGE) % {
        "earliest": EARLIEST_LOCAL.year,
        "latest": LATEST_LOCAL.year,
    }


def check_schedule(
    plans: list[PhasePlan], changed: PhasePlan | None = None
) -> list[ScheduleProblem]:
    """Every rule a dialogue's schedule must follow; problems name the field to fix.

    `changed` is the phase being added or edited: an overlap names the other phase.
    """
    problems: list[ScheduleProblem] = []
    ordered = sorted(plans, key=lambda plan: plan.starts_at)
    for plan in ordered:
        if plan.ends_at is not None and plan.ends_at <= plan.starts_at:
            problems.append(ScheduleProblem("ends_at", str(ENDS_BEFORE_START)))
    open_ended = [plan for plan in ordered if plan.ends_at is None]
    if open_ended and (len(open_ended) > 1 or open_ended[-1] is not ordered[-1]):
        problems.append(ScheduleProblem("ends_at", str(OPEN_ENDED_NOT_LAST)))
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        if earlier.ends_at is None or earlier.ends_at > later.starts_at:
            other = later if earlier is changed else earlier
            problems.append(
                ScheduleProblem(
                    "starts_at",
                    str(
                        OVERLAP
                        % {
                            "other": other.title,
                            "start": _short(other.starts_at),
                            "end": _short(other.ends_at) if other.ends_at else "…",
                        }
                    ),
                )
            )
    return problems


def _short(moment: datetime) -> str:
    return format_datetime(moment, "d MMM HH:mm")


def _plans_for(
    dialogue: Dialogue, replacing: PhasePlan | None = None, without: int | None = None
) -> list[PhasePlan]:
    plans = [
        _plan_of(phase)
        for phase in dialogue.phases
        if phase.id != without and (replacing is None or phase.id != replacing.phase_id)
    ]
    if replacing is not None:
        plans.append(replacing)
    return plans


def _plan_of(phase: Phase) -> PhasePlan:
    return PhasePlan(
        kind=phase.kind,
        title=phase.title,
        starts_at=phase.starts_at,
        ends_at=phase.ends_at,
        description=phase.description,
        capability_overrides=dict(phase.capability_overrides or {}),
        phase_id=phase.id,
    )


def preview_schedule(dialogue: Dialogue, plan: PhasePlan) -> list[PhasePlan]:
    """The schedule as it would be with `plan` saved, in order; raises when invalid."""
    plans = _plans_for(dialogue, replacing=plan)
    problems = check_schedule(plans, changed=plan)
    if problems:
        raise ScheduleInvalid(problems)
    return sorted(plans, key=lambda p: p.starts_at)


def add_phase(dialogue: Dialogue, plan: PhasePlan, *, by) -> Phase:
    preview_schedule(dialogue, plan)
    phase = Phase(dialogue=dialogue)
    _apply(phase, plan)
    db.session.add(phase)
    db.session.flush()
    audit.record(
        "phase_scheduled",
        actor=by,
        target=phase,
        dialogue_id=dialogue.id,
        **_schedule_details(phase),
    )
    return phase


def update_phase(phase: Phase, plan: PhasePlan, *, by) -> None:
    plan.phase_id = phase.id
    preview_schedule(phase.dialogue, plan)
    before = _schedule_details(phase)
    _apply(phase, plan)
    db.session.flush()
    audit.record(
        "phase_rescheduled",
        actor=by,
        target=phase,
        dialogue_id=phase.dialogue_id,
        before=before,
        after=_schedule_details(phase),
    )


def remove_phase(phase: Phase, *, by) -> None:
    details = _schedule_details(phase)
    dialogue = phase.dialogue
    dialogue.phases.remove(phase)
    db.session.flush()
    audit.record("phase_removed", actor=by, target=phase, dialogue_id=dialogue.id, **details)


def open_now(phase: Phase, *, by, reason: str) -> None:
    """Open a phase at this instant; the phase open until now ends at the same instant.

    The new schedule is checked before anything changes, so a refusal leaves it as it was.
    """
    now = _now_to_the_second()
    if phase.ends_at is not None and phase.ends_at <= now:
        # The same refusal the permission gives, decided again at this instant.
        raise ScheduleInvalid([ScheduleProblem("reason", Decision.deny("phase_ended").message)])
    current = phase.dialogue.phase_at(now)
    closing = current if current is not None and current is not phase else None
    new_start = min(phase.starts_at, now) if current is phase else now
    plans = [_plan_of(p) for p in phase.dialogue.phases]
    for plan in plans:
        if closing is not None and plan.phase_id == closing.id:
            plan.ends_at = now
        if plan.phase_id == phase.id:
            plan.starts_at = new_start
    problems = check_schedule(plans)
    if problems:
        raise ScheduleInvalid(problems)
    old_start = phase.starts_at
    if closing is not None:
        closing.ends_at = now
    phase.starts_at = new_start
    db.session.flush()
    audit.record(
        "phase_opened_now",
        actor=by,
        target=phase,
        reason=reason,
        dialogue_id=phase.dialogue_id,
        scheduled_start=old_start.isoformat(),
        closed_phase_id=closing.id if closing is not None else None,
    )


def close_now(phase: Phase, *, by, reason: str) -> None:
    now = _now_to_the_second()
    if not phase.contains(now):
        raise ScheduleInvalid(
            [ScheduleProblem("reason", Decision.deny("phase_not_current").message)]
        )
    old_end = phase.ends_at
    phase.ends_at = now
    db.session.flush()
    audit.record(
        "phase_closed_now",
        actor=by,
        target=phase,
        reason=reason,
        dialogue_id=phase.dialogue_id,
        scheduled_end=old_end.isoformat() if old_end else None,
    )


def _now_to_the_second() -> datetime:
    return utcnow().replace(microsecond=0)


def _apply(phase: Phase, plan: PhasePlan) -> None:
    phase.kind = plan.kind
    phase.title = plan.title
    phase.description = plan.description
    phase.starts_at = plan.starts_at
    phase.ends_at = plan.ends_at
    phase.capability_overrides = {
        name: bool(value)
        for name, value in plan.capability_overrides.items()
        if name in {c.value for c in Capability}
    }


def _schedule_details(phase: Phase) -> dict:
    return {
        "kind": phase.kind.value,
        "title": phase.title,
        "starts_at": phase.starts_at.isoformat(),
        "ends_at": phase.ends_at.isoformat() if phase.ends_at else None,
        "overrides": dict(phase.capability_overrides or {}),
    }


def next_opening(
    dialogue: Dialogue, capability: Capability, after: datetime | None = None
) -> datetime | None:
    """When a phase that allows `capability` next starts, if one is scheduled."""
    after = after or utcnow()
    # min(), not the first match: phases added in this session are not in order yet.
    return min(
        (p.starts_at for p in dialogue.phases if p.starts_at > after and p.allows(capability)),
        default=None,
    )
