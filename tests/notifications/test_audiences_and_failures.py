"""Who hears of moderation and answers, each notice about one's own content on its own;
how sending tells a recipient's hard bounce from the mail server's own fault; retries
that back off; a one-click unsubscribe limited per person; a worker's stop request that
ends with its task; a delivery whose every attempt killed its worker."""

from __future__ import annotations

import smtplib
import warnings
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from flask_babel import force_locale
from sqlalchemy import select

from dialog.accounts.models import User
from dialog.core import mail
from dialog.core.db import utcnow
from dialog.dialogues import services as dialogue_services
from dialog.dialogues.models import Dialogue
from dialog.extensions import db
from dialog.moderation import services as moderation
from dialog.moderation.models import FlagReason
from dialog.notifications import labels, queries, sending, services, stopping
from dialog.notifications.models import (
    Category,
    Channel,
    Delivery,
    DeliveryStatus,
    Frequency,
)
from dialog.proposals import services as proposal_services
from dialog.proposals.models import AnswerStatus, Proposal, VoteValue
from tests.factories import LIVE
from tests.notifications.conftest import Inbox
from tests.notifications.support import answer, comment, deliver, fresh, notifications_of
from tests.support import free_port, post_form, run_task

# The voting phase runs now.
VOTING = (("proposals", -72, -1), ("voting", -1, 24), ("result", 24, None))


@pytest.fixture
def place(ctx, db, make_dialogue, make_user, make_proposal):
    """A dialogue with its planner, another dialogue's planner, and a resident's proposal."""
    dialogue = make_dialogue("horan", phases=LIVE)
    elsewhere = make_dialogue("annan", phases=LIVE)
    admin = fresh(User, make_user(role="admin"))
    planner, other = make_user(role="planner"), make_user(role="planner")
    dialogue_services.assign_planner(fresh(Dialogue, dialogue), fresh(User, planner), by=admin)
    dialogue_services.assign_planner(fresh(Dialogue, elsewhere), fresh(User, other), by=admin)
    author = make_user()
    proposal = make_proposal(dialogue, author=author, title="Lekplats vid torget")
    db.session.commit()
    return dialogue, planner, other, author, proposal, admin


def test_reports_and_waiting_items_reach_that_dialogues_planners_and_nobody_else(
    app, place, make_user, mailbox
):
    dialogue, planner, other, author, proposal, _admin = place
    reporters = [make_user(), make_user()]
    for reporter in reporters:
        moderation.flag(
            fresh(Proposal, proposal),
            by=fresh(User, reporter),
            reason=FlagReason.offensive,
            text=None,
        )
        db.session.commit()
    fresh(Dialogue, dialogue).premoderate_comments = True
    db.session.commit()
    comment(proposal, make_user(), "Väntar på granskning")
    deliver(app, mailbox)
    told = {n.kind for n in notifications_of(planner.id)}
    assert told == {"flagged", "pending"}
    assert notifications_of(other.id) == []  # another dialogue's planner
    assert all(notifications_of(r.id) == [] for r in reporters)
    assert {n.kind for n in notifications_of(author.id)} == set()  # the comment waits
    title = fresh(Dialogue, dialogue).title
    with force_locale("en"):
        texts = [labels.describe(n, count) for n, count in _merged_unread(planner.id)]
    assert texts == [
        f"2 new reports on “Lekplats vid torget” in “{title}”",
        f"An item on “Lekplats vid torget” waits for review in “{title}”",
    ]


def _merged_unread(user_id):
    return queries.merged([n for n in notifications_of(user_id) if n.read_at is None])


def test_each_notice_about_ones_own_content_stays_apart_with_its_reason(
    app, place, make_user, mailbox
):
    dialogue, planner, _other, author, proposal, _admin = place
    said = comment(proposal, author, "Ring 070-1234567 om du undrar")
    moderator = fresh(User, planner)
    moderation.hide(db.session.get(type(said), said.id), by=moderator, reason="Reklam")
    db.session.commit()
    moderation.restore(db.session.get(type(said), said.id), by=moderator)
    db.session.commit()
    moderation.redact(
        db.session.get(type(said), said.id),
        by=moderator,
        reason="Telefonnummer",
        body="Ring mig om du undrar",
    )
    db.session.commit()
    deliver(app, mailbox)
    mine = [n for n in notifications_of(author.id) if n.kind.startswith("content_")]
    assert [n.kind for n in mine] == ["content_hide", "content_restore", "content_redact"]
    merged = _merged_unread(author.id)
    with force_locale("en"):
        texts = [labels.describe(n, count) for n, count in merged if n.kind.startswith("content")]
    assert texts == [
        "A moderator has hidden what you wrote on “Lekplats vid torget”: Reklam",
        "What you wrote on “Lekplats vid torget” is shown again",
        "A moderator has taken personal data out of what you wrote on “Lekplats vid torget”:"
        " Telefonnummer",
    ]
    assert queries.unread_count(fresh(User, author)) == len(merged)


def test_an_answer_reaches_the_author_followers_and_voters_but_not_the_planner(
    app, place, make_dialogue, make_proposal, make_user, mailbox
):
    _dialogue, planner, _other, _author, _proposal, admin = place
    voting = make_dialogue("rostning", phases=VOTING)
    dialogue_services.assign_planner(fresh(Dialogue, voting), fresh(User, planner), by=admin)
    author, voter, bystander = make_user(), make_user(), make_user()
    proposal = make_proposal(voting, author=author, title="Fler bänkar")
    proposal_services.cast_vote(fresh(User, voter), fresh(Proposal, proposal), VoteValue.for_)
    db.session.commit()
    answer(proposal, planner)
    deliver(app, mailbox)
    assert [n.kind for n in notifications_of(author.id)] == ["answer_on_mine"]
    assert [n.kind for n in notifications_of(voter.id)] == ["answer_on_followed"]
    assert notifications_of(bystander.id) == []
    assert [n for n in notifications_of(planner.id) if n.kind.startswith("answer")] == []


def test_a_new_decision_tells_what_changed_and_a_corrected_text_tells_nobody(
    app, place, make_user, mailbox
):
    _dialogue, planner, _other, author, proposal, _admin = place
    answer(proposal, planner, AnswerStatus.under_review)
    answer(proposal, planner, AnswerStatus.rejected)
    proposal_services.save_answer(  # the same decision, its text corrected
        fresh(Proposal, proposal),
        status=AnswerStatus.rejected,
        body="Vi gör inte så, tyvärr.",
        publish=True,
        by=fresh(User, planner),
    )
    db.session.commit()
    deliver(app, mailbox)

    told = [n for n in notifications_of(author.id) if n.kind == "answer_on_mine"]
    assert [n.params["status"] for n in told] == ["under_review", "rejected"]
    with force_locale("en"):
        said = [labels.describe(n) for n in told]
    assert said == [
        "The municipality has answered your proposal “Lekplats vid torget”: under review",
        "The municipality has changed its answer to your proposal “Lekplats vid torget”"
        " from “under review” to “rejected”",
    ]


# Sending -------------------------------------------------------------------------------


class _Password:
    def __call__(self, server, session, envelope, mechanism, auth_data):
        # Not "handled": the server then answers 535 itself.
        return AuthResult(success=auth_data.password == b"right", handled=False)


@pytest.fixture
def guarded_smtp(app, monkeypatch):
    """A server that wants a password; the app is given the wrong one."""
    inbox = Inbox()
    # Loopback in a test: no TLS to require, whatever aiosmtpd warns.
    warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=_Password(),
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    for name, value in {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": controller.port,
        "MAIL_SECURITY": "none",
        "MAIL_USERNAME": "dialog",
        "MAIL_PASSWORD": "wrong",
    }.items():
        monkeypatch.setitem(app.config, name, value)
    yield inbox
    controller.stop()


def test_a_wrong_smtp_password_is_retried_and_marks_no_address_as_bouncing(
    app, place, make_user, mailbox, guarded_smtp
):
    dialogue, _planner, _other, author, proposal, _admin = place
    services.set_frequencies(fresh(User, author), {Category.comments: Frequency.immediately})
    db.session.commit()
    comment(proposal, make_user())
    comment(proposal, make_user())
    deliver(app, mailbox)
    db.session.expire_all()
    first, second = db.session.scalars(select(Delivery).order_by(Delivery.id)).all()
    assert first.status is DeliveryStatus.pending and "535" in first.last_error
    assert first.next_attempt_at > utcnow()
    # The batch stopped at the server's fault: the second was left unclaimed, unharmed.
    assert (second.status, second.attempts) == (DeliveryStatus.pending, 0)
    assert fresh(User, author).mail_bounced_at is None
    assert guarded_smtp.messages == []

    app.config["MAIL_PASSWORD"] = "right"
    db.session.execute(
        Delivery.__table__.update().values(next_attempt_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    deliver(app, mailbox)
    assert len(guarded_smtp.messages) == 2


def test_a_refused_mailbox_bounces_the_address_and_a_refused_message_does_not(
    app, place, make_user, mailbox, smtp
):
    dialogue, _planner, _other, author, proposal, _admin = place
    services.set_frequencies(fresh(User, author), {Category.comments: Frequency.immediately})
    db.session.commit()
    smtp.answers = ["554 Message refused as spam"]
    comment(proposal, make_user())
    deliver(app, mailbox)
    [refused] = db.session.scalars(select(Delivery)).all()
    assert refused.status is DeliveryStatus.dead  # a 5xx is final ...
    assert fresh(User, author).mail_bounced_at is None  # ... but the mailbox is fine
    smtp.answers = ["550 No such mailbox"]
    comment(proposal, make_user())
    deliver(app, mailbox)
    db.session.expire_all()
    assert fresh(User, author).mail_bounced_at is not None


def test_retries_back_off_exponentially_with_jitter(app, ctx):
    base = app.config["MAIL_RETRY_AFTER_SECONDS"]
    for attempts in (1, 2, 5):
        ceiling = base * 2**attempts
        waits = {sending.backoff(attempts) for _ in range(200)}
        assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
        assert len(waits) > 100  # spread out, not the same instant for everyone
    assert sending.backoff(30) <= base * 2**10  # capped


def test_mail_error_kinds():
    refused = smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"No such user")})
    assert mail.refused_for_good(refused) and not mail.server_fault(refused)
    login = smtplib.SMTPAuthenticationError(535, b"Bad credentials")
    assert mail.server_fault(login) and not mail.refused_for_good(login)
    assert mail.server_fault(ConnectionRefusedError())
    assert not mail.server_fault(smtplib.SMTPDataError(550, b"No"))
    assert mail.error_text(refused) == "SMTPRecipientsRefused: 550 No such user"


def test_one_click_unsubscribes_from_one_address_are_limited_per_person_not_per_address(
    app, client, ctx, db, make_user, monkeypatch
):
    monkeypatch.setitem(app.config, "RATELIMIT_WRITES", "2 per minute")
    monkeypatch.setitem(app.config, "RATELIMIT_WRITES_PER_IP", "3 per minute")
    people = [make_user() for _ in range(5)]
    tokens = [sending.unsubscribe_token(p.id, [Category.comments]) for p in people]
    # A mail provider's servers post for many people from one address.
    for token in tokens:
        assert client.post(f"/unsubscribe/{token}").status_code == 200
    assert all(
        queries.frequencies(fresh(User, p))[Category.comments] is Frequency.off for p in people
    )
    assert client.post(f"/unsubscribe/{tokens[0]}").status_code == 200
    assert client.post(f"/unsubscribe/{tokens[0]}").status_code == 429  # one person's limit


def test_a_stop_heard_during_one_task_does_not_stop_the_next(app, place, make_user, mailbox, smtp):
    dialogue, _planner, _other, author, proposal, _admin = place
    services.set_frequencies(fresh(User, author), {Category.comments: Frequency.immediately})
    db.session.commit()
    comment(proposal, make_user())
    while mailbox.deliver():
        pass
    [delivery] = db.session.scalars(select(Delivery)).all()
    stopping._requested.set()  # as the handler leaves it after a SIGTERM in a task
    task = app.extensions["celery"].tasks[services.SEND_TASK]
    assert task.apply(args=[[delivery.id]]).get() == 1  # the signals run as in a worker
    assert len(smtp.messages) == 1


def test_a_delivery_whose_every_attempt_killed_the_worker_is_dead_and_shown(
    app, client, place, mailbox, login
):
    dialogue, _planner, _other, author, proposal, admin = place
    crashed = Delivery(
        user_id=author.id,
        channel=Channel.digest,
        digest_key="daily:2026-12-03",
        status=DeliveryStatus.pending,
        attempts=app.config["MAIL_MAX_ATTEMPTS"],
        claimed_until=utcnow() - timedelta(seconds=1),  # its last claim ran out
    )
    db.session.add(crashed)
    db.session.commit()
    assert sending.claim(crashed.id) is None  # never tried again ...
    run_task(app, "notifications.sweep_mail")
    db.session.expire_all()
    assert fresh(Delivery, crashed).status is DeliveryStatus.dead  # ... but given up on
    login(admin)
    page = client.get("/admin/mail").get_data(as_text=True)
    assert f"/admin/mail/{crashed.id}/retry" in page
    post_form(client, f"/admin/mail/{crashed.id}/retry", {}, form_path="/admin/mail")
    db.session.expire_all()
    assert (fresh(Delivery, crashed).status, fresh(Delivery, crashed).attempts) == (
        DeliveryStatus.pending,
        0,
    )


def test_the_sweeper_leaves_mail_waiting_in_a_busy_queue_and_hands_on_what_is_lost(
    app, place, mailbox
):
    _dialogue, _planner, _other, author, _proposal, _admin = place
    now = utcnow()

    def delivery(key, **fields):
        row = Delivery(
            user_id=author.id,
            channel=Channel.digest,
            digest_key=key,
            **{"status": DeliveryStatus.pending, "next_attempt_at": now - timedelta(seconds=1)}
            | fields,
        )
        db.session.add(row)
        return row

    delivery("daily:2026-12-01", status=DeliveryStatus.sent, sent_at=now)  # mail flows
    waiting = delivery("daily:2026-12-02")
    retrying = delivery("daily:2026-12-03", attempts=1)
    db.session.commit()
    assert run_task(app, "notifications.sweep_mail") == 1  # only the retry ...
    db.session.expire_all()
    assert fresh(Delivery, retrying).next_attempt_at > now
    assert fresh(Delivery, waiting).next_attempt_at < now  # ... the other waits its turn
    # No mail sent for a while: its task is taken for lost and handed on.
    db.session.execute(
        Delivery.__table__.update()
        .where(Delivery.status == DeliveryStatus.sent)
        .values(sent_at=now - timedelta(hours=1))
    )
    db.session.commit()
    assert run_task(app, "notifications.sweep_mail") == 1
    db.session.expire_all()
    assert fresh(Delivery, waiting).next_attempt_at > now


def test_a_comment_hidden_before_the_worker_came_to_it_notifies_nobody(
    app, place, make_user, mailbox
):
    _dialogue, planner, _other, author, proposal, _admin = place
    advert = comment(proposal, make_user(), "Köp billiga klockor här")
    moderation.hide(
        db.session.get(type(advert), advert.id), by=fresh(User, planner), reason="Reklam"
    )
    db.session.commit()
    deliver(app, mailbox)
    assert [n.kind for n in notifications_of(author.id)] == []


def test_a_batch_reads_its_people_once_and_costs_a_few_statements_per_mail(
    app, place, make_user, mailbox, smtp, count_queries
):
    _dialogue, _planner, _other, author, proposal, _admin = place

    def statements_for(mails: int) -> int:
        people = [make_user() for _ in range(mails)]
        for person in people:
            services.set_frequencies(
                fresh(User, person), {Category.comments: Frequency.immediately}
            )
            parent = comment(proposal, person, "Min tanke")
            comment(proposal, author, "Svar", parent=parent)
        while mailbox.deliver():
            pass
        pending = db.session.scalars(
            select(Delivery.id).where(Delivery.status == DeliveryStatus.pending)
        ).all()
        assert len(pending) == mails
        db.session.expire_all()
        with count_queries() as counted:
            assert run_task(app, services.SEND_TASK, list(pending)) == mails
        return counted.count

    two, twelve = statements_for(2), statements_for(12)
    # Claim, read back, and mark sent: three statements a mail; the rest once a batch.
    assert (twelve - two) / 10 <= 3, (two, twelve)
