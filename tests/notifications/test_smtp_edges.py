"""Notification mail at the edges of an SMTP exchange, against a real aiosmtpd server on
loopback that misbehaves: a mail the server accepted stays sent when the exchange fails
after the 250 (the QUIT never answered, the connection cut right after the 250), and
temporary refusals (451) until MAIL_MAX_ATTEMPTS leave the delivery dead, with the
server's words, on the administrators' undelivered-mail page. Sending runs through the
mail task's own code, retries through the sweeper's."""

from __future__ import annotations

from collections import Counter

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP
from sqlalchemy import select

from dialog.accounts.models import User
from dialog.extensions import db
from dialog.notifications import sending, services
from dialog.notifications.models import Category, Delivery, DeliveryStatus, Frequency
from tests.factories import LIVE
from tests.notifications.conftest import Inbox
from tests.notifications.support import comment, fresh
from tests.support import free_port, run_task

SWEEP_TASK = "notifications.sweep_mail"
GREYLISTED = "451 4.7.1 Greylisted, please try again later"


class _SilentAtQuit(SMTP):
    """Takes every message with a 250, then hangs up on the QUIT without answering it."""

    async def smtp_QUIT(self, arg: str) -> None:
        self.event_handler.hung_up += 1
        self._handler_coroutine.cancel()
        self.transport.close()


class _HangsUpAfterEachMessage(SMTP):
    """Answers the DATA with its 250, then cuts the connection at once."""

    async def smtp_DATA(self, arg: str) -> None:
        await super().smtp_DATA(arg)
        if self.transport is not None and not self.transport.is_closing():
            self.event_handler.hung_up += 1
            self._handler_coroutine.cancel()
            self.transport.close()


class _Misbehaving(Controller):
    def __init__(self, server_class: type[SMTP], handler, **kwargs):
        self.server_class = server_class
        super().__init__(handler, **kwargs)

    def factory(self):
        return self.server_class(self.handler, **self.SMTP_kwargs)


@pytest.fixture
def misbehaving_smtp(app, monkeypatch):
    """start(server_class): a real SMTP server of that kind on loopback, the app sending
    to it; its mailbox (the notifications' own Inbox), counting in `hung_up` how often
    the server hung up on the client."""
    controllers = []

    def start(server_class: type[SMTP]) -> Inbox:
        inbox = Inbox()
        inbox.hung_up = 0
        controller = _Misbehaving(server_class, inbox, hostname="127.0.0.1", port=free_port())
        controller.start()
        controllers.append(controller)
        for name, value in {
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": controller.port,
            "MAIL_SECURITY": "none",
            "MAIL_USERNAME": None,
        }.items():
            monkeypatch.setitem(app.config, name, value)
        return inbox

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def retries_at_once(app, monkeypatch):
    """No wait between attempts (the backoff of 0 s is 0 s), and three attempts in all."""
    monkeypatch.setitem(app.config, "MAIL_RETRY_AFTER_SECONDS", 0)
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 3)
    return 3


@pytest.fixture
def owed(app, ctx, mailbox, make_dialogue, make_user, make_proposal):
    """owed(n): n immediate-notification emails to a proposal's author (n comments by
    others), made by the real services and fanned out by the subscribers' task code, not
    yet sent; their delivery ids."""
    dialogue = make_dialogue("smtpkanter", phases=LIVE)
    author = make_user()
    proposal = make_proposal(dialogue, author=author, title="Lekplats vid torget")
    services.set_frequencies(fresh(User, author), {Category.comments: Frequency.immediately})
    db.session.commit()

    def make(count: int) -> list[int]:
        for number in range(count):
            comment(proposal, make_user(), f"Kommentar {number}")
        while mailbox.deliver():
            pass
        ids = db.session.scalars(
            select(Delivery.id)
            .where(Delivery.status == DeliveryStatus.pending, Delivery.user_id == author.id)
            .order_by(Delivery.id)
        ).all()
        assert len(ids) == count
        return list(ids)

    make.author = author
    return make


def _deliveries(ids: list[int]) -> list[Delivery]:
    db.session.expire_all()
    return [db.session.get(Delivery, delivery_id) for delivery_id in ids]


def _copies(inbox: Inbox) -> Counter:
    return Counter(message["Message-ID"] for message in inbox.messages)


def _hand_on_by_the_sweeper(app, delivery_id: int) -> None:
    """What a worker does for a delivery whose retry time has come: the sweeper finds it
    due and publishes the mail task for it; the task's own code runs here."""
    assert run_task(app, SWEEP_TASK) == 1, "the sweeper did not find the retry due"
    run_task(app, services.SEND_TASK, [delivery_id])


def test_a_mail_accepted_counts_as_sent_although_the_quit_is_never_answered(
    app, owed, misbehaving_smtp
):
    inbox = misbehaving_smtp(_SilentAtQuit)
    ids = owed(3)
    # The task returns (no exception from the QUIT) and counts every accepted mail.
    assert run_task(app, services.SEND_TASK, ids) == 3
    deliveries = _deliveries(ids)
    assert [d.status for d in deliveries] == [DeliveryStatus.sent] * 3
    assert all(d.attempts == 1 and d.last_error is None for d in deliveries)
    expected = Counter({sending.message_id(d): 1 for d in deliveries})
    assert _copies(inbox) == expected  # one copy each, all on the one connection
    assert inbox.hung_up == 1  # whose QUIT went unanswered

    # The same task again (a duplicate, or the sweeper's): nothing more goes out.
    assert run_task(app, services.SEND_TASK, ids) == 0
    assert _copies(inbox) == expected
    assert [(d.status, d.attempts) for d in _deliveries(ids)] == [(DeliveryStatus.sent, 1)] * 3


def test_a_connection_cut_after_the_250_leaves_that_mail_sent_and_the_next_for_a_retry(
    app, owed, misbehaving_smtp, retries_at_once
):
    inbox = misbehaving_smtp(_HangsUpAfterEachMessage)
    ids = owed(2)
    first_id, second_id = ids
    assert run_task(app, services.SEND_TASK, ids) == 1
    first, second = _deliveries(ids)
    assert (first.status, first.attempts) == (DeliveryStatus.sent, 1)
    # The next one found the connection gone: the server's fault, tried again later.
    assert (second.status, second.attempts) == (DeliveryStatus.pending, 1)
    assert second.last_error and second.claimed_until is None
    assert _copies(inbox) == Counter({sending.message_id(first): 1})
    assert inbox.hung_up == 1

    _hand_on_by_the_sweeper(app, second_id)
    first, second = _deliveries(ids)
    assert (second.status, second.attempts) == (DeliveryStatus.sent, 2)
    expected = Counter({sending.message_id(first): 1, sending.message_id(second): 1})
    assert _copies(inbox) == expected and inbox.hung_up == 2

    assert run_task(app, services.SEND_TASK, ids) == 0
    assert run_task(app, SWEEP_TASK) == 0
    assert _copies(inbox) == expected


def test_temporary_refusals_until_the_attempts_run_out_make_the_delivery_dead_and_shown(
    app, client, owed, smtp, retries_at_once, make_user, login
):
    most = retries_at_once
    # The shared loopback server answers each DATA in turn: 451 for every attempt
    # allowed, then 250, so one attempt too many would show as a mail taken in.
    smtp.answers = [GREYLISTED] * most
    [delivery_id] = owed(1)
    run_task(app, services.SEND_TASK, [delivery_id])
    for attempt in range(1, most):
        [delivery] = _deliveries([delivery_id])
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.pending, attempt)
        assert delivery.last_error == f"SMTPDataError: {GREYLISTED}"
        # Retried when its next_attempt_at comes (now, with no wait), not at once by
        # the failing task itself: the sweeper is what makes it due again.
        _hand_on_by_the_sweeper(app, delivery_id)

    [delivery] = _deliveries([delivery_id])
    assert delivery.status is DeliveryStatus.dead
    assert delivery.attempts == most
    assert delivery.last_error == f"SMTPDataError: {GREYLISTED}"
    assert smtp.answers == [] and smtp.messages == []  # every attempt met its 451
    # A temporary refusal is no bounce: the address stays good.
    assert fresh(User, owed.author).mail_bounced_at is None

    # Never tried again, by the sweeper or by a task for it.
    assert run_task(app, SWEEP_TASK) == 0
    assert run_task(app, services.SEND_TASK, [delivery_id]) == 0
    assert smtp.messages == [] and fresh(Delivery, delivery).attempts == most

    login(make_user(role="admin"))
    response = client.get("/admin/mail")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"/admin/mail/{delivery_id}/retry" in page
    row = page.split(f"/admin/mail/{delivery_id}/retry")[0].rsplit("<tr>", 1)[-1]
    assert owed.author.email in row
    assert f"<td>{most}</td>" in row
    assert f"SMTPDataError: {GREYLISTED}" in row
