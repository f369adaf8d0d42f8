"""What a dialogue's schedule says to the people who read it: where the dialogue stands
(open, coming up, ended, archived), the entries of its timeline, and how its dates are
written. Pages and the admins' previews use these, so every place tells the same story:
an archived dialogue never shows a phase that invites action."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dialog.core.permissions import moment_format
from dialog.dialogues.labels import (
    KIND_LABELS,
    MUNICIPALITY_NOTES,
    RESIDENT_ACTION_LABELS,
)
from dialog.dialogues.models import Dialogue, DialogueState


def phase_moments(phases) -> list[datetime]:
    """Every start and end of the phases (saved ones or plans): what decides whether the
    dates of a dialogue are written with the year."""
    return [moment for p in phases for moment in (p.starts_at, p.ends_at) if moment is not None]


def schedule_format(phases) -> str:
    """The date pattern for the dates of these phases (see core.permissions.moment_format)."""
    return moment_format(phase_moments(phases))


# Where a dialogue stands ---------------------------------------------------------------

ARCHIVED, OPEN, UPCOMING, ENDED = "archived", "open", "upcoming", "ended"


@dataclass(frozen=True)
class Standing:
    """A dialogue as a card or its page presents it: `state` is one of ARCHIVED, OPEN,
    UPCOMING, ENDED; `phase` the phase open now (OPEN only); `when` its end (OPEN), the
    next start (UPCOMING) or the last end (ENDED, ARCHIVED); `date_format` the pattern for
    the dialogue's dates."""

    dialogue: Dialogue
    state: str
    date_format: str
    phase: Any = None
    when: datetime | None = None

    @property
    def has_ended(self) -> bool:
        return self.state in (ARCHIVED, ENDED)


def standing(dialogue: Dialogue, now: datetime) -> Standing:
    date_format = schedule_format(dialogue.phases)
    last_end = max((p.ends_at for p in dialogue.phases if p.ends_at is not None), default=None)
    if dialogue.state is DialogueState.archived:
        return Standing(dialogue, ARCHIVED, date_format, when=last_end)
    if (phase := dialogue.phase_at(now)) is not None:
        return Standing(dialogue, OPEN, date_format, phase=phase, when=phase.ends_at)
    next_start = min((p.starts_at for p in dialogue.phases if p.starts_at > now), default=None)
    if next_start is not None or not dialogue.phases:
        return Standing(dialogue, UPCOMING, date_format, when=next_start)
    return Standing(dialogue, ENDED, date_format, when=last_end)


# The timeline -------------------------------------------------------------------------

# A phase's place in time; CLOSED and CANCELLED only in an archived dialogue, which ended
# the phase running then (CLOSED) and the ones still to come (CANCELLED).
CURRENT, PAST, COMING, CLOSED, CANCELLED = "current", "past", "upcoming", "closed", "cancelled"


@dataclass(frozen=True)
class TimelineEntry:
    phase: Any  # a Phase, or a PhasePlan in an admin's preview
    status: str
    # The kind of phase, only where the title does not already say it.
    kind_label: Any
    # What a resident can do in the phase, in their words; what the municipality does.
    resident_actions: list
    municipality_notes: list

    @property
    def is_current(self) -> bool:
        return self.status == CURRENT


@dataclass(frozen=True)
class Timeline:
    entries: list[TimelineEntry]
    date_format: str

    def __iter__(self):
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)


def timeline(phases, now: datetime, *, archived: bool = False) -> Timeline:
    ordered = sorted(phases, key=lambda p: p.starts_at)
    return Timeline(
        [_entry(phase, _status(phase, now, archived)) for phase in ordered],
        schedule_format(ordered),
    )


def timeline_of(dialogue: Dialogue, now: datetime) -> Timeline:
    return timeline(dialogue.phases, now, archived=dialogue.state is DialogueState.archived)


def _status(phase, now: datetime, archived: bool) -> str:
    if phase.ends_at is not None and phase.ends_at <= now:
        return PAST
    if phase.starts_at <= now:
        return CLOSED if archived else CURRENT
    return CANCELLED if archived else COMING


def _entry(phase, status: str) -> TimelineEntry:
    held = status != CANCELLED
    return TimelineEntry(
        phase=phase,
        status=status,
        kind_label=kind_label_adding_to(phase),
        resident_actions=resident_actions(phase.capabilities) if held else [],
        municipality_notes=[
            note
            for capability, note in MUNICIPALITY_NOTES.items()
            if capability in phase.capabilities
        ]
        if held
        else [],
    )


def resident_actions(capabilities) -> list:
    """What residents can do with these capabilities, in their words and the registry's order."""
    return [
        label for capability, label in RESIDENT_ACTION_LABELS.items() if capability in capabilities
    ]


def kind_label_adding_to(phase):
    """The kind's name, or None when the title already says it ("Kommunen svarar" of
    the kind "Kommunen svarar" would read twice)."""
    label = KIND_LABELS[phase.kind]
    return None if str(label).casefold() in phase.title.casefold() else label


# What the dialogue page leads with, first that can be done: the step's name for the page.
LEADING_STEPS = ("propose", "vote", "comment")
WAYS_IN = ("login_required", "email_unverified")


def next_step(where: Standing, actions: dict) -> str:
    """The one thing to do now: a resident action allowed now ("propose", "vote",
    "comment"), else the way in when one is only barred by logging in or confirming the
    address ("login_required", "email_unverified"), else "read"."""
    if where.has_ended:
        return "read"
    allowed = {capability.value for capability, decision in actions.items() if decision}
    for step in LEADING_STEPS:
        if step in allowed:
            return step
    for decision in actions.values():
        if decision.reason in WAYS_IN:
            return decision.reason
    return "read"
