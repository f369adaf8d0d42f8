"""Changes to dialogues and their schedules. Functions flush; the caller commits."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, select, update

from dialog.core import audit, mail, outbox
from dialog.core.db import insert_ignoring_conflicts, utcnow
from dialog.core.urls import public_url
from dialog.dialogues.models import (
    Capability,
    Dialogue,
    DialogueFollow,
    DialoguePlanner,
    DialogueState,
    Invitation,
    Phase,
    PhaseKind,
    PhaseTransition,
    TransitionEvent,
    capabilities_for,
    new_listing_version,
)
from dialog.extensions import db

STOCKHOLM = ZoneInfo("Europe/Stockholm")
ENDING_SOON = timedelta(hours=48)
DAYTIME_HOURS = range(8, 20)  # reminders go out between 08:00 and 20:00 local time
INVITATION_DAYS = 30


# Dialogues ---------------------------------------------------------------------------


def reference_prefix_for(slug: str) -> str:
    """STK for stadskarna, NPH for ny-park-hovsjo: letters for the reference codes."""
    words = [w for w in slug.split("-") if w]
    letters = "".join(w[0] for w in words) if len(words) > 1 else slug[:3]
    return (letters[:4] or "P").upper()


DIALOGUE_FIELDS = {
    "title",
    "summary",
    "background",
    "place_name",
    "place_lat",
    "place_lon",
    "place_area",
    "themes",
    "focus_areas",
    "visibility",
    "vote_mode",
    "votes_per_participant",
    "vote_counts",
    "reference_prefix",
    "named_places",
}


def create_dialogue(
    *, slug: str, by=None, state: DialogueState = DialogueState.draft, **fields
) -> Dialogue:
    _check_fields(fields)
    fields.setdefault("reference_prefix", reference_prefix_for(slug))
    dialogue = Dialogue(slug=slug, state=state, **fields)
    db.session.add(dialogue)
    db.session.flush()
    audit.record("dialogue_created", actor=by, target=dialogue, slug=slug)
    return dialogue


def update_dialogue(dialogue: Dialogue, *, by, **fields) -> None:
    _check_fields(fields)
    changed = sorted(name for name, value in fields.items() if getattr(dialogue, name) != value)
    for name, value in fields.items():
        setattr(dialogue, name, value)
    if changed:
        dialogue.listing_version = new_listing_version()  # lists show its themes, prefix...
    db.session.flush()
    if changed:
        audit.record("dialogue_updated", actor=by, target=dialogue, fields=changed)


def listing_changed(dialogue_id: int) -> None:
    """What the dialogue's proposal lists show has changed: cached lists are stale.

    Call it last in the transaction: the dialogue row stays locked until the commit, and
    taking it after the ballot and proposal rows keeps one lock order everywhere.
    """
    db.session.execute(
        update(Dialogue)
        .where(Dialogue.id == dialogue_id)
        # A vote is not an edit of the dialogue: updated_at keeps its value.
        .values(listing_version=new_listing_version(), updated_at=Dialogue.updated_at)
        .execution_options(synchronize_session=False)
    )


def _check_fields(fields: dict) -> None:
    unknown = set(fields) - DIALOGUE_FIELDS
    if unknown:
        raise TypeError(f"not dialogue fields: {', '.join(sorted(unknown))}")


def set_state(dialogue: Dialogue, state: DialogueState, *, by) -> None:
    if dialogue.state is state:
        return
    old = dialogue.state
    dialogue.state = state
    db.session.flush()
    audit.record(f"dialogue_{state.value}", actor=by, target=dialogue, old=old.value)


def slug_taken(slug: str) -> bool:
    return db.session.scalar(select(Dialogue.id).where(Dialogue.slug == slug)) is not None


def assign_planner(dialogue: Dialogue, user, *, by) -> None:
    inserted = insert_ignoring_conflicts(
        DialoguePlanner,
        {"dialogue_id": dialogue.id, "user_id": user.id, "assigned_at": utcnow()},
        ["dialogue_id", "user_id"],
    )
    if inserted:
        audit.record("planner_assigned", actor=by, target=dialogue, user_id=user.id)
    db.session.expire(dialogue, ["planners"])


def unassign_planner(dialogue: Dialogue, user_id: int, *, by) -> None:
    removed = db.session.execute(
        delete(DialoguePlanner).where(
            DialoguePlanner.dialogue_id == dialogue.id, DialoguePlanner.user_id == user_id
        )
    ).rowcount
    if removed:
        audit.record("planner_unassigned", actor=by, target=dialogue, user_id=user_id)
    db.session.expire(dialogue, ["planners"])


def follow(dialogue: Dialogue, user) -> None:
    insert_ignoring_conflicts(
        DialogueFollow,
        {"dialogue_id": dialogue.id, "user_id": user.id, "created_at": utcnow()},
        ["dialogue_id", "user_id"],
    )


def unfollow(dialogue: Dialogue, user) -> None:
    db.session.execute(
        delete(DialogueFollow).where(
            DialogueFollow.dialogue_id == dialogue.id, DialogueFollow.user_id == user.id
        )
    )


# Scheduling --------------------------------------------------------------------------

NONEXISTENT_TIME = _l(
    "%(time)s does not exist in Swedish time: the clocks are moved forward an hour that night. "
    "Choose a time after 03:00."
)
ENDS_BEFORE_START = _l("The phase must end after it starts.")
OVERLAP = _l("The phase overlaps “%(other)s” (%(start)s – %(end)s).")
OPEN_ENDED_NOT_LAST = _l("Only the last phase may be without an end.")
ALREADY_ENDED = _l("The phase has already ended; change its end first.")
NOT_CURRENT = _l("Only the phase that is open now can be closed now.")


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
    """A wall-clock time in Stockholm, to the minute, as UTC.

    Times in the spring gap do not exist and are refused; ambiguous autumn times take the
    first occurrence (summer time), which is what `fold=0` means.
    """
    local = local.replace(second=0, microsecond=0, tzinfo=None)
    aware = local.replace(tzinfo=STOCKHOLM, fold=0)
    if aware.astimezone(UTC).astimezone(STOCKHOLM).replace(tzinfo=None) != local:
        shown = format_datetime(local, "d MMMM yyyy HH:mm", rebase=False)
        message = str(NONEXISTENT_TIME) % {"time": shown}
        raise ScheduleInvalid([ScheduleProblem(field_name, message)])
    return aware.astimezone(UTC)


def utc_to_local(moment: datetime) -> datetime:
    """For filling forms: the naive Stockholm wall-clock time of a stored instant."""
    return moment.astimezone(STOCKHOLM).replace(tzinfo=None)


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
        raise ScheduleInvalid([ScheduleProblem("reason", str(ALREADY_ENDED))])
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
        raise ScheduleInvalid([ScheduleProblem("reason", str(NOT_CURRENT))])
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


# The scheduler -----------------------------------------------------------------------


def record_due_transitions(now: datetime | None = None) -> int:
    """Record every phase start, reminder and end that is due, each exactly once.

    A transition is keyed by phase, event and the instant it was scheduled for, so a
    rescheduled phase is recorded again and two schedulers running at once record it
    once. Each new transition is handed to notifications through the outbox.
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


def _due_transitions(now: datetime):
    recorded = {
        (row.phase_id, row.event, row.scheduled_for)
        for row in db.session.execute(
            select(PhaseTransition.phase_id, PhaseTransition.event, PhaseTransition.scheduled_for)
            .join(Phase, Phase.id == PhaseTransition.phase_id)
            .where(Phase.starts_at <= now)
        )
    }
    daytime = now.astimezone(STOCKHOLM).hour in DAYTIME_HOURS
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


# Invitations -------------------------------------------------------------------------


def _invitation_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="invitation")


def invite(dialogue: Dialogue, emails: list[str], *, by) -> list[Invitation]:
    """Invite addresses (again, if revoked); each gets a signed link through the outbox."""
    invited = []
    existing = {
        i.email: i
        for i in db.session.scalars(select(Invitation).where(Invitation.dialogue_id == dialogue.id))
    }
    for email in dict.fromkeys(e.strip().lower() for e in emails if e.strip()):
        invitation = existing.get(email)
        if invitation is None:
            invitation = Invitation(dialogue_id=dialogue.id, email=email, invited_by_id=by.id)
            db.session.add(invitation)
        elif invitation.revoked_at is not None:
            invitation.revoked_at = None
        else:
            continue
        db.session.flush()
        _send_invitation(dialogue, invitation)
        invited.append(invitation)
    if invited:
        audit.record(
            "participants_invited", actor=by, target=dialogue, emails=[i.email for i in invited]
        )
    return invited


def _send_invitation(dialogue: Dialogue, invitation: Invitation) -> None:
    token = _invitation_serializer().dumps({"inv": invitation.id})
    mail.queue(
        to=invitation.email,
        template="invitation",
        locale="sv",
        key=f"invitation:{invitation.id}:{hashlib.sha256(token.encode()).hexdigest()[:16]}",
        dialogue_title=dialogue.title,
        days=INVITATION_DAYS,
        invitation_url=public_url("dialogues.accept_invitation", token=token),
    )


def revoke_invitation(invitation: Invitation, *, by) -> None:
    if invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        db.session.flush()
        audit.record(
            "invitation_revoked",
            actor=by,
            target=invitation,
            dialogue_id=invitation.dialogue_id,
            email=invitation.email,
        )


class InvalidInvitation(Exception):
    pass


def invitation_for_token(token: str) -> Invitation:
    try:
        data = _invitation_serializer().loads(token, max_age=INVITATION_DAYS * 86400)
    except BadSignature as error:
        raise InvalidInvitation from error
    invitation = db.session.get(Invitation, data["inv"])
    if invitation is None or invitation.revoked_at is not None:
        raise InvalidInvitation
    return invitation


def accept_invitation(invitation: Invitation, user) -> None:
    """Bind the invitation to the account that followed its link."""
    if invitation.user_id is None:
        invitation.user_id = user.id
        invitation.accepted_at = utcnow()
        db.session.flush()
        audit.record(
            "invitation_accepted", actor=user, target=invitation, dialogue_id=invitation.dialogue_id
        )
