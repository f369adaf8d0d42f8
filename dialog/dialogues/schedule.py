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
from dialog.core.permissions import Decision, moment_format
from dialog.core.timezone import EARLIEST_LOCAL, LATEST_LOCAL, from_local, in_schedulable_range
from dialog.dialogues.models import Capability, Dialogue, Phase, PhaseKind, capabilities_for
from dialog.dialogues.timeline import phase_moments
from dialog.extensions import db

NONEXISTENT_TIME = _l(
    "%(time)s does not exist in Swedish time: the clocks are moved forward an hour that night. "
    "Choose a time after 03:00."
)
OUT_OF_RANGE = _l("Choose a date between the years %(earliest)s and %(latest)s.")
ENDS_BEFORE_START = _l("The phase must end after it starts.")
OVERLAP = _l("The phase overlaps “%(other)s” (%(start)s – %(end)s).")
OPEN_ENDED_NOT_LAST = _l("Only the last phase may be without an end.")
OTHER_OPEN_ENDED = _l(
    "“%(other)s” has no end, and only the last phase may be without one: give “%(other)s” "
    "an end first, or let this phase start before it."
)
SCHEDULE_CHANGED = _l(
    "The schedule has changed since the page was shown. Check what happens now and confirm again."
)


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
    # An open end anywhere but last. When it is another phase's, this phase's end is
    # not what is wrong: the message names that phase, on this phase's start.
    not_last = [plan for plan in ordered[:-1] if plan.ends_at is None]
    for plan in not_last:
        if changed is None or plan is changed:
            problems.append(ScheduleProblem("ends_at", str(OPEN_ENDED_NOT_LAST)))
        else:
            message = str(OTHER_OPEN_ENDED) % {"other": plan.title}
            problems.append(ScheduleProblem("starts_at", message))
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        if changed is not None and earlier is not changed and any(earlier is p for p in not_last):
            continue  # said above, naming the phase without an end
        if earlier.ends_at is None or earlier.ends_at > later.starts_at:
            other = later if earlier is changed else earlier
            # Written only for a problem: asking the pattern fixes the request's language.
            date_format = moment_format(phase_moments(ordered))
            problems.append(
                ScheduleProblem(
                    "starts_at",
                    str(
                        OVERLAP
                        % {
                            "other": other.title,
                            "start": format_datetime(other.starts_at, date_format),
                            "end": format_datetime(other.ends_at, date_format)
                            if other.ends_at
                            else "…",
                        }
                    ),
                )
            )
    return problems


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


@dataclass
class Opening:
    """What opening `phase` at `at` does to the schedule: its start moves from
    `scheduled_start` to `new_start`, and the phase open until then (`closing`) ends at
    the same instant instead of at `closing_end`. `problems` say why it cannot be done."""

    phase: Phase
    at: datetime
    scheduled_start: datetime
    new_start: datetime
    closing: Phase | None
    closing_end: datetime | None
    problems: list[ScheduleProblem]

    @property
    def confirmation(self) -> str:
        """What the person confirms: which phase closes early (or none)."""
        return str(self.closing.id) if self.closing is not None else "none"

    @property
    def moves_start(self) -> bool:
        return self.new_start != self.scheduled_start


def opening(phase: Phase, at: datetime | None = None) -> Opening:
    """The consequences of opening `phase` now, checked by the schedule's rules before
    anything changes; the confirmation page shows them and open_now carries them out."""
    at = at or _now_to_the_second()
    current = phase.dialogue.phase_at(at)
    closing = current if current is not None and current is not phase else None
    new_start = min(phase.starts_at, at) if current is phase else at
    if phase.ends_at is not None and phase.ends_at <= at:
        # The same refusal the permission gives, decided again at this instant.
        problems = [ScheduleProblem("reason", Decision.deny("phase_ended").message)]
    else:
        plans = [_plan_of(p) for p in phase.dialogue.phases]
        for plan in plans:
            if closing is not None and plan.phase_id == closing.id:
                plan.ends_at = at
            if plan.phase_id == phase.id:
                plan.starts_at = new_start
        problems = check_schedule(plans)
    return Opening(
        phase=phase,
        at=at,
        scheduled_start=phase.starts_at,
        new_start=new_start,
        closing=closing,
        closing_end=closing.ends_at if closing is not None else None,
        problems=problems,
    )


def open_now(phase: Phase, *, by, reason: str, confirmed: str | None = None) -> None:
    """Open a phase at this instant; the phase open until now ends at the same instant.

    The new schedule is checked before anything changes, so a refusal leaves it as it was;
    so is `confirmed`, what the person was shown (Opening.confirmation): if another phase
    would close than the one they agreed to, nothing is done.
    """
    change = opening(phase)
    if change.problems:
        raise ScheduleInvalid(change.problems)
    if confirmed is not None and confirmed != change.confirmation:
        raise ScheduleInvalid([ScheduleProblem("reason", str(SCHEDULE_CHANGED))])
    if change.closing is not None:
        change.closing.ends_at = change.at
    phase.starts_at = change.new_start
    db.session.flush()
    audit.record(
        "phase_opened_now",
        actor=by,
        target=phase,
        reason=reason,
        dialogue_id=phase.dialogue_id,
        scheduled_start=change.scheduled_start.isoformat(),
        closed_phase_id=change.closing.id if change.closing is not None else None,
    )


@dataclass(frozen=True)
class PastDates:
    """A plan whose dates have passed: `whole` when the phase is over before it is saved,
    else it starts in the past (and would be open at once)."""

    whole: bool
    starts_at: datetime
    ends_at: datetime | None


def past_dates(
    plan: PhasePlan, before: Phase | None = None, at: datetime | None = None
) -> PastDates | None:
    """Whether the plan puts dates in the past, which then need the person's explicit
    yes; None when not. Dates an edit leaves as they were (a phase running now whose
    description changes) need none."""
    at = at or utcnow()
    same_start = before is not None and _minute(plan.starts_at) == _minute(before.starts_at)
    same_end = before is not None and _minute(plan.ends_at) == _minute(before.ends_at)
    if same_start and same_end:
        return None
    if plan.ends_at is not None and plan.ends_at <= at:
        return PastDates(True, plan.starts_at, plan.ends_at)
    if plan.starts_at < at and not same_start:
        return PastDates(False, plan.starts_at, plan.ends_at)
    return None


def _minute(moment: datetime | None) -> datetime | None:
    # The form shows minutes; a start set to the second (open now) is the same one.
    return moment.replace(second=0, microsecond=0) if moment is not None else None


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
