"""The one place a dialogue's schedule is validated, and the changes made through it.

Local Stockholm wall-clock times go in, UTC instants are stored; every rule of the
schedule (order, overlap, open end) is checked by `schedule.check_schedule` whichever
service asks; each change leaves an audit entry naming who made it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from dialog.core.db import utcnow
from dialog.core.models import AuditEntry
from dialog.core.timezone import to_local
from dialog.dialogues import schedule
from dialog.dialogues.models import (
    Capability,
    Phase,
    PhaseKind,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")


# Helpers ----------------------------------------------------------------------------


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def plan(kind="proposals", start=None, end=None, title=None, **fields) -> schedule.PhasePlan:
    return schedule.PhasePlan(
        kind=PhaseKind(kind),
        title=title or f"{kind} {start:%d %H:%M}",
        starts_at=start,
        ends_at=end,
        **fields,
    )


def reload(db, phase_id: int) -> Phase:
    db.session.expire_all()
    return db.session.get(Phase, phase_id)


def audit_entries(db, action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def problem_fields(invalid: schedule.ScheduleInvalid) -> list[str]:
    return [problem.field for problem in invalid.problems]


def messages(invalid: schedule.ScheduleInvalid) -> str:
    return " | ".join(problem.message for problem in invalid.problems)


# A day in May 2027 with nothing special about its clocks (UTC+2 in Stockholm).
DAY = (2027, 5, 3)


def at(hour: int, minute: int = 0, day_offset: int = 0) -> datetime:
    return utc(*DAY, hour, minute) + timedelta(days=day_offset)


# Local time in, UTC stored ------------------------------------------------------------


def test_winter_and_summer_wall_clock_times_are_stored_in_utc(ctx, db, make_dialogue):
    winter = schedule.local_to_utc(datetime(2026, 1, 15, 10, 0), "starts_at")
    summer = schedule.local_to_utc(datetime(2026, 7, 1, 10, 0), "ends_at")
    assert winter == utc(2026, 1, 15, 9, 0)  # +01:00
    assert summer == utc(2026, 7, 1, 8, 0)  # +02:00
    assert winter.utcoffset() == timedelta(0) and summer.utcoffset() == timedelta(0)

    dialogue = make_dialogue("schemat")
    phase = schedule.add_phase(dialogue, plan("proposals", winter, summer), by=None)
    db.session.commit()
    stored = reload(db, phase.id)
    assert stored.starts_at == utc(2026, 1, 15, 9, 0)
    assert stored.ends_at == utc(2026, 7, 1, 8, 0)
    assert stored.starts_at.utcoffset() == timedelta(0)
    assert to_local(stored.starts_at) == datetime(2026, 1, 15, 10, 0)
    assert to_local(stored.ends_at) == datetime(2026, 7, 1, 10, 0)


def test_a_phase_across_the_spring_change_keeps_its_local_times(ctx, db, make_dialogue):
    dialogue = make_dialogue("schemat")
    starts = schedule.local_to_utc(datetime(2026, 3, 28, 10, 0), "starts_at")
    ends = schedule.local_to_utc(datetime(2026, 3, 30, 10, 0), "ends_at")
    phase = schedule.add_phase(dialogue, plan("proposals", starts, ends), by=None)
    db.session.commit()

    stored = reload(db, phase.id)
    assert stored.starts_at == utc(2026, 3, 28, 9, 0)
    assert stored.ends_at == utc(2026, 3, 30, 8, 0)
    assert stored.ends_at - stored.starts_at == timedelta(hours=47)  # one hour fewer
    assert stored.starts_at.astimezone(STOCKHOLM).strftime("%H:%M") == "10:00"
    assert stored.ends_at.astimezone(STOCKHOLM).strftime("%H:%M") == "10:00"


def test_a_time_in_the_spring_gap_is_refused_with_a_message_naming_it(app, ctx):
    # Swedish, the default.
    with app.test_request_context(), pytest.raises(schedule.ScheduleInvalid) as refused:
        schedule.local_to_utc(datetime(2026, 3, 29, 2, 30), "starts_at")
    assert problem_fields(refused.value) == ["starts_at"]
    message = refused.value.problems[0].message
    assert "02:30" in message and "29 mars 2026" in message
    assert "finns inte i svensk tid" in message

    # The app context (and Babel's cached locale) is shared with the request above.
    with (
        app.test_request_context("/?lang=en"),
        force_locale("en"),
        pytest.raises(schedule.ScheduleInvalid) as refused,
    ):
        schedule.local_to_utc(datetime(2026, 3, 29, 2, 0), "ends_at")
    assert problem_fields(refused.value) == ["ends_at"]
    assert "02:00" in refused.value.problems[0].message
    assert "does not exist in Swedish time" in refused.value.problems[0].message


def test_the_spring_gap_is_refused_outside_a_request_too(ctx):
    """The CLI and tasks schedule through the same function, without a request."""
    with pytest.raises(schedule.ScheduleInvalid) as refused:
        schedule.local_to_utc(datetime(2026, 3, 29, 2, 59), "starts_at")
    assert problem_fields(refused.value) == ["starts_at"]
    assert "02:59" in refused.value.problems[0].message


def test_the_minutes_around_the_spring_gap_exist(ctx):
    assert schedule.local_to_utc(datetime(2026, 3, 29, 1, 59), "starts_at") == utc(
        2026, 3, 29, 0, 59
    )
    assert schedule.local_to_utc(datetime(2026, 3, 29, 3, 0), "starts_at") == utc(2026, 3, 29, 1, 0)


def test_an_ambiguous_autumn_time_takes_the_first_occurrence(ctx):
    assert schedule.local_to_utc(datetime(2026, 10, 25, 2, 30), "starts_at") == utc(
        2026, 10, 25, 0, 30
    )
    # The hour after the change is winter time again.
    assert schedule.local_to_utc(datetime(2026, 10, 25, 3, 30), "starts_at") == utc(
        2026, 10, 25, 2, 30
    )


# The rules of a schedule ---------------------------------------------------------------


@pytest.mark.parametrize("length", [timedelta(hours=-1), timedelta(0)], ids=["before", "equal"])
def test_a_phase_must_end_after_it_starts(app, ctx, db, length, make_dialogue):
    dialogue = make_dialogue("schemat")
    with app.test_request_context():
        assert [
            p.field for p in schedule.check_schedule([plan("voting", at(10), at(10) + length)])
        ] == ["ends_at"]
        with pytest.raises(schedule.ScheduleInvalid) as refused:
            schedule.add_phase(dialogue, plan("voting", at(10), at(10) + length), by=None)
    assert problem_fields(refused.value) == ["ends_at"]
    assert messages(refused.value) == "Fasen måste sluta efter att den börjar."
    db.session.expire_all()
    assert db.session.scalars(select(Phase).where(Phase.dialogue_id == dialogue.id)).all() == []


def test_overlapping_phases_are_refused_and_the_message_names_the_other_phase(
    app, ctx, db, make_dialogue
):
    dialogue = make_dialogue("schemat")
    schedule.add_phase(dialogue, plan("proposals", at(10), at(12), title="Förslagsfasen"), by=None)
    db.session.commit()

    with app.test_request_context():
        with pytest.raises(schedule.ScheduleInvalid) as later:
            schedule.add_phase(dialogue, plan("voting", at(11), at(13), title="Nya"), by=None)
        with pytest.raises(schedule.ScheduleInvalid) as earlier:
            schedule.add_phase(
                dialogue, plan("information", at(9), at(10, 30), title="Nya"), by=None
            )
        with pytest.raises(schedule.ScheduleInvalid) as inside:
            schedule.add_phase(dialogue, plan("dialogue", at(10, 30), at(11), title="Nya"), by=None)
    for refused in (later, earlier, inside):
        assert problem_fields(refused.value) == ["starts_at"]
        assert "Förslagsfasen" in messages(refused.value)
        assert "Nya" not in messages(refused.value)
    # The other phase's times are shown in Stockholm time: 10:00Z is 12:00 local in May.
    assert "12:00" in messages(later.value) and "14:00" in messages(later.value)
    assert [p.title for p in dialogue.phases] == ["Förslagsfasen"]


def test_touching_phases_are_allowed(ctx, db, make_dialogue):
    dialogue = make_dialogue("schemat")
    schedule.add_phase(dialogue, plan("proposals", at(10), at(12)), by=None)
    schedule.add_phase(dialogue, plan("voting", at(12), at(14)), by=None)
    schedule.add_phase(dialogue, plan("information", at(8), at(10)), by=None)
    db.session.commit()
    db.session.expire_all()
    assert [(p.kind, p.starts_at, p.ends_at) for p in dialogue.phases] == [
        (PhaseKind.information, at(8), at(10)),
        (PhaseKind.proposals, at(10), at(12)),
        (PhaseKind.voting, at(12), at(14)),
    ]


def test_only_one_phase_may_be_open_ended_and_it_must_be_last(app, ctx, db, make_dialogue):
    with app.test_request_context():
        two_open = schedule.check_schedule(
            [plan("voting", at(10), None), plan("result", at(12), None)]
        )
        assert "Bara den sista fasen får sakna slut." in [p.message for p in two_open]
        assert "ends_at" in [p.field for p in two_open]
        open_first = schedule.check_schedule(
            [plan("voting", at(10), None), plan("result", at(12), at(14))]
        )
        assert "Bara den sista fasen får sakna slut." in [p.message for p in open_first]
        assert "ends_at" in [p.field for p in open_first]
        # Order is by start, not by the order given: the open-ended one is last here.
        assert (
            schedule.check_schedule([plan("result", at(12), None), plan("voting", at(10), at(12))])
            == []
        )

    dialogue = make_dialogue("schemat")
    schedule.add_phase(dialogue, plan("voting", at(10), at(12)), by=None)
    last = schedule.add_phase(dialogue, plan("result", at(12), None), by=None)
    db.session.commit()
    assert reload(db, last.id).ends_at is None

    with app.test_request_context():
        # A second open end, after the last one.
        with pytest.raises(schedule.ScheduleInvalid) as second_open:
            schedule.add_phase(dialogue, plan("result", at(9, day_offset=1), None), by=None)
        # An open end before the others.
        with pytest.raises(schedule.ScheduleInvalid) as open_before:
            schedule.add_phase(dialogue, plan("information", at(8), None), by=None)
    # The new phase is the one open end before the others: its end is what is wrong.
    assert "ends_at" in problem_fields(open_before.value)
    assert "Bara den sista fasen får sakna slut." in messages(open_before.value)
    # After the open-ended last phase, the new phase's end is not what is wrong: the
    # message names the phase without an end, on the new phase's start.
    assert problem_fields(second_open.value) == ["starts_at"]
    assert messages(second_open.value) == (
        f"”{last.title}” saknar slut, och bara den sista fasen får sakna slut: ge "
        f"”{last.title}” ett slut först, eller låt den här fasen börja före den."
    )
    with app.test_request_context(), pytest.raises(schedule.ScheduleInvalid) as with_end:
        schedule.add_phase(
            dialogue, plan("result", at(9, day_offset=1), at(9, day_offset=2)), by=None
        )
    assert problem_fields(with_end.value) == ["starts_at"]
    assert "ends_at" not in problem_fields(with_end.value)
    assert len(dialogue.phases) == 2


# Changing a schedule ----------------------------------------------------------------


def test_update_phase_checks_the_other_phases_but_not_the_old_version_of_itself(
    app, ctx, db, make_user, make_dialogue
):
    admin = make_user(role="admin")
    dialogue = make_dialogue("schemat")
    first = schedule.add_phase(
        dialogue, plan("proposals", at(10), at(12), title="Förslag"), by=admin
    )
    second = schedule.add_phase(
        dialogue, plan("voting", at(12), at(14), title="Röstning"), by=admin
    )
    db.session.commit()

    # Overlaps only where it used to be: allowed.
    schedule.update_phase(first, plan("proposals", at(9), at(11, 30), title="Förslag"), by=admin)
    db.session.commit()
    assert (reload(db, first.id).starts_at, reload(db, first.id).ends_at) == (at(9), at(11, 30))

    with app.test_request_context(), pytest.raises(schedule.ScheduleInvalid) as refused:
        schedule.update_phase(second, plan("voting", at(11), at(14), title="Röstning"), by=admin)
    assert problem_fields(refused.value) == ["starts_at"]
    assert "Förslag" in messages(refused.value)
    stored = reload(db, second.id)
    assert (stored.starts_at, stored.ends_at) == (at(12), at(14))


def test_an_edited_phase_that_runs_into_the_next_one_is_told_which(app, ctx, db, make_dialogue):
    dialogue = make_dialogue("schemat")
    first = schedule.add_phase(
        dialogue, plan("proposals", at(10), at(12), title="Förslag"), by=None
    )
    schedule.add_phase(dialogue, plan("voting", at(12), at(14), title="Röstning"), by=None)
    db.session.commit()
    with app.test_request_context(), pytest.raises(schedule.ScheduleInvalid) as refused:
        schedule.update_phase(first, plan("proposals", at(10), at(13), title="Förslag"), by=None)
    assert problem_fields(refused.value) == ["starts_at"]
    assert "Röstning" in messages(refused.value)


def test_remove_phase_removes_it(ctx, db, make_dialogue):
    dialogue = make_dialogue("schemat")
    keep = schedule.add_phase(dialogue, plan("proposals", at(10), at(12)), by=None)
    gone = schedule.add_phase(dialogue, plan("voting", at(12), at(14)), by=None)
    db.session.commit()
    gone_id = gone.id

    schedule.remove_phase(gone, by=None)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Phase, gone_id) is None
    assert [p.id for p in dialogue.phases] == [keep.id]
    # The freed time can be scheduled again.
    schedule.add_phase(dialogue, plan("dialogue", at(12), at(13)), by=None)


def test_each_schedule_change_is_audited_with_its_actor(ctx, db, make_user, make_dialogue):
    admin = make_user(role="admin")
    dialogue = make_dialogue("schemat")

    phase = schedule.add_phase(
        dialogue, plan("proposals", at(10), at(12), title="Förslag"), by=admin
    )
    db.session.commit()
    (scheduled,) = audit_entries(db, "phase_scheduled")
    assert scheduled.actor_id == admin.id
    assert (scheduled.object_type, scheduled.object_id) == ("Phase", str(phase.id))
    assert scheduled.details["dialogue_id"] == dialogue.id
    assert scheduled.details["starts_at"] == at(10).isoformat()

    schedule.update_phase(phase, plan("proposals", at(10), at(13), title="Förslag"), by=admin)
    db.session.commit()
    (rescheduled,) = audit_entries(db, "phase_rescheduled")
    assert rescheduled.actor_id == admin.id
    assert rescheduled.object_id == str(phase.id)
    assert rescheduled.details["before"]["ends_at"] == at(12).isoformat()
    assert rescheduled.details["after"]["ends_at"] == at(13).isoformat()

    phase_id = phase.id
    schedule.remove_phase(phase, by=admin)
    db.session.commit()
    (removed,) = audit_entries(db, "phase_removed")
    assert removed.actor_id == admin.id
    assert (removed.object_type, removed.object_id) == ("Phase", str(phase_id))


def test_a_refused_change_is_not_audited(ctx, db, make_user, make_dialogue):
    admin = make_user(role="admin")
    dialogue = make_dialogue("schemat")
    schedule.add_phase(dialogue, plan("proposals", at(10), at(12)), by=admin)
    db.session.commit()
    with pytest.raises(schedule.ScheduleInvalid):
        schedule.add_phase(dialogue, plan("voting", at(11), at(13)), by=admin)
    assert len(audit_entries(db, "phase_scheduled")) == 1


def test_preview_shows_the_schedule_in_order_without_saving(ctx, db, make_dialogue):
    dialogue = make_dialogue("schemat")
    schedule.add_phase(dialogue, plan("voting", at(12), at(14), title="Röstning"), by=None)
    db.session.commit()

    preview = schedule.preview_schedule(
        dialogue, plan("proposals", at(10), at(12), title="Förslag")
    )
    assert [p.title for p in preview] == ["Förslag", "Röstning"]
    db.session.expire_all()
    assert [p.title for p in dialogue.phases] == ["Röstning"]
    with pytest.raises(schedule.ScheduleInvalid):
        schedule.preview_schedule(dialogue, plan("proposals", at(10), at(13)))


# Opening and closing now ---------------------------------------------------------------


def live_schedule(db, make_dialogue, now):
    dialogue = make_dialogue("nu")
    current = schedule.add_phase(
        dialogue, plan("proposals", now - timedelta(hours=1), now + timedelta(hours=1)), by=None
    )
    following = schedule.add_phase(
        dialogue, plan("voting", now + timedelta(hours=1), now + timedelta(hours=3)), by=None
    )
    db.session.commit()
    return dialogue, current, following


def test_open_now_ends_the_current_phase_at_the_same_instant(ctx, db, make_user, make_dialogue):
    admin = make_user(role="admin")
    dialogue, current, following = live_schedule(db, make_dialogue, utcnow().replace(microsecond=0))

    before = utcnow().replace(microsecond=0)
    schedule.open_now(following, by=admin, reason="Workshopen blev klar tidigt")
    db.session.commit()
    after = utcnow()

    current, following = reload(db, current.id), reload(db, following.id)
    assert current.ends_at == following.starts_at
    assert before <= following.starts_at <= after
    assert following.starts_at.microsecond == 0
    assert dialogue.current_phase.id == following.id
    (entry,) = audit_entries(db, "phase_opened_now")
    assert entry.actor_id == admin.id
    assert entry.reason == "Workshopen blev klar tidigt"
    assert entry.object_id == str(following.id)
    assert entry.details["closed_phase_id"] == current.id


def test_close_now_ends_the_current_phase_now(ctx, db, make_user, make_dialogue):
    admin = make_user(role="admin")
    dialogue, current, following = live_schedule(db, make_dialogue, utcnow().replace(microsecond=0))

    before = utcnow().replace(microsecond=0)
    schedule.close_now(current, by=admin, reason="Avbruten")
    db.session.commit()
    after = utcnow()

    current = reload(db, current.id)
    assert before <= current.ends_at <= after and current.ends_at.microsecond == 0
    assert dialogue.current_phase is None
    assert reload(db, following.id).starts_at > after  # the next one is not moved
    (entry,) = audit_entries(db, "phase_closed_now")
    assert entry.actor_id == admin.id
    assert entry.reason == "Avbruten"
    assert entry.object_id == str(current.id)


def test_close_now_refuses_a_phase_that_is_not_open(ctx, db, make_user, make_dialogue):
    admin = make_user(role="admin")
    now = utcnow().replace(microsecond=0)
    dialogue, current, following = live_schedule(db, make_dialogue, now)
    past = schedule.add_phase(
        dialogue, plan("information", now - timedelta(hours=5), now - timedelta(hours=2)), by=None
    )
    db.session.commit()

    for phase in (following, past):
        with pytest.raises(schedule.ScheduleInvalid) as refused:
            schedule.close_now(phase, by=admin, reason="Fel")
        assert refused.value.problems
    db.session.rollback()
    assert reload(db, following.id).ends_at == now + timedelta(hours=3)
    assert audit_entries(db, "phase_closed_now") == []


def test_open_now_refuses_a_phase_that_has_already_ended(ctx, db, make_user, make_dialogue):
    admin = make_user(role="admin")
    now = utcnow().replace(microsecond=0)
    dialogue, current, following = live_schedule(db, make_dialogue, now)
    past = schedule.add_phase(
        dialogue, plan("information", now - timedelta(hours=5), now - timedelta(hours=2)), by=None
    )
    db.session.commit()
    with pytest.raises(schedule.ScheduleInvalid) as refused:
        schedule.open_now(past, by=admin, reason="Igen")
    assert problem_fields(refused.value) == ["reason"]
    db.session.rollback()
    assert reload(db, current.id).ends_at == now + timedelta(hours=1)
    assert audit_entries(db, "phase_opened_now") == []


# Capabilities -----------------------------------------------------------------------------


def test_capability_overrides_add_and_remove_what_a_kind_allows(ctx, db, make_dialogue):
    dialogue = make_dialogue("schemat")
    with_comments = schedule.add_phase(
        dialogue, plan("voting", at(10), at(12), capability_overrides={"comment": True}), by=None
    )
    without_votes = schedule.add_phase(
        dialogue, plan("voting", at(12), at(14), capability_overrides={"vote": False}), by=None
    )
    plain = schedule.add_phase(dialogue, plan("voting", at(14), at(16)), by=None)
    db.session.commit()

    with_comments = reload(db, with_comments.id)
    assert with_comments.allows(Capability.comment) and with_comments.allows(Capability.vote)
    without_votes = reload(db, without_votes.id)
    assert not without_votes.allows(Capability.vote)
    assert without_votes.capabilities == frozenset()
    plain = reload(db, plain.id)
    assert plain.capabilities == frozenset({Capability.vote})


def test_unknown_capability_names_are_dropped(ctx, db, make_dialogue):
    dialogue = make_dialogue("schemat")
    phase = schedule.add_phase(
        dialogue,
        plan("voting", at(10), at(12), capability_overrides={"teleport": True, "comment": True}),
        by=None,
    )
    db.session.commit()
    stored = reload(db, phase.id)
    assert stored.capability_overrides == {"comment": True}
    assert stored.capabilities == frozenset({Capability.vote, Capability.comment})

    schedule.update_phase(
        stored,
        plan("voting", at(10), at(12), capability_overrides={"fly": False, "vote": False}),
        by=None,
    )
    db.session.commit()
    stored = reload(db, phase.id)
    assert stored.capability_overrides == {"vote": False}
    assert stored.capabilities == frozenset()


def test_next_opening_is_the_next_start_of_a_phase_allowing_the_capability(ctx, db, make_dialogue):
    dialogue = make_dialogue("schemat")
    schedule.add_phase(dialogue, plan("proposals", at(10), at(12)), by=None)
    schedule.add_phase(dialogue, plan("voting", at(12), at(14)), by=None)
    schedule.add_phase(
        dialogue, plan("review", at(14), at(16), capability_overrides={"comment": True}), by=None
    )
    schedule.add_phase(dialogue, plan("result", at(16), None), by=None)
    db.session.commit()
    db.session.expire_all()

    before = at(9)
    assert schedule.next_opening(dialogue, Capability.propose, after=before) == at(10)
    assert schedule.next_opening(dialogue, Capability.vote, after=before) == at(12)
    assert schedule.next_opening(dialogue, Capability.comment, after=before) == at(10)
    # During the proposals phase the next chance to comment is the overridden review phase.
    assert schedule.next_opening(dialogue, Capability.comment, after=at(11)) == at(14)
    assert schedule.next_opening(dialogue, Capability.show_results, after=at(11)) == at(16)
    assert schedule.next_opening(dialogue, Capability.propose, after=at(11)) is None
    assert schedule.next_opening(dialogue, Capability.revise, after=before) is None


def test_next_opening_is_the_earliest_start_whatever_order_phases_were_added_in(
    ctx, db, make_dialogue
):
    dialogue = make_dialogue("schemat")
    schedule.add_phase(dialogue, plan("voting", at(14), at(16)), by=None)
    schedule.add_phase(dialogue, plan("voting", at(10), at(12)), by=None)
    # Same transaction, nothing reloaded: `dialogue.phases` is as the session built it.
    assert schedule.next_opening(dialogue, Capability.vote, after=at(9)) == at(10)
