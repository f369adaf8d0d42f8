"""Events reach the right people in the app and by email: chunked fan-out, merging,
preferences, one-click unsubscribe, the digest, and each email sent once with a stable
Message-ID through a real SMTP server on loopback."""

from __future__ import annotations

import logging
import signal
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, update

from dialog.accounts import privacy
from dialog.accounts.models import User
from dialog.core import outbox
from dialog.core.models import AuditEntry, OutboxDelivery, OutboxEvent, OutboxStatus
from dialog.dialogues import services as dialogue_services
from dialog.dialogues.models import Dialogue
from dialog.extensions import db as database
from dialog.moderation import services as moderation
from dialog.notifications import sending, services, stopping
from dialog.notifications.models import (
    Category,
    Delivery,
    DeliveryStatus,
    Frequency,
    Notification,
)
from dialog.proposals.models import Proposal
from tests.factories import LIVE
from tests.notifications.support import comment, deliver, notifications_of
from tests.support import first_link, log_in, post_form, run_task


@pytest.fixture
def world(ctx, db, make_dialogue, make_user, make_proposal):
    dialogue = make_dialogue("notiser", phases=LIVE)
    author = make_user(email="author@example.org", locale="en")
    proposal = make_proposal(dialogue, author=author, title="Bänkar vid kanalen")
    return database.session.get(Dialogue, dialogue.id), author, proposal


def test_a_comment_and_a_reply_reach_the_author_and_the_replied_to_and_no_one_else(
    app, world, make_user, mailbox
):
    dialogue, author, proposal = world
    first, second, unverified = make_user(), make_user(), make_user(verified=False)
    parent = comment(proposal, first, "Första")
    comment(proposal, second, "Svar", parent=parent)
    comment(proposal, unverified, "Overifierad")
    comment(proposal, author, "Mitt eget")  # nobody is told of their own comment
    deliver(app, mailbox)
    # The reply is a comment on the author's proposal too; the unverified one's is news
    # for the author, who is confirmed.
    told = [(n.kind, n.comment_id) for n in notifications_of(author.id)]
    assert [kind for kind, _ in told] == ["comment_on_proposal"] * 3
    assert [n.kind for n in notifications_of(first.id)] == ["reply"]
    assert notifications_of(second.id) == [] and notifications_of(unverified.id) == []


def test_unread_notifications_about_the_same_thing_merge_in_the_bell_and_list(
    app, client, world, make_user, mailbox
):
    dialogue, author, proposal = world
    for _ in range(3):
        comment(proposal, make_user())
    deliver(app, mailbox)
    assert log_in(client, author.email).status_code == 302
    page = client.get("/notifications").get_data(as_text=True)
    assert "3 nya kommentarer på ditt förslag ”Bänkar vid kanalen”" in page
    assert '<span class="badge" aria-hidden="true">1</span>' in page  # one thing, merged
    [first, *_] = notifications_of(author.id)
    assert post_form(client, f"/notifications/{first.id}/read", {}, form_path="/notifications")
    assert all(n.read_at is not None for n in notifications_of(author.id))
    page = client.get("/notifications").get_data(as_text=True)
    assert "Du har inga olästa notiser." in page and "badge" not in page.split("<main")[0]


def test_a_phase_reaches_followers_in_chunks_once_each_and_skips_closed_and_blocked(
    app, world, make_user, mailbox, monkeypatch
):
    dialogue, author, proposal = world
    monkeypatch.setitem(app.config, "FAN_OUT_CHUNK", 2)
    followers = [database.session.get(User, make_user().id) for _ in range(5)]
    closed = followers[3]
    for person in followers:
        dialogue_services.follow(dialogue, person)
    closed.active = False
    database.session.commit()
    decision = moderation.block(
        database.session.get(Proposal, proposal.id),
        by=database.session.get(User, make_user(role="admin").id),
        reason="Test",
        days=2,
    )
    database.session.commit()
    blocked_author = decision.author_id
    dialogue_services.follow(dialogue, database.session.get(User, blocked_author))
    phase = dialogue.phases[0]
    outbox.record(
        "phase_ending_soon",
        f"phase:{phase.id}:test",
        {"phase_id": phase.id, "dialogue_id": dialogue.id},
    )
    database.session.commit()
    deliver(app, mailbox)
    told = database.session.scalars(
        select(Notification.user_id).where(Notification.kind == "phase_ending_soon")
    ).all()
    assert sorted(told) == sorted(p.id for p in followers if p is not closed)
    chunks = database.session.scalar(
        select(func.count()).where(OutboxEvent.kind == services.FAN_OUT_EVENT)
    )
    assert chunks == 2  # five candidates, two per task: three tasks in all
    # My own content's notice still reaches a blocked author; the phase did not.
    assert blocked_author not in told
    assert [n.kind for n in notifications_of(blocked_author)] == ["content_block"]


def test_an_immediate_email_is_sent_once_with_its_headers_and_a_stable_message_id(
    app, world, make_user, mailbox, smtp
):
    dialogue, author, proposal = world
    _comments_at_once(author)
    comment(proposal, make_user())
    deliver(app, mailbox)
    [message] = smtp.messages
    assert message["To"] == "author@example.org"
    assert message["Subject"] == "A new comment on your proposal “Bänkar vid kanalen”"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert (
        message["List-Unsubscribe"].startswith("<http")
        and "/unsubscribe/" in (message["List-Unsubscribe"])
    )
    [delivery] = database.session.scalars(select(Delivery)).all()
    assert message["Message-ID"] == f"<notification.{delivery.message_token}@localhost>"
    assert delivery.status is DeliveryStatus.sent
    # Sending the same delivery again sends nothing.
    assert run_task(app, services.SEND_TASK, [delivery.id]) == 0
    assert len(smtp.messages) == 1


def test_a_stop_asked_for_mid_batch_sends_the_mail_in_flight_and_gives_the_next_back(
    app, world, make_user, mailbox, smtp
):
    """What a pool process does on SIGTERM (its handler, called while the server takes
    the first mail): that mail is marked sent; the second, already claimed with it, is
    handed back untried, for the next worker, with no attempt counted."""
    dialogue, author, proposal = world
    _comments_at_once(author)
    for _ in range(2):
        comment(proposal, make_user())
    while mailbox.deliver():
        pass
    first, second = database.session.scalars(select(Delivery).order_by(Delivery.id)).all()
    smtp.on_message = lambda _message: stopping._note(signal.SIGTERM, None)
    try:
        assert run_task(app, services.SEND_TASK, [first.id, second.id]) == 1
    finally:
        smtp.on_message = None
        stopping._requested.clear()
    database.session.expire_all()
    assert len(smtp.messages) == 1
    assert (first.status, first.attempts) == (DeliveryStatus.sent, 1)
    assert (second.status, second.attempts, second.claimed_until) == (
        DeliveryStatus.pending,
        0,
        None,
    )
    assert run_task(app, services.SEND_TASK, [first.id, second.id]) == 1  # the next worker
    assert len(smtp.messages) == 2


def test_a_notification_to_a_mailbox_beyond_ascii_is_dead_at_once(
    app, world, make_user, mailbox, smtp
):
    """An address from before the forms refused them: no retry can send it."""
    dialogue, author, proposal = world
    database.session.get(User, author.id).email = "åsa@example.org"
    database.session.commit()
    _comments_at_once(author)
    comment(proposal, make_user())
    deliver(app, mailbox)
    [delivery] = database.session.scalars(select(Delivery)).all()
    assert (delivery.status, delivery.attempts, smtp.messages) == (DeliveryStatus.dead, 1, [])
    assert "SMTPUTF8" in delivery.last_error


def test_a_temporary_refusal_is_retried_and_a_permanent_one_is_dead_at_once(
    app, world, make_user, mailbox, smtp, caplog
):
    dialogue, author, proposal = world
    _comments_at_once(author)
    smtp.answers = ["421 Try again later"]
    comment(proposal, make_user())
    deliver(app, mailbox)
    [delivery] = database.session.scalars(select(Delivery)).all()
    assert (delivery.status, delivery.attempts, smtp.messages) == (DeliveryStatus.pending, 1, [])
    assert delivery.next_attempt_at > delivery.created_at
    assert run_task(app, services.SEND_TASK, [delivery.id]) == 1
    assert len(smtp.messages) == 1

    smtp.answers = ["550 No such user"]
    with caplog.at_level(logging.ERROR, logger="dialog.notifications.sending"):
        comment(proposal, make_user())
        deliver(app, mailbox)
    database.session.expire_all()
    dead = database.session.scalars(
        select(Delivery).where(Delivery.status == DeliveryStatus.dead)
    ).all()
    assert len(dead) == 1 and dead[0].attempts == 1 and "550" in dead[0].last_error
    assert [r.message for r in caplog.records if "is dead" in r.message] == [
        f"notification delivery {dead[0].id} is dead after 1 attempts ({dead[0].last_error})"
    ]
    assert "author@example.org" not in dead[0].last_error
    # The address bounced: no more notification mail to it until it is confirmed again.
    assert database.session.get(User, author.id).mail_bounced_at is not None
    comment(proposal, make_user())
    deliver(app, mailbox)
    assert len(smtp.messages) == 1


def test_a_dead_email_is_shown_to_admins_and_sent_again_once_its_address_is_confirmed(
    app, client, world, make_user, mailbox, smtp
):
    dialogue, author, proposal = world
    _comments_at_once(author)
    smtp.answers = ["550 No such user"]
    comment(proposal, make_user())
    deliver(app, mailbox)
    [dead] = database.session.scalars(select(Delivery)).all()
    admin = make_user(role="admin")
    log_in(client, admin.email)
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "550 No such user" in page and "author@example.org" in page
    assert "Adressen studsar: ägaren måste bekräfta den igen." in page
    assert f"/admin/mail/{dead.id}/retry" not in page  # no retry while it bounces
    # Retrying anyway (a stale page) is refused in words and changes nothing.
    response = post_form(client, f"/admin/mail/{dead.id}/retry", {}, form_path="/admin/mail")
    assert "Adressen studsar fortfarande" in client.get("/admin/mail").get_data(as_text=True)
    assert response.status_code == 302
    database.session.expire_all()
    assert database.session.get(Delivery, dead.id).status is DeliveryStatus.dead

    # The author sees why, asks for a new link and confirms the address. (A context of
    # its own: the login of each person is remembered in the application context.)
    with app.app_context():
        own = app.test_client()
        log_in(own, author.email)
        profile = own.get("/profile").get_data(as_text=True)
        assert "kom tillbaka som omöjlig att leverera" in profile
        assert post_form(own, "/profile/resend-verification", {}, form_path="/profile")
        mailbox.deliver()
        link = first_link(smtp.messages[-1])
        assert own.get(urlsplit(link).path).status_code == 302
    database.session.expire_all()
    assert database.session.get(User, author.id).mail_bounced_at is None

    # Now the administrator's retry sends it, once, with the Message-ID it always had.
    assert f"/admin/mail/{dead.id}/retry" in client.get("/admin/mail").get_data(as_text=True)
    post_form(client, f"/admin/mail/{dead.id}/retry", {}, form_path="/admin/mail")
    assert "Inga e-postnotiser har fastnat." in client.get("/admin/mail").get_data(as_text=True)
    before = len(smtp.messages)
    deliver(app, mailbox)
    [resent] = smtp.messages[before:]
    assert resent["Message-ID"] == sending.message_id(database.session.get(Delivery, dead.id))
    assert database.session.get(Delivery, dead.id).status is DeliveryStatus.sent
    assert (
        database.session.scalar(
            select(AuditEntry.actor_id).where(AuditEntry.action == "notification_mail_retried")
        )
        == admin.id
    )


def test_an_account_mail_given_up_on_is_tried_again_from_the_admins_page(
    app, client, world, make_user, mailbox
):
    fact = outbox.record(
        "email",
        "email:given-up",
        {
            "to": "kvar@example.org",
            "template": "password_changed",
            "locale": "sv",
            "context": {"name": "Ada", "reset_url": "http://example.org/r"},
        },
    )
    [delivery] = database.session.scalars(
        select(OutboxDelivery).where(OutboxDelivery.event_id == fact.id)
    ).all()
    delivery.status = fact.status = OutboxStatus.failed
    delivery.attempts, delivery.last_error = 12, "SMTPRecipientsRefused: kvar@example.org"
    database.session.commit()
    log_in(client, make_user(role="admin").email)
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "core.send_email" in page
    assert "kvar@example.org" not in page  # addresses stay out of the errors shown
    post_form(client, f"/admin/outbox/{delivery.id}/retry", {}, form_path="/admin/mail")
    assert "Inga leveranser har getts upp." in client.get("/admin/mail").get_data(as_text=True)
    mailbox.deliver()
    assert mailbox.last("kvar@example.org")["Subject"]
    database.session.expire_all()
    assert database.session.get(OutboxDelivery, delivery.id).status is OutboxStatus.delivered


def test_unsubscribing_takes_one_post_without_login_or_token_and_a_get_changes_nothing(
    app, client, world, make_user, mailbox, smtp
):
    dialogue, author, proposal = world
    _comments_at_once(author)
    comment(proposal, make_user())
    deliver(app, mailbox)
    link = smtp.messages[0]["List-Unsubscribe"].strip("<>")
    path = "/" + link.split("/", 3)[3]
    page = client.get(path)
    assert page.status_code == 200 and "Sluta få de här mejlen" in page.get_data(as_text=True)
    assert _frequency(author) is Frequency.immediately  # a GET never unsubscribes
    assert client.post(path).status_code == 200  # no session, no CSRF token
    assert _frequency(author) is Frequency.off
    comment(proposal, make_user())
    deliver(app, mailbox)
    assert len(smtp.messages) == 1
    assert client.post(path[:-3] + "xyz").status_code == 404


def _frequency(user) -> Frequency:
    from dialog.notifications import queries

    database.session.expire_all()
    return queries.frequencies(database.session.get(User, user.id))[Category.comments]


def test_the_daily_digest_carries_what_is_pending_once_in_the_persons_language(
    app, world, make_user, mailbox, smtp
):
    dialogue, author, proposal = world
    comment(proposal, make_user())
    comment(proposal, make_user())
    deliver(app, mailbox)
    assert smtp.messages == []  # daily is the default: nothing at once
    before_hour = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)  # 06:00 in Stockholm
    assert services.digest_periods(before_hour) == []
    [(frequency, key)] = services.digest_periods(datetime(2026, 12, 2, 7, 0, tzinfo=UTC))
    assert services.queue_digest_chunk(frequency, key, after=0) == [author.id]
    database.session.commit()
    assert services.queue_digest_chunk(frequency, key, after=0) == []  # nothing twice
    deliver(app, mailbox)
    [digest] = smtp.messages
    assert digest["Subject"] == "1 new notification today"
    assert digest["Content-Language"] == "en"
    text = digest.get_body(("plain",)).get_content()
    assert "2 new comments on your proposal “Bänkar vid kanalen”" in text
    # Later ones wait for the next morning's digest, never the one already sent.
    comment(proposal, make_user())
    deliver(app, mailbox)
    assert services.queue_digest_chunk(frequency, key, after=0) == []
    assert services.digest_periods(datetime(2026, 12, 2, 14, 0, tzinfo=UTC)) == []
    [(_, next_key)] = services.digest_periods(datetime(2026, 12, 3, 6, 10, tzinfo=UTC))
    assert next_key == "daily:2026-12-03"
    assert services.queue_digest_chunk(frequency, next_key, after=0) == [author.id]
    database.session.commit()
    deliver(app, mailbox)
    [_, second] = smtp.messages
    assert "A new comment on your proposal" in second.get_body(("plain",)).get_content()


def test_a_digest_queued_before_the_person_turned_email_off_is_not_sent(
    app, world, make_user, mailbox, smtp
):
    _dialogue, author, _proposal = world
    key = _daily_digest_queued(app, world, make_user, mailbox)

    services.unsubscribe(author.id, [Category.comments])  # the one-click link, meanwhile
    database.session.commit()
    deliver(app, mailbox)

    assert smtp.messages == []
    [digest] = database.session.scalars(
        select(Delivery).where(Delivery.digest_key == key, Delivery.user_id == author.id)
    ).all()
    assert digest.status is not DeliveryStatus.sent


def test_notices_queued_for_the_daily_digest_go_in_the_weekly_one_when_the_person_switches(
    app, world, make_user, mailbox, smtp
):
    _dialogue, author, _proposal = world
    _daily_digest_queued(app, world, make_user, mailbox)
    services.set_frequencies(
        database.session.get(User, author.id), {Category.comments: Frequency.weekly}
    )
    database.session.commit()
    deliver(app, mailbox)
    assert smtp.messages == []  # not in the daily one any more

    monday = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
    weekly = dict(services.digest_periods(monday))[Frequency.weekly]
    assert services.queue_digest_chunk(Frequency.weekly, weekly, after=0) == [author.id]
    database.session.commit()
    deliver(app, mailbox)
    [digest] = smtp.messages
    assert "A new comment on your proposal" in digest.get_body(("plain",)).get_content()


def test_a_notice_whose_email_was_queued_before_the_person_chose_a_digest_goes_in_the_digest(
    app, world, make_user, mailbox, smtp
):
    dialogue, author, proposal = world
    _comments_at_once(author)
    comment(proposal, make_user())
    while mailbox.deliver():  # the fan-out queues the email; the mail task has not run
        pass
    services.set_frequencies(
        database.session.get(User, author.id), {Category.comments: Frequency.daily}
    )
    database.session.commit()
    deliver(app, mailbox)
    assert smtp.messages == []

    [(frequency, key)] = services.digest_periods(datetime(2026, 12, 2, 7, 0, tzinfo=UTC))
    assert services.queue_digest_chunk(frequency, key, after=0) == [author.id]
    database.session.commit()
    deliver(app, mailbox)
    [digest] = smtp.messages
    assert "A new comment on your proposal" in digest.get_body(("plain",)).get_content()


def test_notices_about_a_dialogue_the_person_may_no_longer_see_are_not_shown_or_mailed(
    app, ctx, db, make_dialogue, make_user, make_proposal, mailbox, smtp
):
    from dialog.dialogues.models import Visibility
    from dialog.notifications import queries

    closed = make_dialogue("sluten", phases=LIVE, visibility=Visibility.invited)
    admin = database.session.get(User, make_user(role="admin").id)
    guest = database.session.get(User, make_user(email="gast@example.org").id)
    [invitation] = dialogue_services.invite(
        database.session.get(Dialogue, closed.id), [guest.email], by=admin
    )
    dialogue_services.accept_invitation(invitation, guest)
    database.session.commit()
    proposal = make_proposal(closed, guest, title="Stängt förslag")
    comment(proposal, make_user())
    deliver(app, mailbox)
    assert queries.unread_count(guest) == 1
    [(frequency, key)] = services.digest_periods(datetime(2026, 12, 2, 7, 0, tzinfo=UTC))
    assert services.queue_digest_chunk(frequency, key, after=0) == [guest.id]
    database.session.commit()
    before = len(smtp.messages)  # the invitation

    dialogue_services.revoke_invitation(invitation, by=admin)
    database.session.commit()

    unread, read = queries.notification_list(guest)
    assert (unread, read, queries.unread_count(guest)) == ([], [], 0)
    deliver(app, mailbox)
    # The digest queued before had only that to tell.
    assert [m["Subject"] for m in smtp.messages[before:]] == []


def test_the_email_settings_are_saved_and_offer_the_moderators_category_to_staff_only(
    client, world, make_user
):
    dialogue, author, proposal = world
    resident = make_user()
    assert log_in(client, resident.email).status_code == 302
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert 'name="comments"' in page and 'name="moderation"' not in page
    saved = post_form(
        client,
        "/notifications/settings",
        {"phases": "weekly", "comments": "immediately", "answers": "off", "my_content": "daily"},
    )
    assert saved.status_code == 302
    from dialog.notifications import queries

    chosen = queries.frequencies(database.session.get(User, resident.id))
    assert chosen[Category.phases] is Frequency.weekly
    assert chosen[Category.answers] is Frequency.off
    bad = post_form(client, "/notifications/settings", {"phases": "sometimes"})
    assert bad.status_code == 400


def test_events_past_their_retention_go_and_the_notifications_they_made_stay(
    app, world, make_user, mailbox, smtp
):
    dialogue, author, proposal = world
    _comments_at_once(author)
    comment(proposal, make_user())
    deliver(app, mailbox)
    assert len(smtp.messages) == 1
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    database.session.execute(update(OutboxEvent).values(created_at=long_ago))
    database.session.commit()
    privacy.enforce_retention_limits()
    database.session.commit()
    database.session.expire_all()
    # No address, token or text of the event lives on in the outbox ...
    assert database.session.scalar(select(func.count()).select_from(OutboxEvent)) == 0
    # ... and what it made stays, for its reader and as the proof the mail went.
    [notice] = notifications_of(author.id)
    assert notice.event_id is None
    [delivery] = database.session.scalars(select(Delivery)).all()
    assert (delivery.status, delivery.event_id) == (DeliveryStatus.sent, None)


def _daily_digest_queued(app, world, make_user, mailbox) -> str:
    """A comment on the author's proposal, and the next morning's daily digest queued
    for the author; returns the digest's key."""
    _dialogue, author, proposal = world
    comment(proposal, make_user())
    deliver(app, mailbox)
    [(frequency, key)] = services.digest_periods(datetime(2026, 12, 2, 7, 0, tzinfo=UTC))
    assert services.queue_digest_chunk(frequency, key, after=0) == [author.id]
    database.session.commit()
    return key


def _comments_at_once(person) -> None:
    services.set_frequencies(
        database.session.get(User, person.id), {Category.comments: Frequency.immediately}
    )
    database.session.commit()
