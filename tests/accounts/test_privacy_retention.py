"""The privacy schedule: inactive accounts warned then anonymised, retention limits for
session records and the mail log, and each dialogue's retention decision (gallring).
The periodic tasks run through their real code (support.run_task, lease included)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from dialog.accounts.models import User, UserSession
from dialog.core.db import utcnow
from dialog.core.models import AuditEntry, OutboxEvent, OutboxStatus
from dialog.dialogues.models import Dialogue, RetentionAction
from dialog.proposals.models import Ballot, Comment, Proposal, Vote
from tests.support import PASSWORD, body, post_form, run_task

DAY = timedelta(days=1)


def _set(db, model, row_id, **values):
    db.session.execute(update(model).where(model.id == row_id).values(**values))
    db.session.commit()


def _user(db, user_id):
    db.session.expire_all()
    return db.session.get(User, user_id)


def _actions(db, action):
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


# Inactive accounts -----------------------------------------------------------------------


def test_an_inactive_account_is_warned_by_email_then_anonymised(app, ctx, db, make_user, mailbox):
    person = make_user(email="gammal.privacy@example.org")
    recent = make_user()
    _set(db, User, person.id, last_active_at=utcnow() - 731 * DAY)
    _set(db, User, recent.id, last_active_at=utcnow() - 30 * DAY)

    assert run_task(app, "accounts.inactive_accounts") == 1
    warning = mailbox.last("gammal.privacy@example.org")
    assert "avidentifieras" in warning["Subject"]
    assert "30 dagar" in body(warning) and "/login" in body(warning)
    assert _user(db, person.id).inactivity_warned_at is not None
    assert _user(db, recent.id).inactivity_warned_at is None
    assert run_task(app, "accounts.inactive_accounts") == 0  # warned once, not again

    _set(db, User, person.id, inactivity_warned_at=utcnow() - 31 * DAY)
    assert run_task(app, "accounts.inactive_accounts") == 1
    erased = _user(db, person.id)
    assert erased.is_anonymised and erased.email.endswith("@erased.invalid")
    [entry] = _actions(db, "account_erased")
    assert entry.reason == "inactive" and entry.actor_id is None


def test_logging_in_after_the_warning_keeps_the_account(app, db, client, make_user):
    from dialog.extensions import db as database

    person = make_user(email="aterkommer.privacy@example.org")
    with app.app_context():
        _set(database, User, person.id, last_active_at=utcnow() - 800 * DAY)
        run_task(app, "accounts.inactive_accounts")
    post_form(client, "/login", {"email": "aterkommer.privacy@example.org", "password": PASSWORD})
    with app.app_context():
        _set(database, User, person.id, last_active_at=utcnow() - 20 * DAY)
        user = _user(database, person.id)
        assert user.inactivity_warned_at is None  # logging in cleared the warning
        run_task(app, "accounts.inactive_accounts")
        assert not _user(database, person.id).is_anonymised


def test_staff_are_warned_but_not_anonymised_unless_the_setting_says_so(
    app, ctx, db, make_user, mailbox, monkeypatch
):
    planner = make_user(role="planner", email="planerare.privacy@example.org")
    _set(db, User, planner.id, last_active_at=utcnow() - 800 * DAY)
    run_task(app, "accounts.inactive_accounts")
    assert "administratör" in body(mailbox.last("planerare.privacy@example.org"))
    _set(db, User, planner.id, inactivity_warned_at=utcnow() - 60 * DAY)
    run_task(app, "accounts.inactive_accounts")
    assert not _user(db, planner.id).is_anonymised
    monkeypatch.setitem(app.config, "INACTIVE_ANONYMISE_STAFF", True)
    run_task(app, "accounts.inactive_accounts")
    assert _user(db, planner.id).is_anonymised


def test_an_account_that_never_logged_in_counts_from_its_creation(app, ctx, db, make_user):
    person = make_user()
    _set(db, User, person.id, created_at=utcnow() - 800 * DAY, last_active_at=None)
    assert run_task(app, "accounts.inactive_accounts") == 1


# Retention limits ------------------------------------------------------------------------


def test_old_session_records_and_the_settled_mail_log_are_deleted(app, ctx, db, make_user):
    from dialog.accounts import services
    from dialog.core import mail

    person = db.session.get(User, make_user().id)
    services.start_session(person, user_agent="Old/1.0")
    services.start_session(person, user_agent="New/1.0")
    mail.queue(
        to="x.privacy@example.org",
        template="password_changed",
        locale="sv",
        key="old",
        name="X",
        reset_url="u",
    )
    mail.queue(
        to="y.privacy@example.org",
        template="password_changed",
        locale="sv",
        key="pending",
        name="Y",
        reset_url="u",
    )
    db.session.commit()
    old_session = db.session.scalar(select(UserSession).where(UserSession.user_agent == "Old/1.0"))
    _set(db, UserSession, old_session.id, ended_at=utcnow() - 91 * DAY)
    old_event = db.session.scalar(select(OutboxEvent).where(OutboxEvent.key.like("email:old:%")))
    _set(
        db, OutboxEvent, old_event.id, status=OutboxStatus.delivered, created_at=utcnow() - 31 * DAY
    )
    pending = db.session.scalar(select(OutboxEvent).where(OutboxEvent.key.like("email:pending:%")))
    _set(db, OutboxEvent, pending.id, created_at=utcnow() - 31 * DAY)

    assert run_task(app, "accounts.retention_limits") == 2
    db.session.expire_all()
    assert [s.user_agent for s in db.session.scalars(select(UserSession))] == ["New/1.0"]
    keys = [e.key for e in db.session.scalars(select(OutboxEvent))]
    assert not any(k.startswith("email:old:") for k in keys)
    assert any(k.startswith("email:pending:") for k in keys)  # still owed: kept
    [entry] = _actions(db, "retention_enforced")
    assert entry.details["session_records"] == 1 and entry.details["mail_log"] == 1


# The dialogue's retention decision -------------------------------------------------------


@pytest.fixture
def closed_dialogue(app, ctx, db, make_dialogue, make_proposal, make_comment, cast_vote, make_user):
    """A dialogue whose proposal and voting phase ended seven months ago, with input."""
    voter, author = make_user(), make_user()
    dialogue = make_dialogue(
        "avslutad",
        phases=(("proposals", -24 * 30, 24, {"capability_overrides": {"vote": True}}),),
    )
    proposal = make_proposal(dialogue, author=author, title="Gamla förslaget")
    make_comment(proposal, voter, body="Gammal kommentar")
    cast_vote(proposal, voter)
    phase = dialogue.phases[0]
    phase.starts_at, phase.ends_at = utcnow() - 300 * DAY, utcnow() - 215 * DAY
    db.session.commit()
    return dialogue


def _decide(db, dialogue, months, action=RetentionAction.anonymise):
    _set(db, Dialogue, dialogue.id, retention_months=months, retention_action=action)


def test_a_dialogue_without_a_decision_or_not_yet_due_is_left_alone(app, db, closed_dialogue):
    assert run_task(app, "accounts.thin_dialogues") == 0  # no decision: the records are kept
    _decide(db, closed_dialogue, 12)
    assert run_task(app, "accounts.thin_dialogues") == 0  # due in five months
    db.session.expire_all()
    assert db.session.scalar(select(Proposal.author_id)) is not None


def test_anonymising_keeps_the_texts_and_counts_and_names_nobody(app, db, client, closed_dialogue):
    _decide(db, closed_dialogue, 6)
    assert run_task(app, "accounts.thin_dialogues") == 1
    db.session.expire_all()
    proposal = db.session.scalar(select(Proposal))
    assert (proposal.author_id, proposal.title, proposal.votes_for) == (None, "Gamla förslaget", 1)
    assert db.session.scalar(select(Comment.author_id)) is None
    assert db.session.scalar(select(Vote.user_id)) is None
    assert db.session.scalar(select(Ballot.id)) is None
    assert db.session.get(Dialogue, closed_dialogue.id).thinned_at is not None
    [entry] = _actions(db, "dialogue_thinned")
    assert entry.details["decision"] == "anonymise" and entry.details["rows"]["proposals"] == 1
    assert run_task(app, "accounts.thin_dialogues") == 0  # once only
    page = client.get(f"/p/{proposal.id}").get_data(as_text=True)
    assert page.count("Borttagen deltagare") == 2 and "Gamla förslaget" in page


def test_removing_thins_out_proposals_comments_and_votes(app, db, closed_dialogue):
    _decide(db, closed_dialogue, 6, RetentionAction.remove)
    assert run_task(app, "accounts.thin_dialogues") == 1
    db.session.expire_all()
    for model in (Proposal, Comment, Vote, Ballot):
        assert db.session.scalar(select(model.id)) is None, model
    [entry] = _actions(db, "dialogue_thinned")
    assert entry.details["rows"] == {"proposals": 1, "comments": 1, "ballots": 1}


def test_a_dialogue_with_an_open_ended_input_phase_never_comes_due(app, ctx, db, make_dialogue):
    from dialog.accounts import records

    dialogue = make_dialogue("pagaende", phases=(("proposals", -5000, None),))
    assert records.closes_at(dialogue) is None
    _decide(db, dialogue, 1)
    assert run_task(app, "accounts.thin_dialogues") == 0


def test_months_are_calendar_months():
    from datetime import UTC, datetime

    from dialog.accounts.records import add_months

    assert add_months(datetime(2026, 1, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2026, 11, 15, tzinfo=UTC), 14) == datetime(2028, 1, 15, tzinfo=UTC)


def test_the_network_a_session_came_from_is_forgotten_after_its_retention(app, ctx, db, make_user):
    from dialog.accounts import privacy, services

    person = db.session.get(User, make_user().id)
    services.start_session(person, user_agent="Old/1.0", ip="203.0.113.7")
    services.start_session(person, user_agent="New/1.0", ip="203.0.113.8")
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_agent == "Old/1.0")
        .values(created_at=utcnow() - timedelta(days=31))
    )
    db.session.commit()
    assert privacy.blank_old_ip_addresses() == 1
    db.session.commit()
    rows = dict(db.session.execute(select(UserSession.user_agent, UserSession.ip_prefix)).all())
    assert rows == {"Old/1.0": None, "New/1.0": "203.0.113.0/24"}


def test_who_reported_a_barrier_is_forgotten_after_a_year_the_report_stays(app, ctx, db, make_user):
    from dialog.accounts import privacy
    from dialog.pages.models import AccessibilityFeedback

    person = make_user()
    for age_days, email in ((400, "gammal@example.org"), (10, "ny@example.org")):
        db.session.add(
            AccessibilityFeedback(
                description=f"Knappen syns inte ({email})",
                email=email,
                user_id=person.id,
                locale="sv",
                created_at=utcnow() - timedelta(days=age_days),
            )
        )
    db.session.commit()
    assert privacy.enforce_retention_limits()["feedback_contacts"] == 1
    db.session.commit()
    rows = db.session.execute(
        select(AccessibilityFeedback.email, AccessibilityFeedback.user_id).order_by(
            AccessibilityFeedback.created_at
        )
    ).all()
    assert rows == [(None, None), ("ny@example.org", person.id)]
    assert db.session.scalar(select(AccessibilityFeedback.id).limit(1)) is not None


def test_thinning_leaves_the_audit_log_and_the_privacy_notice_says_so(
    app, db, client, closed_dialogue
):
    """The log refuses changes (database triggers), so an anonymised dialogue's log still
    ties the author's account id to the edit: the notice and the inventory declare it."""
    from dialog.accounts import privacy
    from dialog.proposals import services

    proposal = db.session.scalar(select(Proposal))
    author_id = proposal.author_id
    services.update_proposal(proposal, by=proposal.author, title="Gamla förslaget, ändrat")
    db.session.commit()
    _decide(db, closed_dialogue, 6)
    assert run_task(app, "accounts.thin_dialogues") == 1
    db.session.expire_all()
    assert db.session.scalar(select(Proposal.author_id)) is None
    [edited] = _actions(db, "proposal_edited")
    assert (edited.actor_id, edited.object_id) == (author_id, str(proposal.id))
    reason = privacy.INVENTORY["audit_entry"].reason
    assert "thinned" in reason and "proposal_edited" in reason
    notice = client.get("/privacy?lang=en").get_data(as_text=True)
    assert "neither thinned with a dialogue nor erased with an account" in notice
    assert "which contributions that account edited, withdrew or deleted" in notice
